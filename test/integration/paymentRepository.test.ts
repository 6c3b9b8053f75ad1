import { findPayment, insertFirstAttempt } from '../../src/payments/repository';
import { openTestDb, testDatabases, type TestDb } from '../support/db';

describe.each(testDatabases())('payment repository on %s: an order’s first attempt', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.reset();
    await t.db.exec("INSERT INTO stores (store_id, token_sealed) VALUES (1003, 'v1.sealed-token')");
  });

  const attempt = {
    storeId: 1003,
    referenceTransactionId: 'ref-100',
    ecwidOrderId: '100',
    amount: 1599000,
    currency: 'CLP',
    lang: 'en',
    returnUrl: 'https://store.example.com/return/100',
    orderSealed: 'v1.sealed-order',
  };

  it('answers the payment exactly as the database then holds it, with its created event and the store token', async () => {
    const first = await insertFirstAttempt(t.db, attempt);
    expect(first.storeKnown).toBe(true);
    expect(first.storeTokenSealed).toBe('v1.sealed-token');
    expect(first.payment).not.toBeNull();
    expect(first.payment).toEqual(await findPayment(t.db, first.payment!.id));
    expect(first.payment).toMatchObject({
      attempt: 1,
      state: 'created',
      total: { amount: 1599000, currency: 'CLP' },
      lang: 'en',
      version: 0,
      refundedAmount: 0,
      provider: null,
    });
    const events = await t.db.query<{ kind: string; to_state: string }>(
      'SELECT kind, to_state FROM payment_events WHERE payment_id = $1',
      [first.payment!.id],
    );
    expect(events).toEqual([{ kind: 'created', to_state: 'created' }]);
  });

  it('inserts nothing for an order that has an attempt already (the caller takes the re-entry path)', async () => {
    await insertFirstAttempt(t.db, attempt);
    const again = await insertFirstAttempt(t.db, {
      ...attempt,
      amount: 1,
      returnUrl: 'https://x.example/other',
    });
    expect(again).toEqual({ payment: null, storeKnown: true, storeTokenSealed: 'v1.sealed-token' });
    const [counts] = await t.db.query<{ payments: number; events: number }>(
      'SELECT (SELECT count(*)::int FROM payments) AS payments, (SELECT count(*)::int FROM payment_events) AS events',
    );
    expect(counts).toEqual({ payments: 1, events: 1 });
  });

  it('inserts nothing for a store it does not know', async () => {
    const unknown = await insertFirstAttempt(t.db, { ...attempt, storeId: 9999 });
    expect(unknown).toEqual({ payment: null, storeKnown: false, storeTokenSealed: null });
    const [count] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payments');
    expect(count!.n).toBe(0);
  });
});
