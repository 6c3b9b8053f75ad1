import request from 'supertest';
import { findPayment } from '../../src/payments/repository';
import { ecartNotificationHeaders } from '../../src/sandbox/ecartpay/state';
import { testDatabases } from '../support/db';
import { simulatedEcartPay, type EcartPayHarness } from '../support/ecartpay';
import { eventually } from '../support/flow';
import { startHarness } from '../support/harness';

const KEYS = {
  publicKey: 'pub_attack_test_1a2b3c',
  privateKey: 'prv_attack_test_4d5e6f7a',
  webhookSecret: 'whsec_attack_test_8b9c0d',
};

/** The provider's per-request timeout here: order creation slower than this is a timeout. */
const TIMEOUT_MS = 1_500;

describe.each(testDatabases())('Ecart Pay: bad input and attacks are refused on %s', (kind) => {
  let h: EcartPayHarness;

  beforeAll(async () => {
    h = await startHarness(kind, simulatedEcartPay({ ...KEYS, timeoutMs: TIMEOUT_MS }));
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
    h.provider.client.forgetTokens();
  });

  /** A payment with its Ecart order open (the shopper is on Ecart's page). */
  async function openPayment(total = 300) {
    const started = await h.flow.start({ currency: 'MXN', total });
    const res = await request(h.app.url).get(`/pay/${started.paymentId}/checkout`);
    expect(res.status).toBe(303);
    const orderId = new URL(String(res.headers.location)).searchParams.get('id')!;
    return { ...started, orderId, order: h.sim.state.getOrder(orderId)! };
  }

  /** Posts a notification as Ecart would, signed with `secret` unless headers are given. */
  function notify(
    paymentId: string | null,
    body: unknown,
    opts: { headers?: Record<string, string>; secret?: string; timestamp?: number; webhookId?: string } = {},
  ) {
    const data = (body as { data?: unknown }).data;
    const headers =
      opts.headers ??
      ecartNotificationHeaders(opts.secret ?? KEYS.webhookSecret, data, {
        ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
        ...(opts.webhookId !== undefined ? { webhookId: opts.webhookId } : {}),
      });
    return request(h.app.url)
      .post(paymentId ? `/webhooks/ecartpay/${paymentId}` : '/webhooks/ecartpay')
      .set('Content-Type', 'application/json')
      .set(headers)
      .send(JSON.stringify(body));
  }

  const state = async (paymentId: string) => (await findPayment(h.t.db, paymentId))!.state;
  const noEcwidUpdate = async () => expect(await h.t.db.query('SELECT * FROM ecwid_updates')).toHaveLength(0);

  it('a notification claiming "paid" while the API says "created" changes nothing', async () => {
    const { paymentId, orderId } = await openPayment();
    const res = await notify(paymentId, {
      event: 'orders.confirmation',
      data: { id: orderId, status: 'paid' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, result: 'unchanged', state: 'checkout_open' });
    expect(h.sim.state.callsTo('getOrder')).toHaveLength(1);
    expect(await state(paymentId)).toBe('checkout_open');
    await noEcwidUpdate();
  });

  it('a bad or missing signature is refused (401) before anything is fetched', async () => {
    const { paymentId, orderId } = await openPayment();
    h.sim.state.setStatus(h.sim.state.getOrder(orderId)!, 'paid', { notify: false });
    const body = { event: 'orders.confirmation', data: { id: orderId, status: 'paid' } };

    const otherSecret = await notify(paymentId, body, { secret: 'whsec_guessed' });
    expect(otherSecret.status).toBe(401);
    expect(otherSecret.body).toEqual({
      error: 'notification_refused',
      reason: 'signature refused (mismatch)',
    });

    const unsigned = await notify(paymentId, body, { headers: {} });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.reason).toBe('signature refused (missing_headers)');

    // Signed over other data, then altered.
    const signedFor = ecartNotificationHeaders(KEYS.webhookSecret, { id: orderId, status: 'created' });
    expect((await notify(paymentId, body, { headers: signedFor })).status).toBe(401);

    const garbled = {
      ...ecartNotificationHeaders(KEYS.webhookSecret, body.data),
      'x-pay-signature': 'SHA256=nothex',
    };
    expect((await notify(paymentId, body, { headers: garbled })).body.reason).toBe(
      'signature refused (malformed)',
    );

    // Correctly signed, but captured long ago.
    const stale = await notify(paymentId, body, { timestamp: Date.now() - 6 * 60_000 });
    expect(stale.status).toBe(401);
    expect(stale.body.reason).toBe('signature refused (stale)');

    expect(h.sim.state.callsTo('getOrder')).toHaveLength(0);
    expect(await state(paymentId)).toBe('checkout_open');
    await noEcwidUpdate();
    // The genuine one still works.
    const genuine = await notify(paymentId, body);
    expect(genuine.body).toMatchObject({ result: 'applied', state: 'paid' });
  });

  it('a replayed webhook id is acknowledged but not acted upon (nothing fetched, nothing changed)', async () => {
    const { paymentId, orderId } = await openPayment();
    const body = { event: 'orders.update', data: { id: orderId, status: 'created' } };
    const headers = ecartNotificationHeaders(KEYS.webhookSecret, body.data, { webhookId: 'hook_replayed_1' });
    expect((await notify(paymentId, body, { headers })).body).toMatchObject({ result: 'unchanged' });
    expect(h.sim.state.callsTo('getOrder')).toHaveLength(1);

    // The order is paid meanwhile; replaying the old delivery must not be what acts on it.
    h.sim.state.setStatus(h.sim.state.getOrder(orderId)!, 'paid', { notify: false });
    const replay = await notify(paymentId, body, { headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ ok: true, ignored: 'webhook id already received' });
    expect(h.sim.state.callsTo('getOrder')).toHaveLength(1);
    expect(await state(paymentId)).toBe('checkout_open');
    const [row] = await h.t.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM webhook_receipts WHERE provider = 'ecartpay' AND receipt_id = 'hook_replayed_1'",
    );
    expect(row!.n).toBe('1');
  });

  it('a notification for another payment’s order is refused (409), whichever URL it is replayed to', async () => {
    const a = await openPayment(100);
    const b = await openPayment(200);
    h.sim.state.setStatus(h.sim.state.getOrder(b.orderId)!, 'paid', { notify: false });
    const res = await notify(a.paymentId, {
      event: 'orders.confirmation',
      data: { id: b.orderId, status: 'paid' },
    });
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('the order is not this payment’s Ecart Pay order');
    expect(await state(a.paymentId)).toBe('checkout_open');
    expect(await state(b.paymentId)).toBe('checkout_open');
    expect(h.sim.state.callsTo('getOrder')).toHaveLength(0);
    // An order nobody here knows, without a payment in the URL: 404.
    const unknown = await notify(null, {
      event: 'orders.confirmation',
      data: { id: 'ffffffffffffffffffffffff', status: 'paid' },
    });
    expect(unknown.status).toBe(404);
    // A payment id that does not exist: 404.
    const ghost = await notify('AAAAAAAAAAAAAAAAAAAAAA', { data: { id: a.orderId, status: 'paid' } });
    expect(ghost.status).toBe(404);
    await noEcwidUpdate();
  });

  it('malformed notifications are refused with 400', async () => {
    const { paymentId, orderId } = await openPayment();
    const notJson = await request(h.app.url)
      .post(`/webhooks/ecartpay/${paymentId}`)
      .set('Content-Type', 'application/json')
      .send('{"data": {"id": ');
    expect(notJson.status).toBe(400);
    expect((await notify(paymentId, { data: { status: 'paid' } })).status).toBe(400);
    expect((await notify(paymentId, { data: { id: `${orderId}/../x`, status: 'paid' } })).status).toBe(400);
    expect(await state(paymentId)).toBe('checkout_open');
  });

  it('totals that do not match at order creation: the shopper is not sent to Ecart, nothing is stored', async () => {
    h.sim.state.skewNextTotals(1); // Ecart computes one cent more than the items
    const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 300 });
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    // Refused, not retryable: a clear page and a way back to the store (Ecwid INCOMPLETE).
    expect(res.status).toBe(422);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('Este medio de pago no puede procesar este pedido');
    const [order] = h.sim.state.listOrders();
    expect(order!.totals.total).toBe(300.01);
    expect(res.text).not.toContain(order!.pay_link);
    const payment = (await findPayment(h.t.db, paymentId))!;
    expect(payment).toMatchObject({
      state: 'created',
      provider: null,
      providerReference: null,
      checkoutUrl: null,
    });
    expect(h.app.logs.text).toMatch(
      /"kind":"amount_mismatch".*Ecart Pay computed 300.01 MXN for a payment of 300.00 MXN/,
    );
    await noEcwidUpdate();
    // Nothing was charged and nothing is stuck: a later attempt computed right goes through.
    const again = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(h.sim.state.listOrders()[1]!.pay_link);
    expect(h.ecwidOrder(json)!.paymentStatus).toBe('INCOMPLETE');
  });

  it('totals that do not match on a later answer (amount or currency): 422, nothing changed', async () => {
    const { paymentId, orderId } = await openPayment(300);
    const order = h.sim.state.getOrder(orderId)!;
    h.sim.state.setStatus(order, 'paid', { notify: false });
    h.sim.state.setOrderTotal(order, 3.0);
    const cheaper = await notify(paymentId, {
      event: 'orders.confirmation',
      data: { id: orderId, status: 'paid' },
    });
    expect(cheaper.status).toBe(422);
    h.sim.state.setOrderTotal(order, 300, 'USD');
    const otherCurrency = await notify(paymentId, {
      event: 'orders.confirmation',
      data: { id: orderId, status: 'paid' },
    });
    expect(otherCurrency.status).toBe(422);
    // The return's status pull refuses it too: the shopper waits on the processing page.
    const ret = await request(h.app.url).get(`/return/${paymentId}`);
    expect(ret.status).toBe(200);
    expect(await state(paymentId)).toBe('checkout_open');
    expect(await h.t.db.query("SELECT * FROM payment_events WHERE kind = 'amount_mismatch'")).toHaveLength(3);
    await noEcwidUpdate();
  });

  it('an expired token mid-flow is refreshed transparently at order creation', async () => {
    await openPayment(10); // caches a token
    h.sim.state.expireAllTokens();
    // A guest: a logged-in shopper's checkout creates an Ecart customer first (saved cards).
    const { paymentId } = await h.flow.start({ currency: 'MXN', total: 20, customerId: null });
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(303);
    expect(h.sim.state.callsTo('createOrder').map((c) => [c.auth, c.status])).toEqual([
      ['ok', 200],
      ['expired', 401],
      ['ok', 200],
    ]);
    // Exactly one order for the second payment: the refused request created nothing.
    expect(h.sim.state.listOrders()).toHaveLength(2);
  });

  it('Ecart answering 500 at order creation: a retry page, the payment stays retryable', async () => {
    h.sim.state.failNext(1, 500, 'createOrder');
    const { paymentId } = await h.flow.start({ currency: 'MXN', total: 42 });
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(502);
    expect(res.text).toContain('El medio de pago no respondió');
    expect(await state(paymentId)).toBe('created');
    expect(h.app.logs.text).toContain('Ecart Pay answered 500: Simulated failure (HTTP 500)');
    const retry = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(retry.status).toBe(303);
    expect(await state(paymentId)).toBe('checkout_open');
  });

  it('Ecart timing out at order creation: a retry page after the timeout, never a hang', async () => {
    h.sim.state.slowAnswers(TIMEOUT_MS + 1_000, 'createOrder');
    const { paymentId } = await h.flow.start({ currency: 'MXN', total: 43 });
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(502);
    expect(await state(paymentId)).toBe('created');
    expect(h.app.logs.text).toContain('Ecart Pay did not answer in time');
    h.sim.state.clearFaults();
    const retry = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(retry.status).toBe(303);
    const payment = (await findPayment(h.t.db, paymentId))!;
    expect(retry.headers.location).toBe(payment.checkoutUrl);
    // The slow order is only known to Ecart (the shopper never saw its pay_link).
    await eventually(() => expect(h.sim.state.listOrders()).toHaveLength(2));
    expect(h.sim.state.listOrders().filter((o) => o.id === payment.providerReference)).toHaveLength(1);
  });

  it('Ecart unreachable during a notification: 503, and the webhook id is forgotten so the retry is processed', async () => {
    const { paymentId, orderId } = await openPayment();
    h.sim.state.setStatus(h.sim.state.getOrder(orderId)!, 'paid', { notify: false });
    const body = { event: 'orders.confirmation', data: { id: orderId, status: 'paid' } };
    const headers = ecartNotificationHeaders(KEYS.webhookSecret, body.data, { webhookId: 'hook_retry_me' });
    h.sim.state.failNext(1, 500, 'getOrder');
    const first = await notify(paymentId, body, { headers });
    expect(first.status).toBe(503);
    expect(
      await h.t.db.query("SELECT * FROM webhook_receipts WHERE receipt_id = 'hook_retry_me'"),
    ).toHaveLength(0);
    const again = await notify(paymentId, body, { headers });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ result: 'applied', state: 'paid' });
  });
});
