import { findProviderCustomer, insertProviderCustomer } from '../../src/savedCards/repository';
import { openTestDb, testDatabases, type TestDb } from '../support/db';

describe.each(testDatabases())('provider customers on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.reset();
    await t.db.exec("INSERT INTO stores (store_id, token_sealed) VALUES (1003, 'sealed')");
  });

  const key = { storeId: 1003, ecwidCustomerId: '77', provider: 'conekta', account: 'acct-hmac' };

  it('stores a shopper’s first provider customer and returns it as stored', async () => {
    const stored = await insertProviderCustomer(t.db, {
      ...key,
      providerCustomerId: 'cus_1',
      emailFingerprint: 'fp-a',
    });
    expect(stored).toEqual({ ...key, providerCustomerId: 'cus_1', emailFingerprint: 'fp-a' });
    expect(await findProviderCustomer(t.db, key)).toEqual(stored);
  });

  it('keeps the customer another checkout of the same shopper stored first', async () => {
    await insertProviderCustomer(t.db, { ...key, providerCustomerId: 'cus_first', emailFingerprint: 'fp-a' });
    const second = await insertProviderCustomer(t.db, {
      ...key,
      providerCustomerId: 'cus_second',
      emailFingerprint: 'fp-b',
    });
    expect(second).toEqual({ ...key, providerCustomerId: 'cus_first', emailFingerprint: 'fp-a' });
    const [count] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM provider_customers');
    expect(count!.n).toBe(1);
  });

  it('two checkouts at once: both get the one customer stored', async () => {
    const [a, b] = await Promise.all([
      insertProviderCustomer(t.db, { ...key, providerCustomerId: 'cus_a', emailFingerprint: 'fp-a' }),
      insertProviderCustomer(t.db, { ...key, providerCustomerId: 'cus_b', emailFingerprint: 'fp-a' }),
    ]);
    expect(a).toEqual(b);
    expect(['cus_a', 'cus_b']).toContain(a.providerCustomerId);
  });
});
