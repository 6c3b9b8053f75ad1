import path from 'node:path';
import type { Config } from '../config';
import { migrate } from './migrate';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';
import type { Db } from './types';

export type { Db, Queryable } from './types';

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(database: Config['database']): Promise<Db> {
  const db =
    database.kind === 'postgres'
      ? await openPostgres({ url: database.url })
      : await openPglite(path.join(database.dataDir, 'pglite'));
  await migrate(db);
  return db;
}
