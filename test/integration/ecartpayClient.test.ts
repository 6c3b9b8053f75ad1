import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import type { Queryable } from '../../src/db';
import type { Payment } from '../../src/payments/model';
import { createEcartPayClient, type EcartCredentials } from '../../src/providers/ecartpay/client';
import { createEcartPayProvider } from '../../src/providers/ecartpay/provider';
import { createEcartPaySimulator } from '../../src/sandbox/ecartpay/router';
import { verifyEcartSignature } from '../../src/providers/ecartpay/signature';
import type { CreateOrderBody } from '../../src/providers/ecartpay/schemas';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';
import { eventually } from '../support/flow';

const PUBLIC_KEY = 'pub_client_test_key';
const PRIVATE_KEY = 'prv_client_test_key_abcdef';
const WEBHOOK_SECRET = 'whsec_client_test';

const orderBody = (over: Partial<CreateOrderBody> = {}): CreateOrderBody => ({
  currency: 'MXN',
  email: 'ana@example.com',
  items: [{ name: 'Pedido T1', quantity: 1, price: 243.33 }],
  notify_url: 'http://127.0.0.1:9/unused',
  redirect_url: 'http://127.0.0.1:9/return/x',
  ...over,
});

describe('Ecart Pay client against the simulator', () => {
  let sim: RunningEcartPaySimulator;
  let creds: EcartCredentials;

  beforeAll(async () => {
    sim = await startEcartPaySimulator({
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    creds = { apiUrl: sim.apiUrl, publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY };
  });
  afterAll(() => sim?.close());
  beforeEach(() => {
    sim.state.reset();
    sim.state.tokenTtlMs = 60 * 60_000;
  });

  it('gets one token with Basic public:private, reuses it raw in Authorization, creates and reads orders', async () => {
    const client = createEcartPayClient();
    const created = await client.createOrder(creds, orderBody());
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.value).toMatchObject({ status: 'created', currency: 'MXN', totals: { total: 243.33 } });
    expect(created.value.pay_link).toBe(`${sim.url}/checkout?id=${created.value.id}`);
    const read = await client.getOrder(creds, created.value.id);
    expect(read).toMatchObject({ ok: true, value: { id: created.value.id, status: 'created' } });

    expect(sim.state.callsTo('token')).toHaveLength(1);
    expect(sim.state.calls.map((c) => [c.operation, c.auth, c.status])).toEqual([
      ['token', 'ok', 200],
      ['createOrder', 'ok', 200],
      ['getOrder', 'ok', 200],
    ]);
  });

  it('the simulator refuses a Bearer-prefixed token (Ecart wants it raw)', async () => {
    const token = (await request(sim.url).post('/api/authorizations/token').auth(PUBLIC_KEY, PRIVATE_KEY))
      .body.token as string;
    const bearer = await request(sim.url).get('/api/orders/abc').set('Authorization', `Bearer ${token}`);
    expect(bearer.status).toBe(401);
    expect(bearer.body).toEqual({ message: 'Unauthorized', statusCode: 401 });
    const raw = await request(sim.url).get('/api/orders/abc').set('Authorization', token);
    expect(raw.status).toBe(404);
  });

  it('asks for one token at a time however many calls start together', async () => {
    const client = createEcartPayClient();
    sim.state.slowAnswers(50, 'token');
    const results = await Promise.all(Array.from({ length: 6 }, () => client.getOrder(creds, 'missing')));
    expect(results.every((r) => !r.ok && r.error.kind === 'not_found')).toBe(true);
    expect(sim.state.callsTo('token')).toHaveLength(1);
  });

  it('an expired token mid-flow: the 401 gets one new token and one retry, transparently', async () => {
    const client = createEcartPayClient();
    const created = await client.createOrder(creds, orderBody());
    if (!created.ok) throw new Error('order not created');
    sim.state.expireAllTokens();
    const [a, b] = await Promise.all([
      client.getOrder(creds, created.value.id),
      client.getOrder(creds, created.value.id),
    ]);
    expect(a.ok && b.ok).toBe(true);
    // Two calls refused with the old token, one refresh between them, two successful retries.
    expect(sim.state.callsTo('token')).toHaveLength(2);
    const reads = sim.state.callsTo('getOrder').map((c) => [c.auth, c.status]);
    expect(reads.filter(([auth, status]) => auth === 'expired' && status === 401)).toHaveLength(2);
    expect(reads.filter(([auth, status]) => auth === 'ok' && status === 200)).toHaveLength(2);
  });

  it('a second 401 after a fresh token is reported as unauthorized, not retried forever', async () => {
    const client = createEcartPayClient();
    await client.getOrder(creds, 'x');
    sim.state.expireAllTokens();
    sim.state.tokenTtlMs = 0; // every new token is already expired
    const result = await client.getOrder(creds, 'x');
    expect(result).toMatchObject({ ok: false, error: { kind: 'unauthorized', status: 401 } });
    expect(sim.state.callsTo('getOrder')).toHaveLength(3);
    expect(sim.state.callsTo('token')).toHaveLength(2);
  });

  it('reuses a token for about 55 minutes, then asks for a new one before Ecart refuses it', async () => {
    let clock = Date.now();
    const client = createEcartPayClient({ now: () => clock });
    await client.getOrder(creds, 'x');
    clock += 54 * 60_000;
    await client.getOrder(creds, 'x');
    expect(sim.state.callsTo('token')).toHaveLength(1);
    clock += 2 * 60_000;
    await client.getOrder(creds, 'x');
    expect(sim.state.callsTo('token')).toHaveLength(2);
    expect(sim.state.callsTo('getOrder').every((c) => c.auth === 'ok')).toBe(true);
  });

  it('honours a shorter JWT exp (the simulator’s token expiry is configurable)', async () => {
    sim.state.tokenTtlMs = 120_000;
    let clock = Date.now();
    const client = createEcartPayClient({ now: () => clock });
    await client.getOrder(creds, 'x');
    clock += 60_000;
    await client.getOrder(creds, 'x');
    expect(sim.state.callsTo('token')).toHaveLength(1);
    // Past exp minus its margin: a new token, without a 401 first.
    clock += 50_000;
    await client.getOrder(creds, 'x');
    expect(sim.state.callsTo('token')).toHaveLength(2);
    expect(sim.state.callsTo('getOrder').every((c) => c.auth === 'ok')).toBe(true);
  });

  it('keys are per merchant: another public key gets its own token and cannot see the first one’s orders', async () => {
    sim.state.addMerchant('pub_other', 'prv_other_secret');
    const client = createEcartPayClient();
    const created = await client.createOrder(creds, orderBody());
    if (!created.ok) throw new Error('order not created');
    const other = { ...creds, publicKey: 'pub_other', privateKey: 'prv_other_secret' };
    expect(await client.getOrder(other, created.value.id)).toMatchObject({
      ok: false,
      error: { kind: 'not_found' },
    });
    expect(sim.state.callsTo('token')).toHaveLength(2);
  });

  it('a cached token is never shared with the same public key and another private key', async () => {
    const client = createEcartPayClient();
    expect((await client.createOrder(creds, orderBody())).ok).toBe(true);
    // Someone who knows the (public) public key but not the private key gets nothing from the cache.
    const impostor = { ...creds, privateKey: 'prv_wrong_guess_000000' };
    const refused = await client.createOrder(impostor, orderBody());
    expect(refused).toMatchObject({ ok: false, error: { kind: 'unauthorized' } });
    expect(sim.state.callsTo('token').map((c) => c.status)).toEqual([200, 401]);
    expect(sim.state.callsTo('createOrder')).toHaveLength(1);
  });

  it('wrong keys → unauthorized, with a hint and without the key', async () => {
    const client = createEcartPayClient();
    const result = await client.getOrder({ ...creds, privateKey: 'prv_wrong_value' }, 'x');
    expect(result).toMatchObject({ ok: false, error: { kind: 'unauthorized', status: 401 } });
    if (result.ok) return;
    expect(result.error.message).toContain('ECARTPAY_PRIVATE_KEY');
    expect(result.error.message).not.toContain('prv_wrong_value');
    expect(sim.state.callsTo('getOrder')).toHaveLength(0);
  });

  it('maps Ecart’s {message, statusCode} errors to typed results', async () => {
    const client = createEcartPayClient();
    sim.state.failNext(1, 500, 'createOrder');
    expect(await client.createOrder(creds, orderBody())).toEqual({
      ok: false,
      error: {
        kind: 'unavailable',
        status: 500,
        message: 'Ecart Pay answered 500: Simulated failure (HTTP 500)',
      },
    });
    sim.state.failNext(1, 429, 'getOrder');
    expect(await client.getOrder(creds, 'x')).toMatchObject({
      ok: false,
      error: { kind: 'unavailable', status: 429 },
    });
    const invalid = await client.createOrder(
      creds,
      orderBody({ items: [{ name: 'x', quantity: 1, price: 1.005 }] }),
    );
    expect(invalid).toMatchObject({ ok: false, error: { kind: 'rejected', status: 400 } });
    if (!invalid.ok) expect(invalid.error.message).toContain('price has more than 2 decimals');
    expect(await client.getOrder(creds, 'nope')).toMatchObject({
      ok: false,
      error: { kind: 'not_found', status: 404 },
    });
    sim.state.failNext(1, 503, 'token');
    client.forgetTokens();
    expect(await client.getOrder(creds, 'x')).toMatchObject({
      ok: false,
      error: { kind: 'unavailable', status: 503 },
    });
  });

  it('a slow Ecart answer times out as unavailable; a spent deadline sends nothing', async () => {
    const client = createEcartPayClient({ timeoutMs: 150 });
    await client.getOrder(creds, 'warm-up');
    sim.state.slowAnswers(1_000, 'getOrder');
    expect(await client.getOrder(creds, 'x')).toEqual({
      ok: false,
      error: { kind: 'unavailable', message: 'Ecart Pay did not answer in time' },
    });
    sim.state.clearFaults();
    const before = sim.state.calls.length;
    expect(await client.getOrder(creds, 'x', { deadline: Date.now() - 1 })).toMatchObject({
      ok: false,
      error: { kind: 'unavailable' },
    });
    expect(sim.state.calls.length).toBe(before);
  });

  it('refunds: partial then full, with Ecart’s rules', async () => {
    const client = createEcartPayClient();
    const created = await client.createOrder(creds, orderBody());
    if (!created.ok) throw new Error('order not created');
    const id = created.value.id;
    expect(await client.refundOrder(creds, id, { amount: 1, reason: 'requested' })).toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 400 },
    });
    sim.state.setStatus(sim.state.getOrder(id)!, 'paid', { notify: false });
    expect((await client.refundOrder(creds, id, { amount: 43.33, reason: 'requested' })).ok).toBe(true);
    expect(await client.getOrder(creds, id)).toMatchObject({
      ok: true,
      value: { status: 'partially_refunded' },
    });
    expect(await client.refundOrder(creds, id, { amount: 200.01, reason: 'requested' })).toMatchObject({
      ok: false,
      error: { kind: 'rejected' },
    });
    expect((await client.refundOrder(creds, id, { amount: 200, reason: 'requested' })).ok).toBe(true);
    expect(await client.getOrder(creds, id)).toMatchObject({ ok: true, value: { status: 'refunded' } });
  });
});

