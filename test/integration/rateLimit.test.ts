import { connect } from 'node:net';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { DEFAULT_RATE_LIMITS } from '../../src/web/rateLimit';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { startTestApp, TEST_CLIENT_SECRET, TEST_SECRET_KEY, type TestApp } from '../support/app';
import { openTestDb, type TestDb } from '../support/db';
import { paymentFlow } from '../support/flow';
import { createProviderDouble } from '../support/providerDouble';

/** Each test talks from its own address (trust proxy: one hop), so counters never leak between tests. */
let nextClient = 10;
const newClient = () => `203.0.113.${nextClient++}`;

describe('abuse limits: rate limiting, body sizes, request timeouts', () => {
  let t: TestDb;
  let ecwid: RunningEcwidSimulator;
  const apps: TestApp[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    t = await openTestDb('pglite');
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
  });
  afterEach(async () => {
    await Promise.all([...apps.splice(0).map((a) => a.close()), ...closers.splice(0).map((c) => c())]);
    ecwid.state.reset();
    await t.reset();
  });
  afterAll(async () => {
    await ecwid?.close();
    await t?.dispose();
  });

  async function start(env: Record<string, string> = {}) {
    const double = createProviderDouble();
    const app = await startTestApp({
      db: t.db,
      ecwidApiUrl: `${ecwid.url}/api/v3`,
      providers: [double.provider],
      env,
    });
    apps.push(app);
    return { app, double };
  }

  it('configuration: generous defaults, 0 turns a limit off, bad values are named', () => {
    const base = {
      ECWID_CLIENT_SECRET: TEST_CLIENT_SECRET,
      ECWID_CLIENT_ID: 'x',
      SECRET_KEY: 'k'.repeat(32),
    };
    expect(loadConfig(base).rateLimits).toEqual(DEFAULT_RATE_LIMITS);
    expect(
      loadConfig({ ...base, RATE_LIMIT_SHOPPER_PER_MINUTE: '0', RATE_LIMIT_WEBHOOK_PER_MINUTE: ' 90 ' })
        .rateLimits,
    ).toEqual({ shopperPerMinute: 0, webhookPerMinute: 90 });
    expect(() => loadConfig({ ...base, RATE_LIMIT_WEBHOOK_PER_MINUTE: 'lots' })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, RATE_LIMIT_SHOPPER_PER_MINUTE: '-1', RATE_LIMIT_WEBHOOK_PER_MINUTE: '1.5' });
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('RATE_LIMIT_SHOPPER_PER_MINUTE');
      expect(problems).toContain('RATE_LIMIT_WEBHOOK_PER_MINUTE');
    }
  });

  it('shopper routes: past the limit a plain page in the shopper’s language, 429 with Retry-After', async () => {
    const { app } = await start({ RATE_LIMIT_SHOPPER_PER_MINUTE: '3' });
    const ip = newClient();
    for (let i = 0; i < 3; i++) {
      const res = await request(app.url)
        .get('/pay/AAAAAAAAAAAAAAAAAAAAAA/checkout')
        .set('X-Forwarded-For', ip);
      expect(res.status).toBe(404);
    }
    const limited = await request(app.url)
      .get('/return/AAAAAAAAAAAAAAAAAAAAAA')
      .set('X-Forwarded-For', ip)
      .set('Accept-Language', 'en-US,en;q=0.8');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^text\/html/);
    expect(limited.headers['cache-control']).toBe('no-store');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(limited.text).toContain('Too many requests from your connection');
    expect(limited.text).not.toMatch(/rate-limit|stack|Error:/i);

    // The payment form is refused before its body is read or anything is stored; Spanish by default.
    const form = await request(app.url)
      .post('/ecwid/payment')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ enc_data: 'x'.repeat(50_000) });
    expect(form.status).toBe(429);
    expect(form.text).toContain('Demasiadas solicitudes');
    expect(await t.db.query('SELECT 1 FROM payments')).toHaveLength(0);

    // The status poll is a machine route: JSON.
    const poll = await request(app.url).get('/pay/AAAAAAAAAAAAAAAAAAAAAA/status').set('X-Forwarded-For', ip);
    expect(poll.status).toBe(429);
    expect(poll.body).toEqual({ error: 'rate_limited' });
    expect(poll.headers['retry-after']).toBeDefined();

    // Another address is not affected, nor are health checks and static files.
    const other = await request(app.url)
      .get('/pay/AAAAAAAAAAAAAAAAAAAAAA/checkout')
      .set('X-Forwarded-For', newClient());
    expect(other.status).toBe(404);
    for (let i = 0; i < 5; i++) {
      expect((await request(app.url).get('/healthz').set('X-Forwarded-For', ip)).status).toBe(200);
    }
    expect((await request(app.url).get('/public/css/app.css').set('X-Forwarded-For', ip)).status).not.toBe(
      429,
    );
    // The event is in the log, without the address.
    const warned = app.logs.entries().filter((l) => l.msg === 'shopper rate limit reached');
    expect(warned.length).toBeGreaterThan(0);
    expect(app.logs.text).not.toContain(ip);
  });

  it('webhooks: counted per provider and address, JSON 429 with Retry-After past the limit', async () => {
    const { app } = await start({ RATE_LIMIT_WEBHOOK_PER_MINUTE: '3' });
    const ip = newClient();
    const post = (path: string, from = ip) =>
      request(app.url)
        .post(path)
        .set('X-Forwarded-For', from)
        .set('Content-Type', 'application/json')
        .send('{}');
    for (let i = 0; i < 3; i++) expect((await post('/webhooks/double')).status).toBe(401);
    const limited = await post('/webhooks/double');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another provider's allowance from the same address is untouched; so is another address.
    expect((await post('/webhooks/ecwid')).status).toBe(400);
    expect((await post('/webhooks/double', newClient())).status).toBe(401);
  });

  it('default limits never block a burst of provider retries, nor a shopper polling', async () => {
    const { app } = await start();
    const flow = paymentFlow(app.url, ecwid);
    const { paymentId } = await flow.start({ currency: 'CLP', total: 5000 });
    const { reference } = await flow.checkout(paymentId);
    // A provider redelivering one notification 300 times within seconds, from one address.
    const burst = await Promise.all(
      Array.from({ length: 300 }, () =>
        flow.notify({ reference, status: 'paid', amount: 5000, currency: 'CLP' }),
      ),
    );
    expect(burst.filter((r) => r.status !== 200)).toEqual([]);
    expect(burst.filter((r) => r.body.result === 'applied')).toHaveLength(1);
    // A shopper's page polling every second for two minutes' worth.
    const polls = await Promise.all(
      Array.from({ length: 120 }, () => request(app.url).get(`/pay/${paymentId}/status`)),
    );
    expect(polls.filter((r) => r.status !== 200)).toEqual([]);
  });

  it('body size limits per route: 2 MB payment form, 256 KB notifications, 413 in plain words', async () => {
    const { app } = await start();
    const bigForm = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send({ enc_data: 'a'.repeat(2 * 1024 * 1024 + 10) });
    expect(bigForm.status).toBe(413);
    expect(bigForm.headers['content-type']).toMatch(/^text\/html/);
    const okForm = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send({ enc_data: 'a'.repeat(1024 * 1024) });
    expect(okForm.status).toBe(400); // read, then refused as undecryptable

    const bigHook = await request(app.url)
      .post('/webhooks/double')
      .set('Content-Type', 'application/json')
      .send(`{"pad":"${'b'.repeat(256 * 1024)}"}`);
    expect(bigHook.status).toBe(413);
    expect(bigHook.body).toEqual({ error: 'payload_too_large' });
    const bigEcwidHook = await request(app.url)
      .post('/webhooks/ecwid')
      .set('Content-Type', 'application/json')
      .send(`{"pad":"${'b'.repeat(256 * 1024)}"}`);
    expect(bigEcwidHook.status).toBe(413);
  });

  it('request timeouts: a client that never finishes its headers or body is cut off', async () => {
    const app = await startServer(
      loadConfig({
        PORT: '0',
        ECWID_CLIENT_ID: 'test-client',
        ECWID_CLIENT_SECRET: TEST_CLIENT_SECRET,
        SECRET_KEY: TEST_SECRET_KEY,
        ECWID_API_URL: `${ecwid.url}/api/v3`,
      }),
      {
        db: t.db,
        logger: createLogger({ level: 'silent' }),
        worker: false,
        requestTimeouts: { headersMs: 300, requestMs: 600 },
      },
    );
    closers.push(() => app.close());
    const { port } = new URL(app.url);
    const slow = (head: string) =>
      new Promise<{ answer: string; closed: boolean }>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', () => resolve({ answer, closed: true }));
        socket.on('error', () => undefined);
        socket.write(head);
        setTimeout(() => {
          socket.destroy();
          resolve({ answer, closed: false });
        }, 8_000).unref();
      });
    const [headers, body] = await Promise.all([
      slow('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      slow(
        'POST /ecwid/payment HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nenc_data=abc',
      ),
    ]);
    expect(headers.closed).toBe(true);
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.closed).toBe(true);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
