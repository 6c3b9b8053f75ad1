import { spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { startEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../support/app';
import { startChildApp } from '../support/childProcess';
import { describeOnPostgres, openTestDb, type TestDb } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';
import { createProviderDouble } from '../support/providerDouble';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the app shell (production mode, PGlite)', () => {
  let t: TestDb;
  let app: TestApp;

  beforeAll(async () => {
    t = await openTestDb('pglite');
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: 'http://127.0.0.1:9/api/v3',
      providers: [createProviderDouble().provider],
      worker: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('answers /favicon.ico with an empty 204 (no 404 noise in consoles and logs)', async () => {
    const res = await request(app.url).get('/favicon.ico');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('GET /healthz checks the database', async () => {
    const res = await request(app.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'pglite', mode: 'production' });
  });

  it('sends a strict CSP and no framing on shopper pages', async () => {
    const res = await request(app.url).get('/pay/AAAAAAAAAAAAAAAAAAAAAA/checkout');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{8,64}$/);
  });

  it('has no demo routes in production mode, and unknown pages get a plain 404 page', async () => {
    for (const p of ['/sandbox/ecwid/store', '/sandbox/ecwid/api/v3/1/orders/x']) {
      const res = await request(app.url).get(p);
      expect(res.status).toBe(404);
    }
    const page = await request(app.url).get('/nothing-here').set('Accept-Language', 'en-US');
    expect(page.status).toBe(404);
    expect(page.text).toContain('This page does not exist.');
    expect((await request(app.url).get('/')).status).toBe(200);
  });

  it('answers malformed JSON to machine routes with JSON, never a stack trace', async () => {
    const res = await request(app.url)
      .post('/webhooks/double')
      .set('Content-Type', 'application/json')
      .send('{not json');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts/);
  });
});

describe('demo mode', () => {
  it('mounts the Ecwid storefront simulator and announces itself', async () => {
    const t = await openTestDb('pglite');
    const app = await startTestApp({
      db: t.db,
      ecwidApiUrl: 'http://127.0.0.1:9/api/v3',
      worker: false,
      env: { DEMO_MODE: 'true' },
    });
    try {
      expect(app.logs.text).toContain('DEMO MODE');
      const home = await request(app.url).get('/');
      expect(home.status).toBe(302);
      expect(home.headers.location).toBe('/sandbox/ecwid/store');
      const store = await request(app.url).get('/sandbox/ecwid/store');
      expect(store.status).toBe(200);
      const health = await request(app.url).get('/healthz');
      expect(health.body.mode).toBe('demo');
    } finally {
      await app.close();
      await t.dispose();
    }
  });
});

describe('process lifecycle', () => {
  it('refuses to start with an invalid configuration, naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ECWID_CLIENT_ID: 'x',
        ECWID_CLIENT_SECRET: 'a-real-client-secret-123',
        PORT: 'abc',
      },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('SECRET_KEY: required outside demo mode');
    expect(stderr).not.toContain('a-real-client-secret-123');
  });

  describeOnPostgres('graceful shutdown on PostgreSQL', () => {
    it('SIGTERM finishes the request in flight, then exits cleanly', async () => {
      const t = await openTestDb('postgres');
      const ecwid = await startEcwidSimulator({
        clientId: 'test-client',
        clientSecret: TEST_CLIENT_SECRET,
        paymentUrl: 'http://127.0.0.1:9/unused',
      });
      const child = await startChildApp({
        DATABASE_URL: t.url!,
        ECWID_API_URL: `${ecwid.url}/api/v3`,
        TEST_SYNC_POLL_MS: '60000',
      });
      try {
        const flow = paymentFlow(child.url, ecwid);
        const { json, paymentId } = await flow.start({ currency: 'CLP', total: 3000 });
        const { reference } = await flow.checkout(paymentId);
        ecwid.state.delayMs = 800; // the return's Ecwid update is slow
        await flow.notify({ reference, status: 'paid', amount: 3000, currency: 'CLP' });
        const returning = request(child.url).get(`/return/${paymentId}`);
        const answered = returning.then((r) => r);
        await eventually(() => expect(ecwid.state.faults.held).toBeGreaterThan(0));
        const exited = new Promise<number | null>((resolve) => child.process.once('exit', resolve));
        child.process.kill('SIGTERM');
        const res = await answered;
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe(json.returnUrl);
        expect(await exited).toBe(0);
        expect(child.logs.some((l) => l.msg === 'stopped')).toBe(true);
      } finally {
        await child.kill('SIGKILL');
        await ecwid.close();
        await t.dispose();
      }
    });
  });
});