describe('Ecart Pay client against a misbehaving server', () => {
  let url: string;
  let close: () => Promise<void>;
  const mode = { order: 'garbage' as 'garbage' | 'echo', payLink: undefined as string | undefined };

  beforeAll(async () => {
    const app = express();
    app.post('/api/authorizations/token', (_req, res) => {
      res.json({ token: 'tok_misbehaving_server_0001' });
    });
    app.post('/api/orders', (_req, res) => {
      res.json({
        id: 'o1',
        status: 'created',
        currency: 'MXN',
        totals: { total: 10 },
        pay_link: mode.payLink,
      });
    });
    app.get('/api/orders/:id', (req, res) => {
      if (mode.order === 'echo') {
        // An error message that echoes the credentials it was given.
        return res.status(400).json({ message: `bad token ${req.get('authorization')}`, statusCode: 400 });
      }
      res.json({ hello: 'world' });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(() => close?.());

  it('a 2xx body that is not an order is an invalid response', async () => {
    mode.order = 'garbage';
    const client = createEcartPayClient();
    expect(await client.getOrder({ apiUrl: url, publicKey: 'p', privateKey: 'q' }, 'x')).toEqual({
      ok: false,
      error: {
        kind: 'invalid_response',
        status: 200,
        message: 'Ecart Pay answered GET /orders/{id} with an unexpected body',
      },
    });
  });

  it('scrubs the token and keys out of an error message that echoes them', async () => {
    mode.order = 'echo';
    const client = createEcartPayClient();
    const result = await client.getOrder(
      { apiUrl: url, publicKey: 'pub_echo', privateKey: 'prv_echo_secret' },
      'x',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toBe('Ecart Pay answered 400: bad token [redacted]');
  });

  it('an order without a usable pay_link is an invalid response: the shopper is sent nowhere', async () => {
    const provider = createEcartPayProvider({ apiUrl: url, publicKey: 'p', privateKey: 'q', db: noDb });
    for (const link of [undefined, 'javascript:alert(1)', 'not a url']) {
      mode.payLink = link;
      expect(await provider.createCheckout(checkoutInput())).toMatchObject({
        ok: false,
        error: { kind: 'invalid_response' },
      });
    }
    mode.payLink = 'https://pay.example/checkout?id=o1&x=%20y';
    expect(await provider.createCheckout(checkoutInput())).toEqual({
      ok: true,
      redirectUrl: 'https://pay.example/checkout?id=o1&x=%20y',
      providerReference: 'o1',
    });
  });

  it('an unreachable Ecart is unavailable, never an exception', async () => {
    const client = createEcartPayClient({ timeoutMs: 1000 });
    const result = await client.getOrder(
      { apiUrl: 'http://127.0.0.1:9/api', publicKey: 'p', privateKey: 'q' },
      'x',
    );
    expect(result).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    if (!result.ok) expect(result.error.message).toMatch(/^Ecart Pay unreachable \(/);
  });
});

describe('Ecart Pay simulator', () => {
  let sim: RunningEcartPaySimulator;
  let receiver: {
    url: string;
    received: { headers: Record<string, unknown>; body: string }[];
    status: number;
    close(): Promise<void>;
  };

  beforeAll(async () => {
    sim = await startEcartPaySimulator({
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    const app = express();
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const r = { url: '', received, status: 200, close: async () => undefined as void };
    app.post('/notify', express.text({ type: () => true }), (req, res) => {
      received.push({ headers: req.headers, body: req.body as string });
      res.status(r.status).json({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
    r.close = () => new Promise((resolve) => server.close(() => resolve()));
    receiver = r;
  });
  afterAll(async () => {
    await sim?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    sim.state.reset();
    receiver.received.length = 0;
    receiver.status = 200;
  });

  async function order(over: Partial<CreateOrderBody> = {}) {
    const client = createEcartPayClient();
    const created = await client.createOrder(
      { apiUrl: sim.apiUrl, publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY },
      orderBody({ notify_url: receiver.url, redirect_url: 'http://shop.example/return/P1', ...over }),
    );
    if (!created.ok) throw new Error(created.error.message);
    return created.value;
  }

  it('the pay page speaks Spanish by default and English on request, with stable button ids and a CSP for the redirect', async () => {
    const o = await order({ items: [{ name: 'Pedido XJ12H', quantity: 2, price: 100.5 }] });
    const es = await request(sim.url).get(`/checkout?id=${o.id}`);
    expect(es.status).toBe(200);
    expect(es.text).toContain('Pagar pedido');
    expect(es.text).toContain('Pedido XJ12H');
    for (const id of ['ecartpay-approve', 'ecartpay-decline', 'ecartpay-cancel'])
      expect(es.text).toContain(`id="${id}"`);
    expect(es.text).toMatch(/\$201\.00/);
    expect(es.headers['content-security-policy']).toContain("form-action 'self' http://shop.example");
    expect(es.text).not.toMatch(/<script(?![^>]*src=)/);
    expect(es.text).not.toMatch(/style="/);
    const en = await request(sim.url).get(`/checkout?id=${o.id}&lang=en`);
    expect(en.text).toContain('Pay order');
    expect(en.text).toContain('Simulate a decline');
    const missing = await request(sim.url).get('/checkout?id=nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Pedido no encontrado');
  });

  it('approving sends the shopper to redirect_url and a notification Ecart’s way (signed over data)', async () => {
    const o = await order();
    const res = await request(sim.url).post(`/checkout/${o.id}`).type('form').send({ action: 'approve' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('http://shop.example/return/P1');
    await eventually(() => expect(receiver.received).toHaveLength(1));
    const [delivery] = receiver.received;
    const body = JSON.parse(delivery!.body) as { event: string; data: { id: string; status: string } };
    expect(body).toMatchObject({ event: 'orders.confirmation', data: { id: o.id, status: 'paid' } });
    expect(String(delivery!.headers['x-pay-signature'])).toMatch(/^SHA256=[0-9a-f]{64}$/);
    expect(String(delivery!.headers['x-pay-webhook-id'])).toMatch(/^hook_/);
    // The provider's verifier (written separately) accepts the simulator's signature.
    expect(
      verifyEcartSignature({
        secret: WEBHOOK_SECRET,
        headers: delivery!.headers as Record<string, string>,
        data: body.data,
        now: Date.now(),
      }).ok,
    ).toBe(true);
    // A second click changes nothing.
    await request(sim.url).post(`/checkout/${o.id}`).type('form').send({ action: 'decline' });
    expect(sim.state.getOrder(o.id)!.status).toBe('paid');
    const settled = await request(sim.url).get(`/checkout?id=${o.id}&lang=en`);
    expect(settled.text).toContain(
      'id="ecartpay-return" class="sandbox-button sandbox-button-secondary" href="http://shop.example/return/P1"',
    );
    expect(settled.text).toContain('Paid');
    expect(settled.text).not.toContain('id="ecartpay-approve"');
  });

  it('retries a notification answered 5xx (same webhook id), never one answered 4xx', async () => {
    sim.state.retryDelaysMs = [20, 20];
    receiver.status = 503;
    const o = await order();
    await request(sim.url).post(`/checkout/${o.id}`).type('form').send({ action: 'decline' });
    await eventually(() =>
      expect(sim.state.notificationsFor(o.id).filter((n) => n.outcome === 'error')).toHaveLength(3),
    );
    const ids = new Set(receiver.received.map((r) => r.headers['x-pay-webhook-id']));
    expect(ids.size).toBe(1);

    receiver.received.length = 0;
    receiver.status = 400;
    const refused = await order();
    await request(sim.url).post(`/checkout/${refused.id}`).type('form').send({ action: 'approve' });
    await eventually(() => expect(sim.state.notificationsFor(refused.id)[0]?.outcome).toBe('refused'));
    expect(sim.state.pendingNotifications).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('knobs: lost, duplicated and miscomputed', async () => {
    sim.state.loseNextNotifications(1);
    const lost = await order();
    await request(sim.url).post(`/checkout/${lost.id}`).type('form').send({ action: 'approve' });
    expect(sim.state.notificationsFor(lost.id)).toMatchObject([{ outcome: 'lost' }]);

    sim.state.duplicateNextNotifications(1);
    const dup = await order();
    await request(sim.url).post(`/checkout/${dup.id}`).type('form').send({ action: 'approve' });
    await eventually(() => expect(receiver.received).toHaveLength(2));
    expect(receiver.received[0]!.headers['x-pay-webhook-id']).toBe(
      receiver.received[1]!.headers['x-pay-webhook-id'],
    );

    sim.state.skewNextTotals(1);
    expect((await order()).totals.total).toBe(243.34);
    expect((await order()).totals.total).toBe(243.33);
  });

  it('the control API sets faults and statuses over HTTP', async () => {
    const faults = await request(sim.url)
      .post('/_control/faults')
      .send({ failNext: { count: 1, status: 502, operation: 'getOrder' }, loseNotifications: 2 });
    expect(faults.body).toMatchObject({
      failNext: [{ status: 502, operation: 'getOrder' }],
      loseNotifications: 2,
    });
    expect((await request(sim.url).post('/_control/faults').send({ bogus: 1 })).status).toBe(400);
    const o = await order();
    const moved = await request(sim.url).post(`/_control/orders/${o.id}/status`).send({ status: 'expired' });
    expect(moved.body).toMatchObject({ id: o.id, status: 'expired' });
    expect(sim.state.notificationsFor(o.id)).toMatchObject([{ outcome: 'lost', status: 'expired' }]);
    expect((await request(sim.url).post('/_control/tokens/expire')).body.expired).toBe(1);
  });
});

/** A database that must not be touched (no webhook secret: no receipts). */
const noDb: Queryable = {
  query: () => Promise.reject(new Error('no database in this test')),
  exec: () => Promise.reject(new Error('no database in this test')),
};

function fakePayment(over: Partial<Payment> = {}): Payment {
  return {
    id: 'PAYMENT_ID_0000000000A',
    storeId: 1003,
    referenceTransactionId: 'transaction_1',
    ecwidOrderId: 'XJ12H',
    attempt: 1,
    total: { amount: 1000, currency: 'MXN' },
    state: 'checkout_open',
    lang: 'es',
    returnUrl: 'https://store.example/return',
    provider: 'ecartpay',
    providerReference: null,
    providerSecretsSealed: null,
    checkoutUrl: null,
    externalTransactionId: null,
    refundedAmount: 0,
    attention: null,
    version: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...over,
  };
}

function checkoutInput() {
  return {
    payment: fakePayment(),
    order: { ecwidOrderId: 'XJ12H', items: [] },
    store: { storeId: 1003 },
    returnUrl: 'https://app.example/return/P',
    notificationUrl: 'https://app.example/webhooks/ecartpay/P',
    lang: 'es' as const,
  };
}

describe('Ecart Pay provider configuration and notification budget', () => {
  let sim: RunningEcartPaySimulator;
  beforeAll(async () => {
    sim = await startEcartPaySimulator({ publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY });
  });
  afterAll(() => sim?.close());
  beforeEach(() => sim.state.reset());

  it('credentialsFor gives the environment defaults; without both keys no currency is offered', async () => {
    const full = createEcartPayProvider({
      apiUrl: sim.apiUrl,
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      webhookSecret: 'whsec_x',
      db: noDb,
    });
    expect(full.credentialsFor({ storeId: 1 })).toEqual({
      apiUrl: sim.apiUrl,
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      webhookSecret: 'whsec_x',
    });
    expect(full.supportsCurrency('MXN', { storeId: 1 })).toBe(true);
    expect(full.supportsCurrency('CLP', { storeId: 1 })).toBe(true);
    expect(full.supportsCurrency('PYG', { storeId: 1 })).toBe(false);
    for (const partial of [{ publicKey: PUBLIC_KEY }, { privateKey: PRIVATE_KEY }, {}]) {
      const p = createEcartPayProvider({ apiUrl: sim.apiUrl, db: noDb, ...partial });
      expect(p.credentialsFor({ storeId: 1 })).toBeNull();
      expect(p.supportsCurrency('MXN', { storeId: 1 })).toBe(false);
      expect(await p.createCheckout(checkoutInput())).toMatchObject({
        ok: false,
        error: { kind: 'misconfigured' },
      });
    }
    expect(sim.state.calls).toHaveLength(0);
  });

  it('without a webhook secret an unsigned notification is accepted, but only the re-fetched order counts', async () => {
    const provider = createEcartPayProvider({
      apiUrl: sim.apiUrl,
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      db: noDb,
    });
    const created = await provider.createCheckout(checkoutInput());
    if (!created.ok) throw new Error(created.error.message);
    const payment = fakePayment({ providerReference: created.providerReference });
    const lookup = {
      byId: async () => ({ payment, providerSecrets: {}, store: { storeId: 1003 } }),
      byProviderReference: async () => null,
    };
    const body = Buffer.from(
      JSON.stringify({
        event: 'orders.confirmation',
        data: { id: created.providerReference, status: 'paid' },
      }),
    );
    expect(
      await provider.parseNotification({ headers: {}, rawBody: body, paymentId: payment.id, lookup }),
    ).toEqual({
      kind: 'observation',
      paymentId: payment.id,
      observation: {
        status: 'open',
        amount: { amount: 1000, currency: 'MXN' },
        externalTransactionId: created.providerReference,
      },
    });
  });

  it('a notification’s re-fetch stops at its time budget (Ecart wants an answer within 5 s) and asks for a retry', async () => {
    const provider = createEcartPayProvider({
      apiUrl: sim.apiUrl,
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      db: noDb,
      timeoutMs: 10_000,
      notificationBudgetMs: 200,
    });
    const created = await provider.createCheckout(checkoutInput());
    if (!created.ok) throw new Error(created.error.message);
    const payment = fakePayment({ providerReference: created.providerReference });
    const lookup = {
      byId: async () => ({ payment, providerSecrets: {}, store: { storeId: 1003 } }),
      byProviderReference: async () => null,
    };
    sim.state.slowAnswers(1_500, 'getOrder');
    const body = Buffer.from(JSON.stringify({ data: { id: created.providerReference } }));
    expect(
      await provider.parseNotification({ headers: {}, rawBody: body, paymentId: payment.id, lookup }),
    ).toEqual({
      kind: 'retry',
      reason: 'Ecart Pay did not answer in time',
    });
    // The same call without a budget (the return page) waits for the slow answer.
    expect(
      await provider.fetchStatus({ payment, providerSecrets: {}, store: { storeId: 1003 } }),
    ).toMatchObject({
      ok: true,
      observation: { status: 'open' },
    });
  });

  it('mounted under /sandbox/ecartpay (demo mode), pay links and forms carry the public base URL and mount path', async () => {
    const sim2 = createEcartPaySimulator({ publicBaseUrl: 'https://demo.example/sandbox/ecartpay' });
    const app = express();
    app.use('/sandbox/ecartpay', sim2.router);
    const token = (
      await request(app)
        .post('/sandbox/ecartpay/api/authorizations/token')
        .auth('pub_sandbox_ecartpay_demo', 'prv_sandbox_ecartpay_demo_0123456789')
    ).body.token as string;
    const created = await request(app)
      .post('/sandbox/ecartpay/api/orders')
      .set('Authorization', token)
      .send({
        currency: 'MXN',
        items: [{ name: 'x', quantity: 1, price: 1 }],
        redirect_url: 'https://demo.example/return/P',
      });
    expect(created.body.pay_link).toBe(
      `https://demo.example/sandbox/ecartpay/checkout?id=${created.body.id}`,
    );
    const page = await request(app).get(`/sandbox/ecartpay/checkout?id=${created.body.id}`);
    expect(page.text).toContain(`action="/sandbox/ecartpay/checkout/${created.body.id}"`);
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://demo.example");
    sim2.state.dispose();
  });
});
