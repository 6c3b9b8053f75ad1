import { createCipheriv, randomBytes } from 'node:crypto';
import request from 'supertest';
import { buildPaymentRequest, encryptPaymentRequest } from '../../src/sandbox/ecwid/payload';
import { startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../support/app';
import { openTestDb, testDatabases, type TestDb } from '../support/db';
import { createProviderDouble } from '../support/providerDouble';

const UNREACHABLE_ECWID = 'http://127.0.0.1:9/api/v3';

async function counts(t: TestDb) {
  const [row] = await t.db.query<{ payments: number; stores: number }>(
    'SELECT (SELECT count(*)::int FROM payments) AS payments, (SELECT count(*)::int FROM stores) AS stores',
  );
  return row!;
}

function continueHref(html: string): string {
  const match = /<a id="continue"[^>]*href="([^"]+)"/.exec(html);
  if (!match) throw new Error('no continue link in the page');
  return match[1]!;
}

describe.each(testDatabases())('POST /ecwid/payment on %s', (kind) => {
  let t: TestDb;
  let app: TestApp;

  beforeAll(async () => {
    t = await openTestDb(kind);
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: UNREACHABLE_ECWID,
      providers: [createProviderDouble().provider],
      worker: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });
  beforeEach(() => t.reset());

  it('accepts a real Ecwid-format request (both fields, several KB, unpadded) and answers the loading page', async () => {
    const json = buildPaymentRequest({
      currency: 'MXN',
      total: 2014.97,
      lang: 'es',
      token: 'secret_tokenABC123456789',
    });
    const form = encryptPaymentRequest(json, TEST_CLIENT_SECRET);
    expect(form.enc_data.length + form.data.length).toBeGreaterThan(10_000);
    expect(form.enc_data).not.toMatch(/=$/);

    const res = await request(app.url).post('/ecwid/payment').type('form').send(form);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<html lang="es">');
    expect(res.text).toContain('Preparando tu pago');
    const href = continueHref(res.text);
    expect(href).toMatch(/^\/pay\/[A-Za-z0-9_-]{22}\/checkout$/);
    expect(res.text).toContain('src="/public/js/continue.js"');
    expect(res.text).not.toMatch(/<script>(?!<)/);

    const paymentId = href.split('/')[2];
    const [row] = await t.db.query<Record<string, unknown>>('SELECT * FROM payments WHERE id = $1', [
      paymentId,
    ]);
    expect(row).toMatchObject({
      store_id: json.storeId,
      reference_transaction_id: json.cart.order.referenceTransactionId,
      ecwid_order_id: json.cart.order.id,
      currency: 'MXN',
      state: 'created',
      return_url: json.returnUrl,
      attempt: 1,
    });
    expect(Number(row!.amount)).toBe(201497);
    const [store] = await t.db.query<{ token_sealed: string }>(
      'SELECT token_sealed FROM stores WHERE store_id = $1',
      [json.storeId],
    );
    expect(store!.token_sealed).toMatch(/^v1\./);
    // Nothing personal or secret is stored in clear.
    const dump =
      JSON.stringify(await t.db.query('SELECT * FROM payments')) +
      JSON.stringify(await t.db.query('SELECT * FROM stores'));
    expect(dump).not.toContain('secret_tokenABC123456789');
    expect(dump).not.toContain(json.cart.order.email);
  });

  it('reads the legacy CBC `data` field alone, and CLP without decimals', async () => {
    const json = buildPaymentRequest({ currency: 'CLP', total: 15990, lang: 'en' });
    const { data } = encryptPaymentRequest(json, TEST_CLIENT_SECRET);
    const res = await request(app.url).post('/ecwid/payment').type('form').send({ data });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('Preparing your payment');
    const [row] = await t.db.query<{ amount: number; currency: string }>(
      'SELECT amount, currency FROM payments',
    );
    expect(Number(row!.amount)).toBe(15990);
    expect(row!.currency).toBe('CLP');
  });

  it('reuses the payment when the same order comes back with the same amount, keeping the latest returnUrl', async () => {
    const first = buildPaymentRequest({
      currency: 'MXN',
      total: 100.5,
      referenceTransactionId: 'transaction_1',
      returnKey: 'first',
    });
    const second = buildPaymentRequest({
      currency: 'MXN',
      total: 100.5,
      referenceTransactionId: 'transaction_1',
      returnKey: 'second',
    });
    expect(second.returnUrl).not.toBe(first.returnUrl);
    const a = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send(encryptPaymentRequest(first, TEST_CLIENT_SECRET));
    const b = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send(encryptPaymentRequest(second, TEST_CLIENT_SECRET));
    expect(continueHref(b.text)).toBe(continueHref(a.text));
    const rows = await t.db.query<{ return_url: string; attempt: number }>(
      'SELECT return_url, attempt FROM payments',
    );
    expect(rows).toEqual([{ return_url: second.returnUrl, attempt: 1 }]);
  });

  it('starts a new attempt when the amount changed, cancelling the old one', async () => {
    const first = buildPaymentRequest({
      currency: 'MXN',
      total: 100.5,
      referenceTransactionId: 'transaction_2',
    });
    const changed = buildPaymentRequest({
      currency: 'MXN',
      total: 120,
      referenceTransactionId: 'transaction_2',
    });
    const a = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send(encryptPaymentRequest(first, TEST_CLIENT_SECRET));
    const b = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send(encryptPaymentRequest(changed, TEST_CLIENT_SECRET));
    expect(continueHref(b.text)).not.toBe(continueHref(a.text));
    const rows = await t.db.query<{ attempt: number; state: string; amount: number }>(
      'SELECT attempt, state, amount FROM payments ORDER BY attempt',
    );
    expect(rows.map((r) => [r.attempt, r.state, Number(r.amount)])).toEqual([
      [1, 'cancelled', 10050],
      [2, 'created', 12000],
    ]);
  });

  it('lands concurrent double clicks on one payment', async () => {
    const json = buildPaymentRequest({
      currency: 'CLP',
      total: 5000,
      referenceTransactionId: 'transaction_3',
    });
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(app.url)
          .post('/ecwid/payment')
          .type('form')
          .send(encryptPaymentRequest(json, TEST_CLIENT_SECRET)),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(responses.map((r) => continueHref(r.text))).size).toBe(1);
    expect((await counts(t)).payments).toBe(1);
  });

  it('speaks Spanish for unknown languages', async () => {
    const json = buildPaymentRequest({ currency: 'CLP', total: 5000, lang: 'pt' });
    const res = await request(app.url)
      .post('/ecwid/payment')
      .type('form')
      .send(encryptPaymentRequest(json, TEST_CLIENT_SECRET));
    expect(res.text).toContain('<html lang="es">');
  });

  describe('refuses bad input with a plain 4xx page, storing nothing', () => {
    const good = () => buildPaymentRequest({ currency: 'MXN', total: 10, token: 'secret_badInputToken123' });
    const encrypt = (value: unknown) =>
      encryptPaymentRequest(value as Record<string, unknown>, TEST_CLIENT_SECRET);
    const cases: [string, () => Record<string, string>, number, RegExp][] = [
      ['no fields', () => ({}), 400, /no es válida/],
      ['not base64', () => ({ enc_data: '!!!not base64!!!' }), 400, /No pudimos leer/],
      ['wrong key', () => encryptPaymentRequest(good(), 'another-client-secret-xyz'), 400, /No pudimos leer/],
      [
        'tampered GCM tag',
        () => {
          const { enc_data } = encrypt(good());
          const bytes = Buffer.from(enc_data, 'base64url');
          bytes[bytes.length - 1]! ^= 0x01;
          return { enc_data: bytes.toString('base64url') };
        },
        400,
        /No pudimos leer/,
      ],
      ['truncated', () => ({ enc_data: encrypt(good()).enc_data.slice(0, 30) }), 400, /No pudimos leer/],
      ['not JSON', () => ({ enc_data: gcm('this is not json') }), 400, /no es válida/],
      ['missing fields', () => encrypt({ ...good(), returnUrl: undefined }), 400, /no es válida/],
      ['wrongly typed storeId', () => encrypt({ ...good(), storeId: 'abc' }), 400, /no es válida/],
      [
        'negative total',
        () => encrypt(buildPaymentRequest({ currency: 'MXN', total: -5 })),
        422,
        /total del pedido no es válido/,
      ],
      ['non-numeric total', () => encrypt(withTotal(good(), '12.50')), 400, /no es válida/],
      [
        'unsupported currency',
        () => encrypt(buildPaymentRequest({ currency: 'XAU', total: 10 })),
        422,
        /moneda/,
      ],
    ];

    it.each(cases)('%s', async (_name, form, status, message) => {
      const res = await request(app.url).post('/ecwid/payment').type('form').send(form());
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toMatch(message);
      expect(res.text).not.toMatch(/at .*\.ts:\d+|Error:|stack/i);
      expect(await counts(t)).toEqual({ payments: 0, stores: 0 });
      const warning = app.logs
        .entries()
        .reverse()
        .find((e) => e.msg === 'payment request refused');
      expect(warning).toBeDefined();
      expect(warning!.level).toBe(40);
      expect(app.logs.text).not.toContain('secret_badInputToken123');
    });

    it('a body over 2 MB', async () => {
      const res = await request(app.url)
        .post('/ecwid/payment')
        .type('form')
        .send({ enc_data: 'A'.repeat(2.2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.text).toMatch(/demasiado grande/);
      expect(await counts(t)).toEqual({ payments: 0, stores: 0 });
      // The process is still serving.
      expect((await request(app.url).get('/healthz')).status).toBe(200);
    });
  });
});

function gcm(plaintext: string): string {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-128-gcm', Buffer.from(TEST_CLIENT_SECRET.slice(0, 16)), iv);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url');
}

function withTotal(json: ReturnType<typeof buildPaymentRequest>, total: unknown) {
  return { ...json, cart: { ...json.cart, order: { ...json.cart.order, total } } };
}
