/**
 * The changes made for throughput keep their guarantees: an order's first request is one statement
 * (no transaction) yet every re-entry rule still holds; the store token is written only when it
 * changed; the Ecwid outbox worker keeps going while there is work, delivers a batch side by side,
 * and still delivers each update once.
 */
import { createEcwidClient } from '../../src/ecwid/client';
import { readPaymentRequest, type PaymentRequest } from '../../src/ecwid/paymentRequest';
import { createLogger } from '../../src/logger';
import { applyProviderStatus } from '../../src/payments/applyProviderStatus';
import { EcwidSync, enqueueEcwidUpdate } from '../../src/payments/ecwidSync';
import { findPayment } from '../../src/payments/repository';
import { startPayment } from '../../src/payments/startPayment';
import { buildPaymentRequest, encryptPaymentRequest } from '../../src/sandbox/ecwid/payload';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { createSecrets } from '../../src/secrets';
import { TEST_CLIENT_SECRET, TEST_SECRET_KEY } from '../support/app';
import { openTestDb, testDatabases, type TestDb } from '../support/db';
import { eventually } from '../support/flow';

const secrets = createSecrets(TEST_SECRET_KEY);
const logger = createLogger({ level: 'silent' });

/** A payment request exactly as the route reads it. */
function paymentRequest(input: Parameters<typeof buildPaymentRequest>[0] = {}): PaymentRequest {
  const json = buildPaymentRequest({ currency: 'CLP', total: 5000, ...input });
  const read = readPaymentRequest(encryptPaymentRequest(json, TEST_CLIENT_SECRET), TEST_CLIENT_SECRET);
  if (!read.ok) throw new Error(`invalid test request: ${JSON.stringify(read.error)}`);
  return read.request;
}

