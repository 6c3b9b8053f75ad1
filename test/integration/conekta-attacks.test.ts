import request from 'supertest';
import { createConektaClient } from '../../src/providers/conekta/client';
import { ORDER_MARKER } from '../../src/providers/conekta/schemas';
import type { SimOrderRecord } from '../../src/sandbox/conekta/state';
import { simulatedConekta, type ConektaHarness } from '../support/conekta';
import { testDatabases } from '../support/db';
import { eventually } from '../support/flow';
import { startHarness } from '../support/harness';
import { CARD_OK, cardFields, get, submit } from '../unit/conekta/helpers';

const KEY = 'key_ConektaAttackProbe51d0b2';
const OTHER_ACCOUNT_KEY = 'key_SomeOtherShopOnConekta77';

describe.each(testDatabases())('Conekta: bad input and attacks on %s', (kind) => {
  let h: ConektaHarness;

  beforeAll(async () => {
    h = await startHarness(
      kind,
      simulatedConekta({ privateKey: KEY, otherAccountKeys: [OTHER_ACCOUNT_KEY], timeoutMs: 3_000 }),
    );
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
  });

  const state = async (id: string) =>
    (await h.t.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [id]))[0]!.state;
  const outbox = () =>
    h.t.db.query<{ payment_status: string }>('SELECT payment_status FROM ecwid_updates ORDER BY id');
  const webhook = (body: unknown) =>
    request(h.app.url)
      .post('/webhooks/conekta')
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  const orderEvent = (
    orderId: string,
    type = 'order.paid',
    object: Record<string, unknown> = {},
    over: Record<string, unknown> = {},
  ) => ({
    id: `evt_${Math.random().toString(16).slice(2)}`,
    object: 'event',
    type,
    livemode: false,
    created_at: Math.floor(Date.now() / 1000),
    data: {
      object: { id: orderId, object: 'order', payment_status: 'paid', ...object },
      previous_attributes: {},
    },
    ...over,
  });

  async function atConekta(total = 300) {
    const started = await h.flow.start({ currency: 'MXN', total });
    const res = await request(h.app.url).get(`/pay/${started.paymentId}/checkout`);
    expect(res.status).toBe(303);
    const record = h.sim.state
      .listOrders()
      .find((r) => r.order.metadata.payment_id === started.paymentId) as SimOrderRecord;
    return { ...started, record, orderId: record.order.id };
  }

  /** Pays at Conekta with the webhook lost, so only the test's own notification reaches the app. */
  async function paidAtConektaQuietly(total = 300) {
    const s = await atConekta(total);
    h.sim.state.loseNextWebhooks(1);
    const page = await get(s.record.order.checkout!.url);
    await submit(s.record.order.checkout!.url, page.html, 'card-form', cardFields(CARD_OK));
    await h.sim.state.settled();
    return s;
  }

  it('a webhook whose payload says paid while the API says pending: the API wins (AWAITING_PAYMENT, never PAID)', async () => {
    const s = await atConekta();
    h.sim.state.loseNextWebhooks(1);
    h.sim.state.issueVoucher(s.record, 'cash');
    await h.sim.state.settled();
    const forged = orderEvent(s.orderId, 'order.paid', {
      payment_status: 'paid',
      charges: { data: [{ id: 'ch_forged', status: 'paid' }] },
    });
    const res = await webhook(forged);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'pending' });
    expect(await state(s.paymentId)).toBe('pending');
    await eventually(async () =>
      expect((await outbox()).map((o) => o.payment_status)).toEqual(['AWAITING_PAYMENT']),
    );
    // And while nothing happened at all, a "paid" payload changes nothing.
    const untouched = await atConekta(301);
    const again = await webhook(orderEvent(untouched.orderId));
    expect(again.status).toBe(200);
    expect(await state(untouched.paymentId)).toBe('checkout_open');
  });

  it('paid, but Conekta’s order is for a different amount: 422, nothing changes', async () => {
    const s = await paidAtConektaQuietly(300);
    const order = h.sim.state.getOrder(s.orderId)!.order;
    order.amount = 29_999;
    order.charges.data[0]!.amount = 29_999;
    const res = await webhook(orderEvent(s.orderId));
    expect(res.status).toBe(422);
    expect(await state(s.paymentId)).toBe('checkout_open');
    expect(await outbox()).toEqual([]);
    const mismatches = await h.t.db.query("SELECT * FROM payment_events WHERE kind = 'amount_mismatch'");
    expect(mismatches).toHaveLength(1);
    // The shopper's return asks Conekta too, and refuses the same answer.
    const back = await get(`${h.app.url}/return/${s.paymentId}`);
    expect(back.status).toBe(200);
    expect(await state(s.paymentId)).toBe('checkout_open');
  });

  it('paid, but Conekta’s order is in a different currency: 422, nothing changes', async () => {
    const s = await paidAtConektaQuietly(300);
    h.sim.state.getOrder(s.orderId)!.order.currency = 'USD';
    const res = await webhook(orderEvent(s.orderId));
    expect(res.status).toBe(422);
    expect(await state(s.paymentId)).toBe('checkout_open');
    expect(await outbox()).toEqual([]);
  });

  it('a live-mode event for a test-mode store: refused (422) before anything is fetched', async () => {
    const s = await paidAtConektaQuietly();
    const gets = () => h.sim.state.requests.filter((r) => r.method === 'GET').length;
    const before = gets();
    const res = await webhook(orderEvent(s.orderId, 'order.paid', {}, { livemode: true }));
    expect(res.status).toBe(422);
    expect(res.body.reason).toMatch(/live-mode event for a store in test mode/);
    expect(gets()).toBe(before);
    expect(await state(s.paymentId)).toBe('checkout_open');
    expect(await outbox()).toEqual([]);
    // The same event in test mode is the genuine one: Conekta confirms it, and it applies.
    const genuine = await webhook(orderEvent(s.orderId));
    expect(genuine.status).toBe(200);
    expect(await state(s.paymentId)).toBe('paid');
  });

  it('an event for another store’s order: acknowledged and ignored, even when its payload names our payment', async () => {
    const ours = await atConekta();
    // Another shop on Conekta (another key) creates its own order and it gets paid.
    const other = createConektaClient({ apiUrl: h.sim.url });
    const created = await other.createOrder(
      { privateKey: OTHER_ACCOUNT_KEY },
      {
        currency: 'MXN',
        customer_info: { name: 'Otra Tienda', email: 'otra@example.com', phone: '5511112222' },
        line_items: [{ name: 'Otro producto', unit_price: 30_000, quantity: 1 }],
        metadata: { shop: 'another-store' },
        checkout: {
          type: 'HostedPayment',
          name: 'Otro',
          allowed_payment_methods: ['card'],
          success_url: 'https://other.example/ok',
          failure_url: 'https://other.example/ko',
          expires_at: Math.floor(Date.now() / 1000) + 3600,
          redirection_time: 4,
        },
      },
    );
    if (!created.ok) throw new Error(created.error.message);
    const res = await webhook(orderEvent(created.value.id));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ignored: expect.stringMatching(/not created by this app/) });
    // Its payload forged to carry our marker and our payment id: still not our order.
    const forged = await webhook(
      orderEvent(created.value.id, 'order.paid', {
        metadata: {
          integration: ORDER_MARKER,
          payment_id: ours.paymentId,
          ecwid_store_id: String(ours.json.storeId),
        },
      }),
    );
    expect(forged.status).toBe(200);
    expect(forged.body.ignored).toMatch(/not the Conekta order of the payment/);
    expect(await state(ours.paymentId)).toBe('checkout_open');
    expect(await outbox()).toEqual([]);
  });

  it('an event for our order whose Conekta metadata points at another store: refused (409)', async () => {
    const s = await paidAtConektaQuietly();
    h.sim.state.getOrder(s.orderId)!.order.metadata.ecwid_store_id = '2002';
    const res = await webhook(orderEvent(s.orderId));
    expect(res.status).toBe(409);
    expect(res.body.reason).toMatch(/metadata does not point at this payment and store/);
    expect(await state(s.paymentId)).toBe('checkout_open');
    expect(await outbox()).toEqual([]);
  });

  it('malformed JSON and bodies that are not Conekta events: 400, nothing changes', async () => {
    const s = await paidAtConektaQuietly();
    for (const body of [
      '{"type": "order.paid", ',
      'not json at all',
      '[1,2,3]',
      '{"data":{}}',
      JSON.stringify(orderEvent('ord_../../x')),
    ]) {
      const res = await webhook(body);
      expect(res.status).toBe(400);
    }
    const empty = await request(h.app.url).post('/webhooks/conekta');
    expect(empty.status).toBe(400);
    expect(await state(s.paymentId)).toBe('checkout_open');
    // Pings and events the app does not use are acknowledged.
    expect((await webhook({ id: 'evt_ping', type: 'webhook_ping', livemode: false, data: {} })).status).toBe(
      200,
    );
    expect((await webhook(orderEvent(s.orderId, 'charge.created'))).status).toBe(200);
    expect(await state(s.paymentId)).toBe('checkout_open');
  });

  it('Conekta answering 422 at order creation: a clear page for the shopper, Conekta’s message and log_id in the logs', async () => {
    // A guest: a logged-in shopper's checkout creates a Conekta customer first (saved cards).
    const started = await h.flow.start({ currency: 'MXN', total: 300, lang: 'en', customerId: null });
    h.sim.state.failNext(1, 422, 'The customer_info.phone parameter is invalid');
    const res = await request(h.app.url).get(`/pay/${started.paymentId}/checkout`);
    // Refused (not "unavailable"): no retry link, a way back to the store with the reason for Ecwid.
    expect(res.status).toBe(422);
    expect(res.text).toContain(
      'This payment method cannot process this order. Go back to the store and choose another one.',
    );
    expect(res.text).not.toContain('id="retry"');
    const back = new URL(/id="back-to-store" href="([^"]+)"/.exec(res.text)![1]!.replace(/&amp;/g, '&'));
    expect(back.searchParams.get('errorMsg')).toMatch(/cannot process this order/);
    expect(back.searchParams.get('key')).toBe(new URL(started.json.returnUrl).searchParams.get('key'));
    expect(res.text).not.toContain('customer_info');

    const refused = h.sim.state.requests.find((r) => r.fault)!;
    expect(refused.status).toBe(422);
    const line = h.app.logs
      .entries()
      .find((e) => e.msg === 'provider checkout not created' && e.paymentId === started.paymentId) as
      { reason: string; kind: string } | undefined;
    expect(line).toBeDefined();
    expect(line!.kind).toBe('rejected');
    expect(line!.reason).toMatch(
      /^Conekta answered 422 parameter_validation_error to POST \/orders: The customer_info\.phone parameter is invalid \(log_id [0-9a-f]{24}\)$/,
    );
    expect(await state(started.paymentId)).toBe('created');
    // "Go to Payment" again reuses the payment; once Conekta accepts, it goes on.
    const retried = await request(h.app.url).get(`/pay/${started.paymentId}/checkout`);
    expect(retried.status).toBe(303);
    expect(await state(started.paymentId)).toBe('checkout_open');
  });
});
