import type { AddressInfo } from 'node:net';
import express from 'express';
import { jwtVerify } from 'jose';
import request from 'supertest';
import { createEtpaySimulator, returnUrlWithJwt } from '../../src/sandbox/etpay/router';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../src/sandbox/etpay/server';
import { eventually } from '../support/flow';

const CODE = 'cl_simulador';
const TOKEN = 'sim-test-api-token-Qw9';

/** A merchant server receiving notifications, answering what the test says. */
async function merchant() {
  const received: { path: string; body: unknown }[] = [];
  const answers: number[] = [];
  const app = express();
  app.use(express.json());
  app.post(/.*/, (req, res) => {
    received.push({ path: req.path, body: req.body });
    res.status(answers.shift() ?? 200).json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, answers, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('ETpay simulator', () => {
  let sim: RunningEtpaySimulator;
  let shop: Awaited<ReturnType<typeof merchant>>;

  beforeAll(async () => {
    sim = await startEtpaySimulator({ merchantCode: CODE, merchantApiToken: TOKEN });
    shop = await merchant();
  });
  afterAll(async () => {
    await sim?.close();
    await shop?.close();
  });
  beforeEach(async () => {
    await sim.state.settled();
    sim.state.reset();
    shop.received.length = 0;
    shop.answers.length = 0;
  });

  async function newSession(over: Record<string, unknown> = {}) {
    const res = await request(sim.url)
      .post('/api/session/initialize')
      .send({
        merchant_code: CODE,
        merchant_api_token: TOKEN,
        merchant_order_id: 'oc-123',
        order_amount: 25990,
        metadata: [
          { name: 'Pedido', value: 'XJ12H', show: true },
          { name: 'interno', value: 'oculto-42', show: false },
        ],
        payment_webhook_url: `${shop.url}/hook`,
        payment_completed_url: `${shop.url}/ok?x=1`,
        payment_cancellation_url: `${shop.url}/ko?x=1`,
        concat: '&',
        ...over,
      });
    expect(res.status).toBe(200);
    return sim.state.session(res.body.token as string)!;
  }

  const act = (token: string, action: string, extra: Record<string, string> = {}) =>
    request(sim.url)
      .post(`/pmt/session/${token}`)
      .type('form')
      .send({ action, bank: 'cl_bci', ...extra });

  it('validates session/initialize like ETpay: 401 for credentials, 400 with a message for fields', async () => {
    const base = {
      merchant_code: CODE,
      merchant_api_token: TOKEN,
      merchant_order_id: 'a-1',
      order_amount: 10,
    };
    const wrong = await request(sim.url)
      .post('/api/session/initialize')
      .send({ ...base, merchant_code: 'cl_otro' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'Invalid merchant credentials' });
    for (const [field, value] of [
      ['merchant_order_id', 'a'.repeat(65)],
      ['merchant_order_id', 'a_1'],
      ['order_amount', 10.5],
      ['order_amount', 0],
      ['order_amount', '10'],
      ['payment_webhook_url', 'javascript:alert(1)'],
    ] as const) {
      const res = await request(sim.url)
        .post('/api/session/initialize')
        .send({ ...base, [field]: value });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
    }
    const malformed = await request(sim.url)
      .post('/api/session/initialize')
      .set('Content-Type', 'application/json')
      .send('{"merchant_code":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ message: 'Malformed body' });
    expect(sim.state.sessions).toHaveLength(0);
  });

  it('renders the funnel in Spanish (English on request) with the shown metadata only, and strict CSP', async () => {
    const s = await newSession();
    const es = await request(sim.url).get(`/pmt/session/${s.token}`);
    expect(es.status).toBe(200);
    expect(es.text).toContain('<html lang="es">');
    expect(es.text).toContain('Autorizar transferencia');
    expect(es.text).toContain('XJ12H');
    expect(es.text).not.toContain('oculto-42');
    expect(es.text).toContain('$25.990');
    expect(es.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=/);
    expect(es.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' ${shop.url}; base-uri 'none'; frame-ancestors 'none'`,
    );
    const en = await request(sim.url).get(`/pmt/session/${s.token}?lang=en`);
    expect(en.text).toContain('Authorise transfer');
    const missing = await request(sim.url).get('/pmt/session/nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('La sesión de pago no existe');
  });

  it('approve: a HS256 notification signed with the session’s signature_token, then the redirect with ?jwt joined by concat', async () => {
    const s = await newSession();
    const res = await act(s.token, 'approve');
    expect(res.status).toBe(303);
    const location = String(res.headers.location);
    expect(location.startsWith(`${shop.url}/ok?x=1&jwt=`)).toBe(true);
    const jwt = new URL(location).searchParams.get('jwt')!;

    expect(shop.received).toHaveLength(1);
    expect(shop.received[0]!.path).toBe('/hook');
    const notified = (shop.received[0]!.body as { payment: string }).payment;
    const key = new TextEncoder().encode(s.signatureToken);
    const { payload, protectedHeader } = await jwtVerify(notified, key, { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      session_token: s.token,
      merchant_order_id: 'oc-123',
      merchant_amount: 25990,
      merchant_currency: 'CLP',
      payment_status: 'success',
      user_bank: 'Bci',
    });
    expect(payload.payment_date).toMatch(/^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$/);
    expect((await jwtVerify(jwt, key)).payload).toEqual(payload);
    expect(sim.state.deliveries.map((d) => d.status)).toEqual([200]);

    // Paid: the funnel shows it and takes no more transfers.
    const again = await request(sim.url).get(`/pmt/session/${s.token}`);
    expect(again.text).toContain('data-outcome="paid"');
    expect((await act(s.token, 'reject')).status).toBe(409);
  });

  it('without concat, ETpay appends with "?" (the pitfall concat exists for)', () => {
    expect(returnUrlWithJwt('https://a.example/r/1?etpay=x', 'J', undefined)).toBe(
      'https://a.example/r/1?etpay=x?jwt=J',
    );
    expect(returnUrlWithJwt('https://a.example/r/1?etpay=x', 'J', '&')).toBe(
      'https://a.example/r/1?etpay=x&jwt=J',
    );
  });

  it('reject: a failed attempt notified and sent to the cancellation URL; cancel: no attempt, no jwt', async () => {
    const s = await newSession();
    const rejected = await act(s.token, 'reject');
    expect(String(rejected.headers.location)).toMatch(new RegExp(`^${shop.url}/ko\\?x=1&jwt=`));
    expect(s.attempts.map((a) => a.status)).toEqual(['failed']);
    expect(shop.received).toHaveLength(1);

    const cancelled = await act(s.token, 'cancel');
    expect(cancelled.headers.location).toBe(`${shop.url}/ko?x=1`);
    expect(s.attempts).toHaveLength(1);
    expect(shop.received).toHaveLength(1);
    expect((await act(s.token, 'steal')).status).toBe(400);
  });

  it('notification knobs: lost, duplicated, delayed, held and released out of order', async () => {
    const s = await newSession();
    sim.state.notifications.drop = 1;
    await act(s.token, 'reject');
    expect(shop.received).toHaveLength(0);

    sim.state.notifications.copies = 2;
    await act(s.token, 'reject');
    expect(shop.received).toHaveLength(3);
    sim.state.notifications.copies = 0;

    sim.state.notifications.delayMs = 100;
    await act(s.token, 'reject');
    expect(shop.received).toHaveLength(3);
    await eventually(() => expect(shop.received).toHaveLength(4));
    sim.state.notifications.delayMs = 0;

    sim.state.notifications.hold = true;
    const first = sim.state.addAttempt(s, { status: 'failed' });
    await sim.state.notify(s, first);
    const second = sim.state.addAttempt(s, { status: 'success' });
    await sim.state.notify(s, second);
    expect(shop.received).toHaveLength(4);
    await sim.state.releaseNotifications({ reverse: true });
    const tokens = sim.state.deliveries.slice(-2).map((d) => d.paymentToken);
    expect(tokens).toEqual([second.paymentToken, first.paymentToken]);
  });

  it('redelivers after a 5xx or a network error, not after a 4xx', async () => {
    const s = await newSession();
    shop.answers.push(503, 500);
    await act(s.token, 'reject');
    expect(sim.state.deliveries.map((d) => d.status)).toEqual([503, 500, 200]);

    shop.answers.push(401);
    await act(s.token, 'reject');
    expect(sim.state.deliveries.map((d) => d.status)).toEqual([503, 500, 200, 401]);

    const dead = await newSession({ payment_webhook_url: 'http://127.0.0.1:9/hook' });
    sim.state.notifications.retries = 1;
    await act(dead.token, 'reject');
    const deliveries = sim.state.deliveriesFor(dead.token);
    expect(deliveries).toHaveLength(2);
    expect(deliveries.every((d) => d.status === null && typeof d.error === 'string')).toBe(true);
  });

  it('API faults: failNext answers the status with {message}; check_payment_status shows the attempts', async () => {
    const s = await newSession();
    sim.state.failNext(2, 502);
    const statusCall = () =>
      request(sim.url)
        .post('/api/merchant/check_payment_status')
        .send({ merchant_api_token: TOKEN, session_token: s.token });
    expect((await statusCall()).status).toBe(502);
    const second = await statusCall();
    expect(second.status).toBe(502);
    expect(second.body).toEqual({ message: 'Simulated failure (HTTP 502)' });
    expect((await statusCall()).body).toEqual([]);
    await act(s.token, 'approve');
    const after = await statusCall();
    expect(after.body).toHaveLength(1);
    expect(after.body[0]).toMatchObject({ payment_status: 'success', session_token: s.token });
  });

  it('control API: faults, sessions without their signature_token, attempts without a browser, reset', async () => {
    const s = await newSession();
    const faults = await request(sim.url)
      .post('/_control/faults')
      .send({ failNext: { count: 1, status: 500 }, notifications: { copies: 1 } });
    expect(faults.status).toBe(200);
    expect(faults.body.notifications.copies).toBe(1);
    expect((await request(sim.url).post('/_control/faults').send({ bogus: 1 })).status).toBe(400);

    const sessions = await request(sim.url).get('/_control/sessions');
    expect(sessions.body.sessions).toHaveLength(1);
    expect(JSON.stringify(sessions.body)).not.toContain(s.signatureToken);

    const attempt = await request(sim.url)
      .post(`/_control/sessions/${s.token}/attempts`)
      .send({ status: 'success' });
    expect(attempt.status).toBe(201);
    expect(shop.received).toHaveLength(2); // copies: 1
    const deliveries = await request(sim.url).get(`/_control/deliveries?token=${s.token}`);
    expect(deliveries.body.deliveries).toHaveLength(2);
    expect(JSON.stringify(deliveries.body)).not.toContain('"jwt"');

    await request(sim.url).post('/_control/reset').send({});
    expect(sim.state.sessions).toHaveLength(0);
    expect(sim.state.notifications.copies).toBe(0);
  });

  it('is mountable under a path (demo mode) and its links follow the mount', async () => {
    const mounted = createEtpaySimulator({ publicBaseUrl: 'https://demo.example/sandbox/etpay/' });
    expect(mounted.apiUrl).toBe('https://demo.example/sandbox/etpay/api');
    expect(mounted.pmtUrl).toBe('https://demo.example/sandbox/etpay/pmt');
    const app = express();
    app.use('/sandbox/etpay', mounted.router);
    const created = await request(app).post('/sandbox/etpay/api/session/initialize').send({
      merchant_code: 'cl_demo_tienda',
      merchant_api_token: 'demo-etpay-merchant-api-token-0123456789',
      merchant_order_id: 'demo-1',
      order_amount: 1000,
    });
    expect(created.status).toBe(200);
    const page = await request(app).get(`/sandbox/etpay/pmt/session/${created.body.token}`);
    expect(page.text).toContain(`action="/sandbox/etpay/pmt/session/${created.body.token}"`);
    // No merchant URLs: the simulator shows the outcome itself.
    const done = await request(app)
      .post(`/sandbox/etpay/pmt/session/${created.body.token}`)
      .type('form')
      .send({ action: 'approve' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('data-outcome="paid"');
  });

  it('close() does not hang on a held call', async () => {
    const other = await startEtpaySimulator();
    other.state.hang = true;
    const pending = request(other.url)
      .post('/api/session/initialize')
      .send({})
      .then(
        () => 'answered',
        () => 'dropped',
      );
    await eventually(() => expect(other.state.apiCalls).toHaveLength(1));
    await other.close();
    expect(await pending).toBe('dropped');
  });
});
