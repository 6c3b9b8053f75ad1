import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import type { Db } from '../../src/db';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/**
 * The databases a suite runs on: PGlite always; the machine's PostgreSQL when TEST_DATABASE_URL is
 * set. In CI it must be set: a missing PostgreSQL fails the run instead of silently skipping.
 */
export function testDatabases(): ('pglite' | 'postgres')[] {
  if (!TEST_DATABASE_URL && process.env.CI) {
    throw new Error('TEST_DATABASE_URL is not set but CI is: the PostgreSQL suites cannot run (see .ci/run)');
  }
  return TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDb {
  db: Db;
  /** Empties every table (between tests). */
  reset(): Promise<void>;
  /** Drops what the test created. */
  dispose(): Promise<void>;
  /** PostgreSQL only: a connection URL that lands in this test's schema (for child processes). */
  url?: string;
  schema?: string;
}

/** PGlite in memory, or a fresh schema of the test PostgreSQL so parallel test files never collide. */
export async function openTestDb(kind: 'pglite' | 'postgres'): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return { db, reset: () => truncateAll(db), dispose: () => db.close() };
  }
  const url = requirePostgresUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const db = await openPostgres({ url, schema, max: 10 });
  await migrate(db);
  const schemaUrl = new URL(url);
  schemaUrl.searchParams.set('options', `-c search_path=${schema}`);
  return {
    db,
    url: schemaUrl.toString(),
    schema,
    reset: () => truncateAll(db),
    async dispose() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

export function requirePostgresUrl(): string {
  if (!TEST_DATABASE_URL) {
    throw new Error('TEST_DATABASE_URL is required for this test (postgres://postgres@127.0.0.1:5432/test)');
  }
  return TEST_DATABASE_URL;
}

async function truncateAll(db: Db): Promise<void> {
  await db.exec(
    'TRUNCATE ecwid_updates, payment_events, payments, stores, webhook_receipts RESTART IDENTITY CASCADE',
  );
}

/**
 * A suite that needs the real PostgreSQL (several processes on one database). Without
 * TEST_DATABASE_URL it fails with a message saying so: never skipped, never counted as passed.
 */
export function describeOnPostgres(name: string, fn: () => void): void {
  if (TEST_DATABASE_URL) return describe(name, fn);
  describe(name, () => {
    it('needs TEST_DATABASE_URL', () => {
      throw new Error(
        'TEST_DATABASE_URL is not set: this suite needs PostgreSQL (postgres://postgres@127.0.0.1:5432/test)',
      );
    });
  });
}
