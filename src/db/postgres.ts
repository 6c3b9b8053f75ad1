import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Db, Queryable } from './types';

// int8 (bigserial ids, amounts) as JS numbers: every value we store is far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  /** Schema to use (tests isolate each file in its own). */
  schema?: string;
  max?: number;
}

/**
 * Every parameterised query runs as a named prepared statement: PostgreSQL parses and plans it once
 * per connection instead of on every call. The app's SQL texts are a small fixed set, so the number of
 * statements per connection stays small. Measured on the payment request's insert (bench): PostgreSQL
 * CPU per call ~850 µs unnamed → ~650 µs prepared.
 *
 * Each execution is still planned for its own parameters (plan_cache_mode = force_custom_plan): a
 * generic plan made while a table was empty stays cached as it grows. Seen in the bench: the payment
 * insert's existence check settled on scanning the store's index, and its cost grew with every row
 * (PostgreSQL CPU per insert 0.8 → 4.6 ms over 12,000 payments). Planning every execution is ~40% of
 * the statements' server time in the bench: the price of plans that cannot go stale (README, Measured).
 *
 * A prepared `SELECT *` breaks when a migration changes the table's columns under a running process
 * (a rolling deploy: PostgreSQL answers "cached plan must not change result type"). That process then
 * stops preparing: outside a transaction the query is retried unprepared at once; inside one the
 * transaction fails once (its caller's retry, e.g. a provider's notification retry, then succeeds).
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;
const CACHED_PLAN_CHANGED = '0A000';

function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === CACHED_PLAN_CHANGED && typeof e.message === 'string' && e.message.includes('cached plan');
}

function statement(sql: string, params: readonly unknown[], prepare: boolean): pg.QueryConfig {
  let name = prepare ? statementNames.get(sql) : undefined;
  if (prepare && name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `s_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  // Past the cap (text built at run time in a loop, which the app does not do): plain unnamed queries.
  return name === undefined
    ? { text: sql, values: params as unknown[] }
    : { name, text: sql, values: params as unknown[] };
}

/**
 * The URL with server settings added to its `options` (pg lets the URL's options win over the
 * config's, so they go where the URL's own already are, e.g. a test schema's search_path).
 */
function withSessionOptions(url: string, settings: string[]): string {
  const parsed = new URL(url);
  const own = parsed.searchParams.get('options');
  parsed.searchParams.set('options', [own, ...settings].filter(Boolean).join(' '));
  return parsed.toString();
}

export async function openPostgres({ url, schema, max = 10 }: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: withSessionOptions(url, [
      '-c plan_cache_mode=force_custom_plan',
      ...(schema ? [`-c search_path=${schema}`] : []),
    ]),
    max,
    connectionTimeoutMillis: 5000,
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);

  await pool.query('SELECT 1');
  let prepare = true;
  const query: Queryable['query'] = async <T>(sql: string, params: readonly unknown[] = []) => {
    try {
      return (await pool.query(statement(sql, params, prepare))).rows as T[];
    } catch (error) {
      if (!isStalePlan(error)) throw error;
      prepare = false;
      return (await pool.query(statement(sql, params, false))).rows as T[];
    }
  };
  return {
    kind: 'postgres',
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          exec: async (sql: string) => {
            await client.query(sql);
          },
          query: async <T>(sql: string, params: readonly unknown[] = []) => {
            try {
              return (await client.query(statement(sql, params, prepare))).rows as T[];
            } catch (error) {
              if (isStalePlan(error)) prepare = false;
              throw error;
            }
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
