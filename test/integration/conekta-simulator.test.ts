import express from 'express';
import supertest from 'supertest';
import { createConektaClient, type ConektaCall } from '../../src/providers/conekta/client';
import { createConektaProvider } from '../../src/providers/conekta/provider';
import { CONEKTA_ACCEPT, ORDER_MARKER, type OrderRequest } from '../../src/providers/conekta/schemas';
import { createConektaSimulator } from '../../src/sandbox/conekta/router';
import { startConektaSimulator, type RunningConektaSimulator } from '../../src/sandbox/conekta/server';
import { eventually } from '../support/flow';
import {
  CARD_DECLINED,
  CARD_OK,
  cardFields,
  get,
  linkHref,
  startReceiver,
  submit,
} from '../unit/conekta/helpers';

const KEY = 'key_simTestPrivate0001';
const LIVE_KEY = 'key_simLivePrivate0002';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('Conekta simulator and client over HTTP', () => {
  let sim: RunningConektaSimulator;
  let hook: Receiver;
  const client = () => createConektaClient({ apiUrl: sim.url, timeoutMs: 2_000, retryDelayMs: 10 });
  const call = { privateKey: KEY, lang: 'es' as const };

  const orderBody = (over: Partial<OrderRequest> = {}): OrderRequest => ({
    currency: 'MXN',
    customer_info: { name: 'Jorge Martínez', email: 'jorge@example.com', phone: '+5218181818181' },
    line_items: [
      { name: 'Café de Chiapas', unit_price: 19999, quantity: 2 },
      { name: 'Envío y cargos', unit_price: 11517, quantity: 1 },
    ],
    metadata: { integration: ORDER_MARKER, payment_id: 'p1', ecwid_store_id: '1003' },
    checkout: {
      type: 'HostedPayment',
      name: 'Pedido XJ12H',
      allowed_payment_methods: ['card', 'cash', 'bank_transfer'],
      success_url: 'http://127.0.0.1:9/return/p1',
      failure_url: 'http://127.0.0.1:9/return/p1',
      expires_at: Math.floor(Date.now() / 1000) + 86_400,
      redirection_time: 4,
    },
    ...over,
  });

  async function createOrder(over: Partial<OrderRequest> = {}, c: ConektaCall = call) {
    const created = await client().createOrder(c, orderBody(over));
    if (!created.ok) throw new Error(created.error.message);
    return created.value;
  }

  beforeAll(async () => {
    hook = await startReceiver();
    sim = await startConektaSimulator({
      privateKeys: [KEY],
      livePrivateKeys: [LIVE_KEY],
      webhookRetryDelayMs: 20,
    });
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });
  beforeEach(async () => {
    await sim.state.settled();
    sim.state.reset();
    sim.setWebhookUrl(hook.url);
    hook.received.length = 0;
    hook.status = 200;
  });

  describe('API', () => {
    it('creates an order: amount from the lines, cents, a hosted checkout URL, with pinned headers', async () => {
      const order = await createOrder();
      expect(order.amount).toBe(19999 * 2 + 11517);
      expect(order).toMatchObject({ currency: 'MXN', livemode: false, metadata: { payment_id: 'p1' } });
      expect(order.checkout?.url).toBe(`${sim.url}/checkout/${order.checkout?.id}`);
      expect(order.payment_status ?? null).toBeNull();
      const [req] = sim.state.requests;
      expect(req).toMatchObject({
        method: 'POST',
        path: '/orders',
        auth: 'ok',
        authScheme: 'Bearer',
        accept: CONEKTA_ACCEPT,
        acceptLanguage: 'es',
      });
    });

    it('answers 401 in Conekta’s error shape without a valid key', async () => {
      const bad = await client().createOrder({ privateKey: 'key_nope' }, orderBody());
      expect(bad).toMatchObject({
        ok: false,
        error: { kind: 'unauthorized', status: 401, type: 'authentication_error' },
      });
      expect(!bad.ok && bad.error.logId).toMatch(/^[0-9a-f]{24}$/);
      const raw = await fetch(`${sim.url}/orders/ord_x`);
      expect(raw.status).toBe(401);
      expect(await raw.json()).toMatchObject({
        object: 'error',
        type: 'authentication_error',
        details: [{ code: expect.any(String) }],
      });
    });

    it('answers 422 for missing customer data, nested metadata, bad lines and a past expiry', async () => {
      const cases: [Partial<OrderRequest>, string][] = [
        [
          { customer_info: { name: 'Jorge', email: 'jorge@example.com' } as OrderRequest['customer_info'] },
          'customer_info.phone',
        ],
        [{ metadata: { nested: { a: 1 } } as unknown as Record<string, string> }, 'metadata.nested'],
        [{ line_items: [{ name: 'Café', unit_price: 199.99, quantity: 1 }] }, 'line_items[0].unit_price'],
        [{ line_items: [{ name: 'Té', unit_price: 100, quantity: 1 }] }, 'line_items[0].name'],
        [{ line_items: [] }, 'line_items'],
        [{ checkout: { ...orderBody().checkout, expires_at: 1000 } }, 'checkout.expires_at'],
      ];
      for (const [over, param] of cases) {
        const res = await client().createOrder({ privateKey: KEY, lang: 'en' }, orderBody(over));
        expect(res.ok).toBe(false);
        if (res.ok) continue;
        expect(res.error).toMatchObject({
          kind: 'rejected',
          status: 422,
          type: 'parameter_validation_error',
          param,
        });
        expect(res.error.message).toMatch(/\(log_id [0-9a-f]{24}\)$/);
      }
      expect(sim.state.listOrders()).toHaveLength(0);
    });

    it('keeps orders apart per environment: a live key cannot read a test order', async () => {
      const order = await createOrder();
      const live = await client().getOrder({ privateKey: LIVE_KEY }, order.id);
      expect(live).toMatchObject({ ok: false, error: { kind: 'not_found', status: 404 } });
      const liveOrder = await createOrder({}, { privateKey: LIVE_KEY, lang: 'es' });
      expect(liveOrder.livemode).toBe(true);
    });

    it('failNext(n, status) answers errors with a log_id; GETs are retried once, POSTs never', async () => {
      const order = await createOrder();
      sim.state.failNext(1, 503);
      expect((await client().getOrder(call, order.id)).ok).toBe(true);
      sim.state.failNext(2, 500);
      expect(await client().getOrder(call, order.id)).toMatchObject({
        ok: false,
        error: { kind: 'unavailable', status: 500 },
      });
      sim.state.failNext(1, 503);
      expect(await client().createOrder(call, orderBody())).toMatchObject({
        ok: false,
        error: { kind: 'unavailable' },
      });
      expect(sim.state.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
      sim.state.failNext(1, 422, 'El correo es inválido');
      const refused = await client().createOrder(call, orderBody());
      expect(!refused.ok && refused.error.message).toMatch(
        /^Conekta answered 422 parameter_validation_error to POST \/orders: El correo es inválido \(log_id [0-9a-f]{24}\)$/,
      );
    });

    it('slow answers time out as "unavailable"', async () => {
      sim.state.delayMs = 300;
      const slow = createConektaClient({ apiUrl: sim.url, timeoutMs: 100, retryDelayMs: 1 });
      const res = await slow.createOrder(call, orderBody());
      expect(res).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
      expect(!res.ok && res.error.message).toMatch(/ECONNABORTED|ETIMEDOUT/);
      expect(!res.ok && res.error.message).not.toContain(KEY);
    });

    it('a 2xx with a body that is not an order is an invalid response', async () => {
      const order = await createOrder();
      // The control API answers 200 {order, lang, events} for GET /_control/orders/:id: JSON, not an order.
      const wrongBase = createConektaClient({ apiUrl: `${sim.url}/_control` });
      const answer = await wrongBase.getOrder(call, order.id);
      expect(answer).toMatchObject({ ok: false, error: { kind: 'invalid_response', status: 200 } });
      expect(!answer.ok && answer.error.message).toMatch(/unexpected body \(id: /);
    });

    it('GET/POST /webhooks: registration pings the URL, listing filters by URL and environment', async () => {
      sim.setWebhookUrl(null);
      const created = await client().createWebhook(call, hook.url);
      expect(created).toMatchObject({ ok: true, value: { url: hook.url } });
      await eventually(() => expect(hook.received.map((r) => r.json.type)).toEqual(['webhook_ping']));
      expect(
        (await client().listWebhooks(call, hook.url)).ok && (await client().listWebhooks(call, hook.url)),
      ).toMatchObject({
        value: [{ url: hook.url }],
      });
      expect(await client().listWebhooks(call, 'https://elsewhere.example/x')).toEqual({
        ok: true,
        value: [],
      });
      expect(await client().listWebhooks({ privateKey: LIVE_KEY })).toEqual({ ok: true, value: [] });
      // The provider's registration does not create a duplicate.
      const provider = createConektaProvider({ apiUrl: sim.url, privateKey: KEY });
      expect(await provider.registerWebhook({ storeId: 1 }, hook.url)).toEqual({ ok: true, created: false });
      expect(sim.state.webhooksFor(false)).toHaveLength(1);
      expect(await provider.checkCredentials({ storeId: 1 })).toEqual({ ok: true });
      const wrong = createConektaProvider({ apiUrl: sim.url, privateKey: 'key_wrong' });
      expect(await wrong.checkCredentials({ storeId: 1 })).toMatchObject({
        ok: false,
        error: { kind: 'misconfigured' },
      });
    });
  });

  describe('hosted checkout', () => {
    it('shows the order with stable ids in the order’s language, and a CSP allowing the merchant URLs', async () => {
      const order = await createOrder({}, { privateKey: KEY, lang: 'en' });
      const page = await get(order.checkout!.url!);
      expect(page.status).toBe(200);
      for (const id of [
        'card-form',
        'card-number',
        'card-name',
        'card-expiry',
        'card-cvc',
        'pay-card',
        'pay-cash',
        'pay-spei',
        'order-total',
      ]) {
        expect(page.html).toContain(`id="${id}"`);
      }
      expect(page.html).toContain('Secure payment');
      expect(page.html).toContain('data-amount="51515"');
      expect(page.html).toContain('MX$515.15');
      expect(page.csp).toContain("form-action 'self' http://127.0.0.1:9");
      expect(page.csp).toContain("script-src 'self'");
      const es = await get(`${order.checkout!.url}?lang=es`);
      expect(es.html).toContain('Pago seguro');
      expect((await get(`${sim.url}/checkout/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    });

    it('offers only the allowed methods', async () => {
      const order = await createOrder({
        checkout: { ...orderBody().checkout, allowed_payment_methods: ['cash'] },
      });
      const page = await get(order.checkout!.url!);
      expect(page.html).toContain('id="pay-cash"');
      expect(page.html).not.toContain('id="pay-card"');
      const forced = await fetch(`${order.checkout!.url}/card`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(cardFields(CARD_OK)).toString(),
      });
      expect(forced.status).toBe(403);
      expect(sim.state.getOrder(order.id)!.order.payment_status).toBeUndefined();
    });

    it('card 4242… pays: 303 to success_url, order paid, order.paid delivered', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      const paid = await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_OK));
      expect(paid.status).toBe(303);
      const back = new URL(paid.location!);
      expect(back.origin + back.pathname).toBe('http://127.0.0.1:9/return/p1');
      expect(Object.fromEntries(back.searchParams)).toEqual({
        checkout_id: order.checkout!.id,
        order_id: order.id,
        payment_status: 'paid',
      });
      const fetched = await client().getOrder(call, order.id);
      expect(fetched.ok && fetched.value).toMatchObject({
        payment_status: 'paid',
        charges: {
          data: [
            {
              status: 'paid',
              amount: order.amount,
              payment_method: { object: 'card_payment', last4: '4242' },
            },
          ],
        },
      });
      await eventually(() => expect(hook.received.map((r) => r.json.type)).toEqual(['order.paid']));
      expect(hook.received[0]!.json).toMatchObject({
        object: 'event',
        livemode: false,
        data: { object: { id: order.id, payment_status: 'paid' } },
      });
      // A paid checkout cannot be paid again.
      expect((await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_OK))).status).toBe(
        409,
      );
    });

    it('card 4000…0127 is declined: 303 to failure_url, a declined charge with its reason', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      const declined = await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_DECLINED));
      expect(declined.status).toBe(303);
      expect(new URL(declined.location!).searchParams.get('payment_status')).toBe('declined');
      const o = sim.state.getOrder(order.id)!.order;
      expect(o.payment_status).toBe('declined');
      expect(o.charges.data[0]).toMatchObject({
        status: 'declined',
        failure_code: 'insufficient_funds',
        failure_message: 'Fondos insuficientes.',
      });
      await eventually(() => expect(hook.received.map((r) => r.json.type)).toEqual(['order.declined']));
    });

    it('another card number is refused on the page and charges nothing; the number is never kept', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      const other = await submit(
        order.checkout!.url!,
        page.html,
        'card-form',
        cardFields('5555 5555 5555 4444'),
      );
      expect(other.status).toBe(422);
      expect(other.html).toContain('id="checkout-error"');
      expect(sim.state.getOrder(order.id)!.order.charges.data).toHaveLength(0);
      await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_OK));
      const everything = JSON.stringify([sim.state.listOrders(), sim.state.events, sim.state.requests]);
      expect(everything).not.toContain('4242424242424242');
      expect(everything).not.toContain('4242 4242 4242 4242');
      expect(everything).not.toContain('5555555555554444');
    });

    it('OXXO: a reference that stays pending_payment until paid at the store', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      const issued = await submit(order.checkout!.url!, page.html, 'cash-form');
      expect(issued.status).toBe(303);
      const voucher = await get(new URL(issued.location!, sim.url).toString());
      expect(voucher.html).toMatch(/id="voucher-reference"[^>]*>9300\d{10}</);
      const backUrl = new URL(linkHref(voucher.html, 'back-to-merchant'));
      expect(backUrl.searchParams.get('payment_status')).toBe('pending_payment');
      expect(sim.state.getOrder(order.id)!.order.payment_status).toBe('pending_payment');
      // Opening the checkout again shows the same voucher; no second reference.
      const again = await get(order.checkout!.url!);
      expect(again.status).toBe(303);
      expect(sim.state.getOrder(order.id)!.order.charges.data).toHaveLength(1);

      const paid = await submit(
        new URL(issued.location!, sim.url).toString(),
        voucher.html,
        'simulate-payment-form',
      );
      expect(paid.status).toBe(200);
      expect(paid.html).toContain('id="payment-status">paid<');
      await eventually(() =>
        expect(hook.received.map((r) => r.json.type)).toEqual(['order.pending_payment', 'order.paid']),
      );
    });

    it('SPEI: a CLABE that stays pending_payment until the transfer arrives', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      const issued = await submit(order.checkout!.url!, page.html, 'spei-form');
      const voucher = await get(new URL(issued.location!, sim.url).toString());
      expect(voucher.html).toMatch(/id="voucher-clabe"[^>]*>646180\d{12}</);
      expect(sim.state.getOrder(order.id)!.order.charges.data[0]!.payment_method).toMatchObject({
        object: 'bank_transfer_payment',
        type: 'spei',
      });
      const res = await fetch(`${sim.url}/_control/orders/${order.id}/pay`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(sim.state.getOrder(order.id)!.order.payment_status).toBe('paid');
    });

    it('expiry: the knob expires an order (and its voucher) with order.expired; a past expires_at does too', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      await submit(order.checkout!.url!, page.html, 'cash-form');
      expect(sim.state.expire(sim.state.getOrder(order.id)!)).toBe(true);
      const o = sim.state.getOrder(order.id)!.order;
      expect(o.payment_status).toBe('expired');
      expect(o.charges.data[0]!.status).toBe('expired');
      const closed = await get(order.checkout!.url!);
      expect(closed.html).toContain('id="payment-status">expired<');

      const later = await createOrder();
      sim.state.now = () => Date.now() + 2 * 86_400_000;
      const fetched = await client().getOrder(call, later.id);
      expect(fetched.ok && fetched.value.payment_status).toBe('expired');
      await eventually(() =>
        expect(hook.received.map((r) => r.json.type)).toEqual([
          'order.pending_payment',
          'order.expired',
          'order.expired',
        ]),
      );
    });

    it('refunds: cards only, partial then full, never above what was paid', async () => {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_OK));
      const over = await client().createRefund(call, order.id, {
        amount: order.amount + 1,
        reason: 'requested_by_client',
      });
      expect(over).toMatchObject({ ok: false, error: { kind: 'rejected', status: 422 } });
      const part = await client().createRefund(call, order.id, {
        amount: 1000,
        reason: 'requested_by_client',
      });
      expect(part.ok && part.value).toMatchObject({
        payment_status: 'partially_refunded',
        amount_refunded: 1000,
      });
      const rest = await client().createRefund(call, order.id, {
        amount: order.amount - 1000,
        reason: 'other',
      });
      expect(rest.ok && rest.value).toMatchObject({
        payment_status: 'refunded',
        amount_refunded: order.amount,
      });

      const cash = await createOrder();
      await submit(cash.checkout!.url!, (await get(cash.checkout!.url!)).html, 'cash-form');
      sim.state.payVoucher(sim.state.getOrder(cash.id)!);
      const refused = await client().createRefund(call, cash.id, {
        amount: 100,
        reason: 'requested_by_client',
      });
      expect(refused).toMatchObject({ ok: false, error: { kind: 'rejected', param: 'charge' } });
      const unpaid = await createOrder();
      expect(
        await client().createRefund(call, unpaid.id, { amount: 100, reason: 'requested_by_client' }),
      ).toMatchObject({
        ok: false,
        error: { status: 428 },
      });
    });
  });

  describe('webhook knobs', () => {
    async function payByCard() {
      const order = await createOrder();
      const page = await get(order.checkout!.url!);
      await submit(order.checkout!.url!, page.html, 'card-form', cardFields(CARD_OK));
      return order;
    }

    it('lost: the next delivery is dropped and recorded as lost', async () => {
      sim.state.loseNextWebhooks(1);
      const order = await payByCard();
      await sim.state.settled();
      expect(hook.received).toHaveLength(0);
      expect(sim.state.deliveriesFor(order.id)).toMatchObject([
        { type: 'order.paid', lost: true, status: null },
      ]);
      await payByCard();
      await eventually(() => expect(hook.received).toHaveLength(1));
    });

    it('duplicate: the same event twice, at once', async () => {
      sim.state.duplicateNextWebhooks(1);
      await payByCard();
      await eventually(() => expect(hook.received).toHaveLength(2));
      expect(hook.received[0]!.body).toBe(hook.received[1]!.body);
    });

    it('held and released: delivered only after release', async () => {
      sim.state.knobs.holdWebhooks = true;
      await payByCard();
      await sim.state.settled();
      expect(hook.received).toHaveLength(0);
      sim.state.releaseWebhooks();
      await eventually(() => expect(hook.received).toHaveLength(1));
    });

    it('a non-2xx answer is retried', async () => {
      hook.status = 503;
      const order = await payByCard();
      await eventually(() =>
        expect(sim.state.deliveriesFor(order.id).map((d) => d.status)).toEqual([503, 503, 503]),
      );
      hook.status = 200;
      expect(sim.state.resend(sim.state.eventsFor(order.id)[0]!.id)).toBe(true);
      await eventually(() =>
        expect(sim.state.deliveriesFor(order.id).map((d) => d.status)).toEqual([503, 503, 503, 200]),
      );
    });

    it('the control API sets faults and expires orders over HTTP', async () => {
      const set = await fetch(`${sim.url}/_control/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ failNext: { count: 1, status: 422, message: 'Simulado' }, loseWebhooks: 2 }),
      });
      expect(await set.json()).toMatchObject({
        queued: [{ status: 422, message: 'Simulado' }],
        loseWebhooks: 2,
      });
      expect((await client().createOrder(call, orderBody())).ok).toBe(false);
      const order = await createOrder();
      const expired = await fetch(`${sim.url}/_control/orders/${order.id}/expire`, { method: 'POST' });
      expect(expired.status).toBe(200);
      expect((await fetch(`${sim.url}/_control/orders/${order.id}/expire`, { method: 'POST' })).status).toBe(
        409,
      );
      const bad = await fetch(`${sim.url}/_control/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"nope":1}',
      });
      expect(bad.status).toBe(400);
    });
  });

  it('mounts under /sandbox/conekta (demo mode): checkout URLs on the public base, forms under the mount path', async () => {
    const demo = createConektaSimulator({
      privateKeys: [KEY],
      publicBaseUrl: 'https://shop-app.example/sandbox/conekta/',
    });
    const host = express();
    host.use('/sandbox/conekta', demo.router);
    const created = await supertest(host)
      .post('/sandbox/conekta/orders')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Accept', CONEKTA_ACCEPT)
      .send(orderBody());
    expect(created.status).toBe(200);
    const checkoutId = created.body.checkout.id as string;
    expect(created.body.checkout.url).toBe(`https://shop-app.example/sandbox/conekta/checkout/${checkoutId}`);
    const page = await supertest(host).get(`/sandbox/conekta/checkout/${checkoutId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`action="/sandbox/conekta/checkout/${checkoutId}/card?lang=es"`);
    expect(page.text).toContain('href="/public/css/sandbox-conekta.css"');
    demo.state.dispose();
  });
});