describe.each(testDatabases())('throughput paths keep their guarantees on %s', (kind) => {
  let t: TestDb;
  let ecwid: RunningEcwidSimulator;
  const syncs: EcwidSync[] = [];

  beforeAll(async () => {
    t = await openTestDb(kind);
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
  });
  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((s) => s.stop()));
    ecwid.state.reset();
    await t.reset();
  });
  afterAll(async () => {
    await ecwid?.close();
    await t?.dispose();
  });

  const deps = () => ({ db: t.db, secrets });
  const storeRow = async (storeId: number) =>
    (
      await t.db.query<{ token_sealed: string | null; updated_at: Date | string }>(
        'SELECT token_sealed, updated_at FROM stores WHERE store_id = $1',
        [storeId],
      )
    )[0];

  it('first request: the payment and its created event together; re-entry, amount change and paid orders as before', async () => {
    const first = paymentRequest({ storeId: 7001, referenceTransactionId: 'transaction_1' });
    const created = await startPayment(deps(), first);
    expect(created.kind).toBe('created');
    expect(created.payment).toMatchObject({ attempt: 1, state: 'created', total: first.total });
    const events = await t.db.query<{ kind: string; to_state: string; source: string }>(
      'SELECT kind, to_state, source FROM payment_events WHERE payment_id = $1',
      [created.payment.id],
    );
    expect(events).toEqual([{ kind: 'created', to_state: 'created', source: 'ecwid' }]);

    // Same order, same amount: the same payment, with the latest returnUrl.
    const again = { ...first, returnUrl: `${first.returnUrl}&again=1` };
    const reused = await startPayment(deps(), again);
    expect(reused).toMatchObject({
      kind: 'reused',
      payment: { id: created.payment.id, returnUrl: again.returnUrl },
    });

    // Amount changed: the open attempt is cancelled, attempt 2 starts.
    const changed = await startPayment(deps(), { ...first, total: { amount: 6000, currency: 'CLP' } });
    expect(changed).toMatchObject({ kind: 'created', payment: { attempt: 2 } });
    expect((await findPayment(t.db, created.payment.id))!.state).toBe('cancelled');

    // Paid: a new click goes back to the store, and never opens a fresh first attempt.
    const sync = new EcwidSync({ db: t.db, ecwid: createEcwidClient(ecwid.apiUrl), secrets, logger });
    await applyProviderStatus(
      { db: t.db, logger, sync },
      changed.payment.id,
      {
        status: 'paid',
        amount: { amount: 6000, currency: 'CLP' },
      },
      'test',
    );
    const afterPaid = await startPayment(deps(), { ...first, total: { amount: 6000, currency: 'CLP' } });
    expect(afterPaid).toMatchObject({ kind: 'already_paid', payment: { id: changed.payment.id } });
    const rows = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payments WHERE reference_transaction_id = 'transaction_1'",
    );
    expect(rows[0]!.n).toBe(2);
  });

  it('twenty first requests for one order at once: one payment, the others reuse it', async () => {
    const request = paymentRequest({ storeId: 7002, referenceTransactionId: 'transaction_2' });
    const results = await Promise.all(Array.from({ length: 20 }, () => startPayment(deps(), request)));
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'reused')).toHaveLength(19);
    const [events] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payment_events WHERE kind = 'created'",
    );
    expect(events!.n).toBe(1);
  });

  it('the store token: saved on first sight, rewritten only when Ecwid sends another, restored after a purge', async () => {
    const storeId = 7003;
    await startPayment(deps(), paymentRequest({ storeId, token: 'secret_first_token_0001' }));
    const saved = (await storeRow(storeId))!;
    expect(secrets.unseal(saved.token_sealed!)).toBe('secret_first_token_0001');

    // Same token, another order: the row is not written again.
    await startPayment(deps(), paymentRequest({ storeId, token: 'secret_first_token_0001' }));
    expect(await storeRow(storeId)).toEqual(saved);

    // A new token (reinstall, rotation): kept.
    await startPayment(deps(), paymentRequest({ storeId, token: 'secret_second_token_002' }));
    expect(secrets.unseal((await storeRow(storeId))!.token_sealed!)).toBe('secret_second_token_002');

    // Uninstalled (token forgotten), then a payment request with a token again: stored again.
    await t.db.query('UPDATE stores SET token_sealed = NULL WHERE store_id = $1', [storeId]);
    await startPayment(deps(), paymentRequest({ storeId, token: 'secret_second_token_002' }));
    expect(secrets.unseal((await storeRow(storeId))!.token_sealed!)).toBe('secret_second_token_002');
  });

  /** `n` paid payments of one store with their Ecwid updates queued, the orders known to the simulator. */
  async function queued(n: number) {
    const refs: string[] = [];
    for (let i = 0; i < n; i++) {
      const json = buildPaymentRequest({
        storeId: 7004,
        currency: 'CLP',
        total: 1000 + i,
        simulatorBaseUrl: ecwid.url,
      });
      ecwid.state.registerRequest(json);
      const read = readPaymentRequest(encryptPaymentRequest(json, TEST_CLIENT_SECRET), TEST_CLIENT_SECRET);
      if (!read.ok) throw new Error('bad request');
      const { payment } = await startPayment(deps(), read.request);
      await enqueueEcwidUpdate(t.db, payment, { paymentStatus: 'PAID' });
      refs.push(json.cart.order.referenceTransactionId);
    }
    return refs;
  }
  const delivered = (refs: string[]) =>
    refs.map((ref) => ecwid.state.updatesFor(7004, ref).filter((u) => u.status === 200).length);

  it('the worker keeps going while there is work: 23 updates, batches of 5, no pause between rounds', async () => {
    const refs = await queued(23);
    // A poll interval far longer than the test: only back-to-back rounds can deliver everything.
    const sync = new EcwidSync(
      { db: t.db, ecwid: createEcwidClient(ecwid.apiUrl), secrets, logger },
      { pollMs: 600_000, batchSize: 5, concurrency: 2 },
    );
    syncs.push(sync);
    sync.start();
    await eventually(() => expect(delivered(refs)).toEqual(Array(23).fill(1)));

    // A kick during a round is not lost: what is queued meanwhile goes out without waiting a poll.
    ecwid.state.delayMs = 150;
    const more = await queued(3);
    sync.kick();
    const late = await queued(2);
    sync.kick();
    await eventually(() => expect(delivered([...more, ...late])).toEqual(Array(5).fill(1)));
    expect(delivered(refs)).toEqual(Array(23).fill(1));
  });

  it('a batch goes out side by side, never more at once than the configured concurrency', async () => {
    const refs = await queued(12);
    ecwid.state.delayMs = 300;
    const sync = new EcwidSync(
      { db: t.db, ecwid: createEcwidClient(ecwid.apiUrl), secrets, logger },
      { pollMs: 600_000, batchSize: 12, concurrency: 4 },
    );
    syncs.push(sync);
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, ecwid.state.faults.held)), 10);
    try {
      sync.start();
      await eventually(() => expect(ecwid.state.faults.held).toBe(4));
      await eventually(() => expect(delivered(refs)).toEqual(Array(12).fill(1)));
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBe(4);
    // Ecwid answers before the worker records each delivery: wait for the outbox to catch up.
    await eventually(async () => {
      const rows = await t.db.query<{ status: string }>('SELECT DISTINCT status FROM ecwid_updates');
      expect(rows).toEqual([{ status: 'delivered' }]);
    });
  });
});
