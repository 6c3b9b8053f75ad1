import request from 'supertest';
import { startEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../support/app';
import { openTestDb, testDatabases, type TestDb } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';
import { createProviderDouble } from '../support/providerDouble';

type Simulator = Awaited<ReturnType<typeof startEcwidSimulator>>;

describe.each(testDatabases())('payment journey with a provider double on %s', (kind) => {
  let t: TestDb;
  let ecwid: Simulator;
  let app: TestApp;
  let double: ReturnType<typeof createProviderDouble>;
  let flow: ReturnType<typeof paymentFlow>;

  beforeAll(async () => {
    t = await openTestDb(kind);
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
    double = createProviderDouble();
    const second = createProviderDouble({ id: 'double2', currencies: ['MXN'] });
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: `${ecwid.url}/api/v3`,
      providers: [double.provider, second.provider],
      defaultProviders: ['double', 'double2'],
    });
    flow = paymentFlow(app.url, ecwid);
  });
  afterAll(async () => {
    await app?.close();
    await ecwid?.close();
    await t?.dispose();
  });
  beforeEach(async () => {
    await t.reset();
    ecwid.state.reset();
    double.knobs.failCheckout = false;
    double.knobs.refuseCheckout = false;
    double.knobs.failStatus = false;
  });

  const paidUpdates = (storeId: number, ref: string) =>
    ecwid.state
      .updatesFor(storeId, ref)
      .filter((u) => u.status === 200 && (u.body as { paymentStatus?: string }).paymentStatus === 'PAID');

  it('paid → exactly one Ecwid PUT PAID, delivered after two failures and a 429 with Retry-After', async () => {
    const { json, paymentId } = await flow.start({ currency: 'CLP', total: 15990 });
    const { location, reference } = await flow.checkout(paymentId);
    expect(location).toMatch(/^https:\/\/pay\.double\.example\/checkout\//);

    ecwid.state.failNext(2, 503);
    ecwid.state.rateLimitNext(1);
    const res = await flow.notify({
      reference,
      status: 'paid',
      amount: 15990,
      currency: 'CLP',
      externalTransactionId: 'pay_123',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'applied', state: 'paid' });

    const ref = json.cart.order.referenceTransactionId;
    await eventually(() => expect(paidUpdates(json.storeId, ref)).toHaveLength(1));
    const all = ecwid.state.updatesFor(json.storeId, ref);
    expect(all.map((u) => u.status)).toEqual([503, 503, 429, 200]);
    expect(all[3]!.body).toEqual({ paymentStatus: 'PAID', externalTransactionId: 'pay_123' });
    expect(all.every((u) => u.authOk)).toBe(true);
    // The 429 asked for 1 s: the next attempt waited at least that long.
    expect(Date.parse(all[3]!.receivedAt) - Date.parse(all[2]!.receivedAt)).toBeGreaterThanOrEqual(950);
    expect(ecwid.state.getOrder(json.storeId, ref)!.paymentStatus).toBe('PAID');

    // The simulator answers before the app records the delivery: wait for the outbox to catch up.
    await eventually(async () => {
      const [outbox] = await t.db.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM ecwid_updates',
      );
      expect(outbox).toEqual({ status: 'delivered', attempts: 4 });
    });
  });

  it('duplicate and concurrent notifications apply once and update Ecwid once', async () => {
    const { json, paymentId } = await flow.start({ currency: 'MXN', total: 250 });
    const { reference } = await flow.checkout(paymentId, 'double');
    const body = {
      reference,
      status: 'paid' as const,
      amount: 25000,
      currency: 'MXN',
      externalTransactionId: 'pay_dup',
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => flow.notify(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((a) => a.body.result === 'applied')).toHaveLength(1);
    await eventually(() =>
      expect(paidUpdates(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1),
    );
    const transitions = await t.db.query("SELECT * FROM payment_events WHERE kind = 'transition'");
    expect(transitions).toHaveLength(1);
    // Nothing else is queued behind it.
    await app.sync.runOnce();
    expect(ecwid.state.updatesFor(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1);
  });

  it('a late "failed" never overwrites "paid"', async () => {
    const { json, paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
    const { reference } = await flow.checkout(paymentId);
    await flow.notify({ reference, status: 'paid', amount: 1000, currency: 'CLP' });
    const late = await flow.notify({ reference, status: 'failed', amount: 1000, currency: 'CLP' });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ result: 'unchanged', state: 'paid' });
    await eventually(() =>
      expect(paidUpdates(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1),
    );
    const statuses = ecwid.state
      .updatesFor(json.storeId, json.cart.order.referenceTransactionId)
      .map((u) => (u.body as { paymentStatus: string }).paymentStatus);
    expect(statuses).not.toContain('INCOMPLETE');
  });

  it('refuses forged, mismatched and unknown notifications, changing nothing', async () => {
    const { paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
    const { reference } = await flow.checkout(paymentId);
    const forged = await flow.notify(
      { reference, status: 'paid', amount: 1000, currency: 'CLP' },
      { signature: 'ab'.repeat(32) },
    );
    expect(forged.status).toBe(401);
    const cheaper = await flow.notify({ reference, status: 'paid', amount: 10, currency: 'CLP' });
    expect(cheaper.status).toBe(422);
    const otherCurrency = await flow.notify({ reference, status: 'paid', amount: 1000, currency: 'MXN' });
    expect(otherCurrency.status).toBe(422);
    const unknown = await flow.notify({
      reference: 'ref_ffff',
      status: 'paid',
      amount: 1000,
      currency: 'CLP',
    });
    expect(unknown.status).toBe(404);
    const noProvider = await request(app.url).post('/webhooks/nope').send({});
    expect(noProvider.status).toBe(404);
    expect(noProvider.headers['content-type']).toMatch(/json/);

    const [payment] = await t.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [
      paymentId,
    ]);
    expect(payment!.state).toBe('checkout_open');
    expect(await t.db.query('SELECT * FROM ecwid_updates')).toHaveLength(0);
    const mismatches = await t.db.query("SELECT * FROM payment_events WHERE kind = 'amount_mismatch'");
    expect(mismatches).toHaveLength(2);
  });

  it('a permanent Ecwid error (403: token revoked) is recorded for the merchant, not retried', async () => {
    const { json, paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
    const { reference } = await flow.checkout(paymentId);
    ecwid.state.setStoreToken(json.storeId, 'secret_someoneElse');
    await flow.notify({ reference, status: 'paid', amount: 1000, currency: 'CLP' });
    const outbox = await eventually(async () => {
      const [row] = await t.db.query<{ status: string; last_http_status: number; last_error: string }>(
        'SELECT * FROM ecwid_updates',
      );
      expect(row!.status).toBe('failed');
      return row!;
    });
    expect(outbox.last_http_status).toBe(403);
    expect(outbox.last_error).toMatch(/token is invalid or revoked/);
    await app.sync.runOnce();
    expect(ecwid.state.updatesFor(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1);
  });

  describe('checkout', () => {
    it('reuses the open provider checkout on re-entry', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
      const before = double.calls.createCheckout;
      const first = await flow.checkout(paymentId);
      const again = await flow.checkout(paymentId);
      expect(again.location).toBe(first.location);
      expect(double.calls.createCheckout).toBe(before + 1);
    });

    it('shows a chooser when several providers take the currency, in the shopper’s language', async () => {
      const { paymentId } = await flow.start({ currency: 'MXN', total: 99.9, lang: 'en' });
      const res = await request(app.url).get(`/pay/${paymentId}/checkout`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Choose how to pay');
      expect(res.text).toContain(`href="/pay/${paymentId}/checkout?provider=double"`);
      expect(res.text).toContain(`href="/pay/${paymentId}/checkout?provider=double2"`);
      expect(res.text).toMatch(/\$99\.90/);
      const chosen = await flow.checkout(paymentId, 'double');
      expect(chosen.location).toContain('pay.double.example');
    });

    it('no provider for the currency → a clear page with a way back to the store', async () => {
      const { json, paymentId } = await flow.start({ currency: 'USD', total: 10 });
      await app.db.query('UPDATE payments SET currency = $1 WHERE id = $2', ['PEN', paymentId]);
      const res = await request(app.url).get(`/pay/${paymentId}/checkout`);
      expect(res.status).toBe(422);
      expect(res.text).toContain('No hay un medio de pago disponible para PEN');
      const back = /id="back-to-store" href="([^"]+)"/.exec(res.text)![1]!.replace(/&amp;/g, '&');
      const url = new URL(back);
      expect(url.searchParams.get('errorMsg')).toContain('PEN');
      expect(url.searchParams.get('key')).toBe(new URL(json.returnUrl).searchParams.get('key'));
    });

    it('a provider failure gives a retry page and leaves the payment retryable', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
      double.knobs.failCheckout = true;
      const res = await request(app.url).get(`/pay/${paymentId}/checkout`);
      expect(res.status).toBe(502);
      expect(res.text).toContain(`href="/pay/${paymentId}/checkout"`);
      double.knobs.failCheckout = false;
      expect((await flow.checkout(paymentId)).location).toContain('pay.double.example');
    });

    it('a provider that refuses the order gives a way back to the store, not a useless retry', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 1000 });
      double.knobs.refuseCheckout = true;
      try {
        const res = await request(app.url).get(`/pay/${paymentId}/checkout`);
        expect(res.status).toBe(422);
        expect(res.text).toContain('Este medio de pago no puede procesar este pedido');
        expect(res.text).not.toContain('id="retry"');
        expect(res.text).toContain('id="back-to-store"');
      } finally {
        double.knobs.refuseCheckout = false;
      }
    });

    it('unknown payment ids get a 404 page', async () => {
      for (const path of [
        '/pay/AAAAAAAAAAAAAAAAAAAAAA/checkout',
        '/pay/short/checkout',
        '/return/AAAAAAAAAAAAAAAAAAAAAA',
      ]) {
        const res = await request(app.url).get(path);
        expect(res.status).toBe(404);
        expect(res.text).toContain('No encontramos este pago');
      }
      const status = await request(app.url).get('/pay/AAAAAAAAAAAAAAAAAAAAAA/status');
      expect(status.status).toBe(404);
      expect(status.body).toEqual({ error: 'payment_not_found' });
    });
  });

  describe('return to the store', () => {
    it('paid: Ecwid is updated before the 303 to returnUrl exactly as received', async () => {
      const { json, paymentId } = await flow.start({ currency: 'CLP', total: 5000 });
      const { reference } = await flow.checkout(paymentId);
      await app.sync.stop(); // only the return's own attempt can deliver
      double.setStatus(reference, 'paid', undefined, 'pay_ret');
      const res = await request(app.url).get(`/return/${paymentId}?status=ignored`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(json.returnUrl);
      expect(ecwid.state.getOrder(json.storeId, json.cart.order.referenceTransactionId)!.paymentStatus).toBe(
        'PAID',
      );
      app.sync.start();
    });

    it('a forged "?status=PAID" on the return changes nothing: the provider is asked', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 5000 });
      await flow.checkout(paymentId);
      const res = await request(app.url).get(`/return/${paymentId}?status=PAID&paymentStatus=PAID`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Estamos confirmando tu pago');
      expect(res.text).toContain(`data-status-url="/pay/${paymentId}/status"`);
      const status = await request(app.url).get(`/pay/${paymentId}/status`);
      expect(status.body).toEqual({ state: 'checkout_open', settled: false, next: `/return/${paymentId}` });
    });

    it('failed: Ecwid INCOMPLETE, then back to returnUrl with a localised errorMsg', async () => {
      const { json, paymentId } = await flow.start({ currency: 'CLP', total: 5000, lang: 'en' });
      const { reference } = await flow.checkout(paymentId);
      double.setStatus(reference, 'failed');
      const res = await request(app.url).get(`/return/${paymentId}`);
      expect(res.status).toBe(303);
      const location = new URL(String(res.headers.location));
      expect(location.searchParams.get('errorMsg')).toBe(
        'The payment was not completed. You can try again or choose another payment method.',
      );
      const original = new URL(json.returnUrl);
      for (const [k, v] of original.searchParams) expect(location.searchParams.get(k)).toBe(v);
      expect(location.origin + location.pathname).toBe(original.origin + original.pathname);
      expect(ecwid.state.getOrder(json.storeId, json.cart.order.referenceTransactionId)!.paymentStatus).toBe(
        'INCOMPLETE',
      );
      expect(
        ecwid.state.updatesFor(json.storeId, json.cart.order.referenceTransactionId).map((u) => u.body),
      ).toEqual([{ paymentStatus: 'INCOMPLETE' }]);
    });

    it('the processing page moves on once the status settles (awaiting payment)', async () => {
      const { json, paymentId } = await flow.start({ currency: 'MXN', total: 10 });
      const { reference } = await flow.checkout(paymentId, 'double');
      expect((await request(app.url).get(`/return/${paymentId}`)).status).toBe(200);
      await flow.notify({ reference, status: 'pending', amount: 1000, currency: 'MXN' });
      const status = await request(app.url).get(`/pay/${paymentId}/status`);
      expect(status.body).toMatchObject({ state: 'pending', settled: true });
      const res = await request(app.url).get(`/return/${paymentId}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(json.returnUrl);
      await eventually(() =>
        expect(
          ecwid.state.getOrder(json.storeId, json.cart.order.referenceTransactionId)!.paymentStatus,
        ).toBe('AWAITING_PAYMENT'),
      );
    });

    it('the status endpoint asks the provider, at most once per few seconds per payment', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 2222 });
      const { reference } = await flow.checkout(paymentId);
      const before = double.calls.fetchStatus;
      const open = await request(app.url).get(`/pay/${paymentId}/status`);
      expect(open.body).toMatchObject({ state: 'checkout_open', settled: false });
      double.setStatus(reference, 'paid');
      const throttled = await request(app.url).get(`/pay/${paymentId}/status`);
      expect(throttled.body).toMatchObject({ state: 'checkout_open', settled: false });
      expect(double.calls.fetchStatus).toBe(before + 1);
      // The shopper's "check again" link asks the provider directly.
      const back = await request(app.url).get(`/return/${paymentId}`);
      expect(back.status).toBe(303);
      const settled = await request(app.url).get(`/pay/${paymentId}/status`);
      expect(settled.body).toMatchObject({ state: 'paid', settled: true });
    });

    it('a return before any checkout was opened goes back to the checkout step', async () => {
      const { paymentId } = await flow.start({ currency: 'CLP', total: 3333 });
      const res = await request(app.url).get(`/return/${paymentId}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/pay/${paymentId}/checkout`);
    });

    it('a paid order clicked again goes straight back to the store', async () => {
      const { json, paymentId } = await flow.start({
        currency: 'CLP',
        total: 700,
        referenceTransactionId: 'transaction_again',
      });
      const { reference } = await flow.checkout(paymentId);
      await flow.notify({ reference, status: 'paid', amount: 700, currency: 'CLP' });
      const again = await flow.start({
        currency: 'CLP',
        total: 700,
        referenceTransactionId: 'transaction_again',
      });
      expect(again.paymentId).toBe(paymentId);
      expect(again.continueUrl).toBe(`/return/${paymentId}`);
      const res = await request(app.url).get(again.continueUrl);
      expect(res.headers.location).toBe(again.json.returnUrl);
      expect(json.returnUrl).not.toBe(again.json.returnUrl);
    });

    it('a second paid attempt for the same order is flagged for refund, never sent to Ecwid', async () => {
      const first = await flow.start({
        currency: 'CLP',
        total: 700,
        referenceTransactionId: 'transaction_twice',
      });
      const a = await flow.checkout(first.paymentId);
      // The cart changed, so a second attempt opened; then both got paid at the provider.
      const second = await flow.start({
        currency: 'CLP',
        total: 800,
        referenceTransactionId: 'transaction_twice',
      });
      const b = await flow.checkout(second.paymentId);
      expect(
        (await flow.notify({ reference: b.reference, status: 'paid', amount: 800, currency: 'CLP' })).body
          .result,
      ).toBe('applied');
      expect(
        (await flow.notify({ reference: a.reference, status: 'paid', amount: 700, currency: 'CLP' })).body
          .result,
      ).toBe('duplicate_paid');
      const rows = await t.db.query<{ id: string; attention: string | null }>(
        'SELECT id, attention FROM payments ORDER BY attempt',
      );
      expect(rows).toEqual([
        { id: first.paymentId, attention: 'duplicate_payment_refund_needed' },
        { id: second.paymentId, attention: null },
      ]);
      await eventually(() => expect(paidUpdates(first.json.storeId, 'transaction_twice')).toHaveLength(1));
    });
  });

  describe('reconciliation', () => {
    const age = (paymentId: string) =>
      t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id = $1", [paymentId]);

    it('settles a payment whose notification was lost, once, even with two reconcilers at once', async () => {
      const { json, paymentId } = await flow.start({ currency: 'CLP', total: 6100 });
      const { reference } = await flow.checkout(paymentId);
      const fresh = await flow.start({ currency: 'CLP', total: 6200 });
      await flow.checkout(fresh.paymentId);
      double.setStatus(reference, 'paid', undefined, 'pay_lost');
      await age(paymentId);

      const before = double.calls.fetchStatus;
      const rounds = await Promise.all([app.reconciler.runOnce(), app.reconciler.runOnce()]);
      // Only the old payment is asked about, by one of the two rounds.
      expect(rounds.map((r) => r.checked).sort()).toEqual([0, 1]);
      expect(double.calls.fetchStatus).toBe(before + 1);
      await eventually(() =>
        expect(paidUpdates(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1),
      );
      const [row] = await t.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [
        paymentId,
      ]);
      expect(row!.state).toBe('paid');
      const [untouched] = await t.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [
        fresh.paymentId,
      ]);
      expect(untouched!.state).toBe('checkout_open');
    });

    it('asks again only after the recheck delay, and keeps watching a pending payment', async () => {
      const { paymentId } = await flow.start({ currency: 'MXN', total: 50 });
      const { reference } = await flow.checkout(paymentId, 'double');
      double.setStatus(reference, 'pending');
      await age(paymentId);
      expect(await app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
      await age(paymentId);
      expect(await app.reconciler.runOnce()).toEqual({ checked: 0, changed: 0 });
      await t.db.query("UPDATE payments SET next_check_at = now() - interval '1 second' WHERE id = $1", [
        paymentId,
      ]);
      double.setStatus(reference, 'paid');
      expect(await app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
    });
  });

  it('keeps the client secret, store token, emails and phones out of the logs', async () => {
    const { json, paymentId } = await flow.start({
      currency: 'CLP',
      total: 4321,
      token: 'secret_logProbeToken987654',
    });
    const { reference } = await flow.checkout(paymentId);
    await flow.notify({ reference, status: 'paid', amount: 4321, currency: 'CLP' });
    await request(app.url).get(`/return/${paymentId}`);
    await eventually(() =>
      expect(paidUpdates(json.storeId, json.cart.order.referenceTransactionId)).toHaveLength(1),
    );
    const logs = app.logs.text;
    expect(logs).toContain(paymentId);
    for (const secret of [
      'secret_logProbeToken987654',
      TEST_CLIENT_SECRET,
      app.config.secretKey,
      json.cart.order.email,
      json.cart.order.billingPerson?.phone ?? '',
      'double-secret-',
      'enc_data',
    ].filter(Boolean)) {
      expect(logs).not.toContain(secret);
    }
    // Every request line carries a request id.
    const requestLines = app.logs.entries().filter((e) => e.req);
    expect(requestLines.length).toBeGreaterThan(0);
    expect(requestLines.every((e) => typeof (e.req as { id?: unknown }).id === 'string')).toBe(true);
  });
});
