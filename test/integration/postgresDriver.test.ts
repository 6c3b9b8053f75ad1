import { openPostgres } from '../../src/db/postgres';
import { describeOnPostgres, openTestDb, type TestDb } from '../support/db';

describeOnPostgres('PostgreSQL driver: prepared statements', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb('postgres');
    await t.db.exec('CREATE TABLE drift (a integer); INSERT INTO drift VALUES (1)');
  });
  afterEach(() => t.dispose());

  it('plans every execution for its own parameters, in the schema asked for (the URL keeps its own options)', async () => {
    const [mode] = await t.db.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
    expect(mode!.plan_cache_mode).toBe('force_custom_plan');
    const [path] = await t.db.query<{ search_path: string }>('SHOW search_path');
    expect(path!.search_path).toBe(t.schema);
    // A URL that already carries options (the child-process URL of this schema) keeps them.
    const other = await openPostgres({ url: t.url! });
    try {
      const [p] = await other.query<{ search_path: string }>('SHOW search_path');
      expect(p!.search_path).toBe(t.schema);
      const [m] = await other.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
      expect(m!.plan_cache_mode).toBe('force_custom_plan');
    } finally {
      await other.close();
    }
  });

  it('repeats a statement with its parameters on every pooled connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.db.query<{ n: number }>('SELECT $1::int + 1 AS n', [i])),
    );
    expect(results.map((rows) => rows[0]!.n)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('a migration that changes a table under a prepared SELECT *: the query is answered, unprepared', async () => {
    // Every pooled connection prepares it first.
    await Promise.all(Array.from({ length: 10 }, () => t.db.query('SELECT * FROM drift WHERE a = $1', [1])));
    await t.db.exec('ALTER TABLE drift ADD COLUMN b text');
    await t.db.exec("UPDATE drift SET b = 'new'");
    const rows = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.db.query<{ a: number; b: string }>('SELECT * FROM drift WHERE a = $1', [1]),
      ),
    );
    for (const r of rows) expect(r).toEqual([{ a: 1, b: 'new' }]);
  });

  it('inside a transaction the stale plan fails that transaction once, changing nothing; the next one works', async () => {
    await Promise.all(Array.from({ length: 10 }, () => t.db.query('SELECT * FROM drift WHERE a = $1', [1])));
    await t.db.exec('ALTER TABLE drift ADD COLUMN b text');
    const attempt = () =>
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO drift (a) VALUES ($1)', [2]);
        return tx.query<{ a: number }>('SELECT * FROM drift WHERE a = $1', [1]);
      });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, attempt));
    const failed = outcomes.filter((o) => o.status === 'rejected');
    for (const f of failed) expect(String((f as PromiseRejectedResult).reason)).toMatch(/cached plan/);
    // Each failed transaction rolled back its insert.
    const [{ n }] = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM drift WHERE a = 2')) as [
      { n: number },
    ];
    expect(n).toBe(outcomes.length - failed.length);
    await expect(attempt()).resolves.toEqual([{ a: 1, b: null }]);
  });
});
