import request from 'supertest';
import { findPayment } from '../../src/payments/repository';
import { CONEKTA_ACCEPT, ORDER_MARKER } from '../../src/providers/conekta/schemas';
import type { SimOrderRecord } from '../../src/sandbox/conekta/state';
import { simulatedConekta, type ConektaHarness } from '../support/conekta';
import { testDatabases } from '../support/db';
import { eventually } from '../support/flow';
import { startHarness, type EcwidOrderRef } from '../support/harness';
import { CARD_DECLINED, CARD_OK, cardFields, get, linkHref, submit } from '../unit/conekta/helpers';

const KEY = 'key_ConektaFlowProbe7c1e9a';
const STORE_TOKEN = 'secret_ConektaFlowStoreToken42';

describe.each(testDatabases())('Conekta payments through the app on %s', (kind) => {
  let h: ConektaHarness;

  beforeAll(async () => {
    h = await startHarness(kind, simulatedConekta({ privateKey: KEY, timeoutMs: 3_000 }));
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
    h.sim.state.webhookRetries = 2;
  });

  const ecwidStatus = (json: EcwidOrderRef) => h.ecwidOrder(json)?.paymentStatus;
  const ecwidBodies = (json: EcwidOrderRef) =>
    h
      .ecwidUpdates(json)
      .filter((u) => u.status === 200)
      .map((u) => u.body as Record<string, string>);
  const transitions = async (id: string) =>
    (
      await h.t.db.query<{ to_state: string }>(
        "SELECT to_state FROM payment_events WHERE payment_id = $1 AND kind = 'transition' ORDER BY id",
        [id],
      )
    ).map((r) => r.to_state);

  /** "Go to Payment" in MXN, then the app's 303 to Conekta's hosted page, exactly as Conekta returned it. */
  async function startAtConekta(input: Parameters<typeof h.flow.start>[0] = {}) {
    // A guest: a logged-in shopper's checkout creates a Conekta customer first (saved cards).
    const started = await h.flow.start({ currency: 'MXN', token: STORE_TOKEN, customerId: null, ...input });
    const res = await request(h.app.url).get(`/pay/${started.paymentId}/checkout`);
    expect(res.status).toBe(303);
    const record = h.sim.state
      .listOrders()
      .find((r) => r.order.metadata.payment_id === started.paymentId) as SimOrderRecord;
    expect(res.headers.location).toBe(record.order.checkout!.url);
    const page = await get(record.order.checkout!.url);
    expect(page.status).toBe(200);
    return { ...started, record, orderId: record.order.id, checkoutUrl: record.order.checkout!.url, page };
  }

  it('card approved: PAID with the charge id, the shopper back on the exact returnUrl', async () => {
    const s = await startAtConekta({ total: 2014.97, email: 'ana.flow@example.com' });
    // What the app sent Conekta.
    const create = h.sim.state.requests.find((r) => r.method === 'POST' && r.path === '/orders')!;
    expect(create).toMatchObject({
      accept: CONEKTA_ACCEPT,
      acceptLanguage: 'es',
      auth: 'ok',
      authScheme: 'Bearer',
    });
    const body = create.body as {
      customer_info: Record<string, string>;
      line_items: { unit_price: number; quantity: number }[];
      metadata: Record<string, string>;
      checkout: Record<string, unknown>;
    };
    expect(body.line_items.reduce((sum, l) => sum + l.unit_price * l.quantity, 0)).toBe(201497);
    expect(body.metadata).toEqual({
      integration: ORDER_MARKER,
      ecwid_store_id: String(s.json.storeId),
      ecwid_order_id: s.json.cart.order.id,
      ecwid_reference_transaction_id: s.json.cart.order.referenceTransactionId,
      payment_id: s.paymentId,
    });
    expect(body.customer_info).toMatchObject({
      email: 'ana.flow@example.com',
      name: 'María José González',
      phone: '+525512345678',
    });
    expect(body.checkout).toMatchObject({
      type: 'HostedPayment',
      success_url: `${h.app.url}/return/${s.paymentId}`,
      failure_url: `${h.app.url}/return/${s.paymentId}`,
      allowed_payment_methods: ['card', 'cash', 'bank_transfer'],
    });
    expect(s.record.order.amount).toBe(201497);

    const paid = await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    expect(paid.status).toBe(303);
    expect(paid.location!.startsWith(`${h.app.url}/return/${s.paymentId}?`)).toBe(true);
    const back = await get(paid.location!);
    expect(back.status).toBe(303);
    expect(back.location).toBe(s.json.returnUrl);
    expect(ecwidStatus(s.json)).toBe('PAID');

    const chargeId = h.sim.state.getOrder(s.orderId)!.order.charges.data[0]!.id;
    await h.sim.state.settled();
    expect(ecwidBodies(s.json)).toEqual([{ paymentStatus: 'PAID', externalTransactionId: chargeId }]);
    expect(await h.paymentRow(s.paymentId)).toMatchObject({
      state: 'paid',
      provider_reference: s.orderId,
      external_transaction_id: chargeId,
    });
    // The order.paid webhook came too, and changed nothing more.
    expect(h.sim.state.deliveriesFor(s.orderId).map((d) => d.status)).toEqual([200]);
    expect(await transitions(s.paymentId)).toEqual(['paid']);
  });

  it('card declined: INCOMPLETE with Conekta’s reason, the shopper back with errorMsg', async () => {
    const s = await startAtConekta({ total: 350, lang: 'en' });
    const declined = await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_DECLINED));
    expect(declined.status).toBe(303);
    const back = await get(declined.location!);
    expect(back.status).toBe(303);
    const location = new URL(back.location!);
    expect(location.searchParams.get('errorMsg')).toBe(
      'The payment was not completed. You can try again or choose another payment method.',
    );
    const original = new URL(s.json.returnUrl);
    for (const [k, v] of original.searchParams) expect(location.searchParams.get(k)).toBe(v);
    expect(ecwidStatus(s.json)).toBe('INCOMPLETE');
    await h.sim.state.settled();
    expect(ecwidBodies(s.json)).toEqual([
      { paymentStatus: 'INCOMPLETE', paymentMessage: 'Insufficient funds.' },
    ]);
    expect((await h.paymentRow(s.paymentId)).state).toBe('failed');
  });

  it('OXXO: AWAITING_PAYMENT on return, then PAID when paid at the store', async () => {
    const s = await startAtConekta({ total: 499.5 });
    const issued = await submit(s.checkoutUrl, s.page.html, 'cash-form');
    const voucherUrl = new URL(issued.location!, h.sim.url).toString();
    const voucher = await get(voucherUrl);
    expect(voucher.html).toContain('id="voucher-reference"');
    const back = await get(linkHref(voucher.html, 'back-to-merchant'));
    expect(back.status).toBe(303);
    expect(back.location).toBe(s.json.returnUrl);
    expect(ecwidStatus(s.json)).toBe('AWAITING_PAYMENT');
    await h.sim.state.settled();
    expect((await h.paymentRow(s.paymentId)).state).toBe('pending');

    // Days later, at the store.
    const paid = await submit(voucherUrl, voucher.html, 'simulate-payment-form');
    expect(paid.status).toBe(200);
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
    const chargeId = h.sim.state.getOrder(s.orderId)!.order.charges.data[0]!.id;
    expect(ecwidBodies(s.json)).toEqual([
      { paymentStatus: 'AWAITING_PAYMENT' },
      { paymentStatus: 'PAID', externalTransactionId: chargeId },
    ]);
    expect(await transitions(s.paymentId)).toEqual(['pending', 'paid']);
  });

  it('SPEI reference issued: the webhook alone makes the order AWAITING_PAYMENT', async () => {
    const s = await startAtConekta({ total: 1200 });
    await submit(s.checkoutUrl, s.page.html, 'spei-form');
    await eventually(() => expect(ecwidStatus(s.json)).toBe('AWAITING_PAYMENT'));
    expect((await h.paymentRow(s.paymentId)).state).toBe('pending');
  });

  it('expiry: order.expired, re-confirmed with Conekta, makes the order INCOMPLETE', async () => {
    const s = await startAtConekta({ total: 89.9 });
    h.sim.state.expire(s.record);
    await eventually(async () => expect((await h.paymentRow(s.paymentId)).state).toBe('expired'));
    await eventually(() =>
      expect(ecwidBodies(s.json)).toEqual([
        { paymentStatus: 'INCOMPLETE', paymentMessage: 'The Conekta checkout expired without a payment' },
      ]),
    );
    const back = await get(`${h.app.url}/return/${s.paymentId}`);
    expect(back.status).toBe(303);
    expect(new URL(back.location!).searchParams.get('errorMsg')).toMatch(/no se completó/);
  });

  it('an order.expired whose order Conekta says is paid (paid at the last minute) makes it PAID', async () => {
    const s = await startAtConekta({ total: 75 });
    h.sim.state.loseNextWebhooks(1);
    await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await h.sim.state.settled();
    const stale = {
      id: 'evt_expired_late',
      object: 'event',
      type: 'order.expired',
      livemode: false,
      data: {
        object: { id: s.orderId, object: 'order', payment_status: 'expired' },
        previous_attributes: {},
      },
    };
    const res = await request(h.app.url)
      .post('/webhooks/conekta')
      .set('Content-Type', 'application/json')
      .send(stale);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'applied', state: 'paid' });
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
  });

  it('duplicate and concurrent webhooks apply once and update Ecwid once', async () => {
    const s = await startAtConekta({ total: 250 });
    h.sim.state.duplicateNextWebhooks(1);
    await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await eventually(() =>
      expect(h.sim.state.deliveriesFor(s.orderId).map((d) => d.status)).toEqual([200, 200]),
    );
    const answers = h.sim.state
      .deliveriesFor(s.orderId)
      .map((d) => JSON.parse(d.response!) as { result: string });
    expect(answers.map((a) => a.result).sort()).toEqual(['applied', 'unchanged']);

    // The same event eight more times at once, as a retrying Conekta might.
    const event = h.sim.state.eventsFor(s.orderId)[0]!;
    const more = await Promise.all(
      Array.from({ length: 8 }, () =>
        request(h.app.url)
          .post('/webhooks/conekta')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(event)),
      ),
    );
    expect(more.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(more.every((r) => r.body.result === 'unchanged')).toBe(true);
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
    await h.app.sync.runOnce();
    expect(ecwidBodies(s.json)).toHaveLength(1);
    expect(await transitions(s.paymentId)).toEqual(['paid']);
  });

  it('a lost webhook is resolved by the shopper’s return', async () => {
    const s = await startAtConekta({ total: 640 });
    h.sim.state.loseNextWebhooks(1);
    const paid = await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await h.sim.state.settled();
    expect(h.sim.state.deliveriesFor(s.orderId)).toMatchObject([{ lost: true }]);
    expect((await h.paymentRow(s.paymentId)).state).toBe('checkout_open');
    const back = await get(paid.location!);
    expect(back.location).toBe(s.json.returnUrl);
    expect(ecwidStatus(s.json)).toBe('PAID');
  });

  it('a lost webhook without a return is resolved by reconciliation', async () => {
    const s = await startAtConekta({ total: 990 });
    h.sim.state.loseNextWebhooks(1);
    await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await h.sim.state.settled();
    expect((await h.paymentRow(s.paymentId)).state).toBe('checkout_open');
    await h.t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id = $1", [
      s.paymentId,
    ]);
    expect(await h.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
    expect((await h.paymentRow(s.paymentId)).state).toBe('paid');
  });

  it('Conekta down when the webhook comes: 503, and its retry is applied', async () => {
    const s = await startAtConekta({ total: 120 });
    h.sim.state.failNext(2, 503); // the app's re-fetch and its one retry
    await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await eventually(() =>
      expect(h.sim.state.deliveriesFor(s.orderId).map((d) => d.status)).toEqual([503, 200]),
    );
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
  });

  it('a webhook racing the checkout being recorded gets 503, and the retry is applied', async () => {
    const started = await h.flow.start({ currency: 'MXN', total: 300, token: STORE_TOKEN });
    const payment = (await findPayment(h.t.db, started.paymentId))!;
    // The order exists at Conekta, but the app has not recorded it yet (as between create and commit).
    const created = await h.provider.createCheckout({
      payment,
      order: { ecwidOrderId: payment.ecwidOrderId, items: [] },
      store: { storeId: payment.storeId },
      returnUrl: `${h.app.url}/return/${payment.id}`,
      notificationUrl: 'unused',
      lang: 'es',
    });
    if (!created.ok) throw new Error(created.error.message);
    h.sim.state.webhookRetries = 20;
    h.sim.state.webhookRetryDelayMs = 25;
    const record = h.sim.state.getOrder(created.providerReference)!;
    const page = await get(record.order.checkout!.url);
    await submit(record.order.checkout!.url, page.html, 'card-form', cardFields(CARD_OK));
    await eventually(() => expect(h.sim.state.deliveriesFor(record.order.id)[0]?.status).toBe(503));
    await h.t.db.query(
      "UPDATE payments SET provider = 'conekta', provider_reference = $1, state = 'checkout_open' WHERE id = $2",
      [created.providerReference, payment.id],
    );
    await eventually(() => expect(h.sim.state.deliveriesFor(record.order.id).at(-1)?.status).toBe(200));
    await eventually(() => expect(ecwidStatus(started.json)).toBe('PAID'));
  });

  it('refunds: the provider refunds through Conekta, and the refund webhook updates Ecwid', async () => {
    const s = await startAtConekta({ total: 500 });
    const paid = await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    await get(paid.location!);
    const payment = (await findPayment(h.t.db, s.paymentId))!;
    const refunded = await h.provider.refund({
      payment,
      providerSecrets: {},
      store: { storeId: payment.storeId },
      amount: { amount: 12_000, currency: 'MXN' },
    });
    expect(refunded).toMatchObject({
      ok: true,
      observation: {
        status: 'partially_refunded',
        refundedAmount: 12_000,
        amount: { amount: 50_000, currency: 'MXN' },
      },
    });
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PARTIALLY_REFUNDED'));
    expect(Number((await h.paymentRow(s.paymentId)).refunded_amount)).toBe(12_000);
    const tooMuch = await h.provider.refund({
      payment,
      providerSecrets: {},
      store: { storeId: payment.storeId },
      amount: { amount: 50_000, currency: 'MXN' },
    });
    expect(tooMuch).toMatchObject({ ok: false, error: { kind: 'rejected' } });
    expect(!tooMuch.ok && tooMuch.error.message).toMatch(/log_id [0-9a-f]{24}/);
  });

  it('keeps the Conekta key, the store token and card numbers out of logs and URLs', async () => {
    const s = await startAtConekta({ total: 4321 });
    expect(s.checkoutUrl).not.toContain(KEY);
    const paid = await submit(s.checkoutUrl, s.page.html, 'card-form', cardFields(CARD_OK));
    expect(paid.location).not.toContain(KEY);
    await get(paid.location!);
    h.sim.state.failNext(1, 401);
    const other = await h.flow.start({ currency: 'MXN', total: 10, token: STORE_TOKEN, customerId: null });
    // A refused key: the shopper is sent back to the store (422), the log says why.
    expect((await request(h.app.url).get(`/pay/${other.paymentId}/checkout`)).status).toBe(422);
    await request(h.app.url)
      .post('/webhooks/conekta')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(h.sim.state.eventsFor(s.orderId)[0]));
    await h.sim.state.settled();
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
    const logs = h.app.logs.text;
    expect(logs).toContain(s.paymentId);
    expect(logs).toContain('Conekta answered 401');
    for (const secret of [KEY, STORE_TOKEN, '4242424242424242', '4242 4242', s.json.cart.order.email]) {
      expect(logs).not.toContain(secret);
    }
  });
});
