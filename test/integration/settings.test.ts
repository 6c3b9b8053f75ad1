import { createHmac } from 'node:crypto';
import request from 'supertest';
import { encryptEcwidPayload } from '../../src/ecwid/crypto';
import { issueAdminToken } from '../../src/merchants/adminAuth';
import { createSecrets } from '../../src/secrets';
import { startEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { startTestApp, TEST_CLIENT_SECRET, TEST_SECRET_KEY, type TestApp } from '../support/app';
import { openTestDb, testDatabases, type TestDb } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';
import { createProviderDouble } from '../support/providerDouble';

type Simulator = Awaited<ReturnType<typeof startEcwidSimulator>>;
const STORE = 4004;

function settingsPayload(storeId = STORE, lang = 'en', token: string = 'secret_adminToken12345678') {
  return encryptEcwidPayload(
    JSON.stringify({ store_id: storeId, access_token: token, lang, view_mode: 'PAGE' }),
    TEST_CLIENT_SECRET,
    'cbc',
  );
}

function formToken(html: string): string {
  const match = /name="t" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no form token in the page');
  return match[1]!;
}

const etpayFields = (over: Record<string, string> = {}) => ({
  enabled_etpay: 'on',
  etpay_mode: 'sandbox',
  etpay_sandbox_merchantCode: 'cl_demo_merchant',
  etpay_sandbox_merchantApiToken: 'etpay-api-token-SECRET-9876',
  etpay_sandbox_apiUrl: 'https://api-sandbox.etpay.example',
  etpay_sandbox_pmtUrl: 'https://pmt-sandbox.etpay.example',
  conekta_mode: 'sandbox',
  conekta_methods: ['card', 'cash'],
  conekta_lifetime_hours: '24',
  ...over,
});

describe.each(testDatabases())('settings page and dashboard on %s', (kind) => {
  let t: TestDb;
  let ecwid: Simulator;
  let app: TestApp;
  let double: ReturnType<typeof createProviderDouble>;
  let flow: ReturnType<typeof paymentFlow>;
  const secrets = createSecrets(TEST_SECRET_KEY);

  beforeAll(async () => {
    t = await openTestDb(kind);
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
    double = createProviderDouble({ refunds: true });
    const manual = createProviderDouble({ id: 'manual', currencies: ['CLP'] });
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: `${ecwid.url}/api/v3`,
      providers: [double.provider, manual.provider],
      defaultProviders: ['double', 'manual'],
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
  });

  // The admin payload carries the same app token as payment requests (one token per store and app).
  const open = async (lang = 'en', token?: string) => {
    const res = await request(app.url).get(
      `/settings?payload=${settingsPayload(STORE, lang, token)}&app_state=x`,
    );
    expect(res.status).toBe(200);
    return res;
  };
  const post = (path: string, form: Record<string, string | string[]>) =>
    request(app.url)
      .post(path)
      .set('Origin', app.url)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send(form);
  const storedSettings = async () =>
    (await t.db.query<{ settings: unknown }>('SELECT settings FROM stores WHERE store_id = $1', [STORE]))[0]
      ?.settings;

  it('opens from Ecwid’s encrypted payload, framable by the Ecwid admin only, in the admin’s language', async () => {
    const res = await open('es');
    expect(res.text).toContain('<html lang="es">');
    expect(res.text).toContain('Pagos LatAm: ajustes');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain('frame-ancestors https://my.ecwid.com');
    expect(csp).not.toContain("'unsafe-inline'");
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(res.text).toContain('ecwid-sdk/js/1.3.0/ecwid-app.js');
    expect(res.text).toContain('ecwid-app-ui.css');
    expect(res.text).toContain('data-app-id="test-client"');
    // The admin's token was kept, sealed, for Ecwid updates.
    const [store] = await t.db.query<{ token_sealed: string }>(
      'SELECT token_sealed FROM stores WHERE store_id = $1',
      [STORE],
    );
    expect(secrets.unseal(store!.token_sealed)).toBe('secret_adminToken12345678');
    expect(res.text).not.toContain('secret_adminToken12345678');
  });

  it('refuses a forged or missing payload', async () => {
    const forged = encryptEcwidPayload(
      JSON.stringify({ store_id: STORE, access_token: 'x', lang: 'en' }),
      'another-client-secret!!',
      'cbc',
    );
    for (const path of [`/settings?payload=${forged}`, '/settings', '/settings?payload=notbase64!!']) {
      const res = await request(app.url).get(path);
      expect(res.status).toBe(401);
    }
    expect(await t.db.query('SELECT * FROM stores')).toHaveLength(0);
  });

  it('saves a provider’s credentials sealed, shows only the last 4 characters, keeps a blank secret', async () => {
    const page = await open();
    const saved = await post('/settings', { t: formToken(page.text), ...etpayFields() });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('Settings saved.');
    expect(saved.text).toContain('••••9876');
    expect(saved.text).not.toContain('etpay-api-token-SECRET-9876');
    const raw = JSON.stringify(await storedSettings());
    expect(raw).not.toContain('etpay-api-token-SECRET-9876');
    expect(raw).toContain('cl_demo_merchant');

    // Saving again with the secret left blank keeps it.
    const again = await post('/settings', {
      t: formToken(saved.text),
      ...etpayFields({ etpay_sandbox_merchantApiToken: '' }),
    });
    expect(again.status).toBe(200);
    const store = await t.db.query<{
      settings: { providers: { etpay: { sandbox: Record<string, string> } } };
    }>('SELECT settings FROM stores WHERE store_id = $1', [STORE]);
    expect(secrets.unseal(store[0]!.settings.providers.etpay.sandbox.merchantApiToken!)).toBe(
      'etpay-api-token-SECRET-9876',
    );
    expect(app.logs.text).not.toContain('etpay-api-token-SECRET-9876');
  });

  it('refuses invalid fields with a message on the field, saving nothing', async () => {
    const page = await open();
    await post('/settings', { t: formToken(page.text), ...etpayFields() });
    const before = JSON.stringify(await storedSettings());
    const cases: [Record<string, string | string[]>, string][] = [
      [{ etpay_sandbox_apiUrl: 'not a url' }, 'etpay_sandbox_apiUrl_error'],
      [{ conekta_lifetime_hours: '0' }, 'Checkout lifetime'],
      [{ conekta_methods: [] }, 'Choose at least one.'],
      [{ etpay_currencies: ['EUR'] }, 'Invalid choice.'],
      [{ etpay_mode: 'production' }, 'etpay_production_merchantCode_error'],
    ];
    for (const [change, expected] of cases) {
      const res = await post('/settings', { t: formToken(page.text), ...etpayFields(), ...change });
      expect(res.status).toBe(422);
      expect(res.text).toContain('Nothing was saved');
      expect(res.text).toContain(expected);
      expect(JSON.stringify(await storedSettings())).toBe(before);
    }
  });

  it('refuses an expired or forged form token and a cross-site post', async () => {
    const expired = issueAdminToken(secrets, { storeId: STORE, lang: 'en' }, Date.now() - 3 * 60 * 60_000);
    expect((await post('/settings', { t: expired, ...etpayFields() })).status).toBe(403);
    const other = issueAdminToken(createSecrets('another-secret-key-of-at-least-32-chars!'), {
      storeId: STORE,
      lang: 'en',
    });
    expect((await post('/settings', { t: other, ...etpayFields() })).status).toBe(403);
    expect((await post('/settings', etpayFields())).status).toBe(403);
    const page = await open();
    const crossSite = await request(app.url)
      .post('/settings')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ t: formToken(page.text), ...etpayFields() });
    expect(crossSite.status).toBe(403);
    expect(await storedSettings()).toBeNull();
  });

  it('per-store settings override the env defaults: nothing enabled → a clear page at checkout', async () => {
    const before = await flow.start({ storeId: STORE, currency: 'CLP', total: 1000 });
    expect((await request(app.url).get(`/pay/${before.paymentId}/checkout`)).status).toBe(200); // chooser from defaults
    const page = await open();
    await post('/settings', {
      t: formToken(page.text),
      conekta_methods: ['card'],
      conekta_lifetime_hours: '24',
    });
    const after = await flow.start({ storeId: STORE, currency: 'CLP', total: 2000 });
    const res = await request(app.url).get(`/pay/${after.paymentId}/checkout`);
    expect(res.status).toBe(422);
    expect(res.text).toContain('No hay un medio de pago disponible para CLP');
  });

  it('lists the store’s payments with their Ecwid sync state, filterable, and retries a failed update', async () => {
    const paid = await flow.start({ storeId: STORE, currency: 'CLP', total: 1500 });
    const { reference } = await flow.checkout(paid.paymentId, 'double');
    ecwid.state.setStoreToken(STORE, 'secret_revoked');
    await flow.notify({ reference, status: 'paid', amount: 1500, currency: 'CLP' });
    await eventually(async () => {
      const [row] = await t.db.query<{ status: string }>(
        'SELECT status FROM ecwid_updates WHERE payment_id = $1',
        [paid.paymentId],
      );
      expect(row!.status).toBe('failed');
    });
    const waiting = await flow.start({ storeId: STORE, currency: 'CLP', total: 700 });
    await flow.start({ storeId: 9999, currency: 'CLP', total: 700 }); // another store's payment

    const page = await open('en', paid.json.token);
    expect(page.text).toContain(`data-payment-id="${paid.paymentId}" data-state="paid" data-sync="failed"`);
    expect(page.text).toContain(`data-payment-id="${waiting.paymentId}" data-state="created"`);
    expect(page.text).toContain('token is invalid or revoked');
    expect(page.text.match(/data-payment-id=/g)).toHaveLength(2);

    const filtered = await post('/settings/payments', { t: formToken(page.text), state: 'paid' });
    expect(filtered.text.match(/data-payment-id=/g)).toHaveLength(1);

    ecwid.state.setStoreToken(STORE, paid.json.token);
    const retried = await post(`/settings/retry/${paid.paymentId}`, { t: formToken(page.text) });
    expect(retried.text).toContain('Ecwid update queued again.');
    await eventually(() =>
      expect(ecwid.state.getOrder(STORE, paid.json.cart.order.referenceTransactionId)!.paymentStatus).toBe(
        'PAID',
      ),
    );
    // Another store's payment cannot be touched with this store's token.
    const [foreign] = await t.db.query<{ id: string }>('SELECT id FROM payments WHERE store_id = 9999');
    expect((await post(`/settings/retry/${foreign!.id}`, { t: formToken(page.text) })).status).toBe(404);
  });

  it('refunds through the provider: partial then full, idempotent per form, Ecwid following', async () => {
    const paid = await flow.start({ storeId: STORE, currency: 'MXN', total: 100 });
    const { reference } = await flow.checkout(paid.paymentId, 'double');
    await flow.notify({ reference, status: 'paid', amount: 10000, currency: 'MXN' });
    const ref = paid.json.cart.order.referenceTransactionId;
    await eventually(() => expect(ecwid.state.getOrder(STORE, ref)!.paymentStatus).toBe('PAID'));
    const page = await open('en', paid.json.token);
    const token = formToken(page.text);

    expect(
      (
        await post(`/settings/refund/${paid.paymentId}`, {
          t: token,
          amount: '100.01',
          rk: 'refund-key-aaaaaaaaaaaa',
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await post(`/settings/refund/${paid.paymentId}`, {
          t: token,
          amount: '-1',
          rk: 'refund-key-aaaaaaaaaaaa',
        })
      ).status,
    ).toBe(422);
    const partial = await post(`/settings/refund/${paid.paymentId}`, {
      t: token,
      amount: '30.50',
      rk: 'refund-key-bbbbbbbbbbbb',
    });
    expect(partial.status).toBe(200);
    expect(partial.text).toContain('Refund recorded');
    const twice = await post(`/settings/refund/${paid.paymentId}`, {
      t: token,
      amount: '30.50',
      rk: 'refund-key-bbbbbbbbbbbb',
    });
    expect(twice.status).toBe(409);
    await eventually(() =>
      expect(ecwid.state.getOrder(STORE, ref)!.paymentStatus).toBe('PARTIALLY_REFUNDED'),
    );
    const [half] = await t.db.query<{ refunded_amount: number; state: string }>(
      'SELECT * FROM payments WHERE id = $1',
      [paid.paymentId],
    );
    expect([Number(half!.refunded_amount), half!.state]).toEqual([3050, 'partially_refunded']);

    const rest = await post(`/settings/refund/${paid.paymentId}`, {
      t: token,
      amount: '69.50',
      rk: 'refund-key-cccccccccccc',
    });
    expect(rest.status).toBe(200);
    await eventually(() => expect(ecwid.state.getOrder(STORE, ref)!.paymentStatus).toBe('REFUNDED'));
    const more = await post(`/settings/refund/${paid.paymentId}`, {
      t: token,
      amount: '1',
      rk: 'refund-key-dddddddddddd',
    });
    expect(more.status).toBe(409);
  });

  it('records a refund made at a provider without a refund API (ETpay-style)', async () => {
    const paid = await flow.start({ storeId: STORE, currency: 'CLP', total: 9000 });
    const { reference } = await flow.checkout(paid.paymentId, 'manual');
    await request(app.url)
      .post('/webhooks/manual')
      .set('Content-Type', 'application/json')
      .set(
        'X-Double-Signature',
        createHmac('sha256', 'provider-double-signing-key')
          .update(JSON.stringify({ reference, status: 'paid', amount: 9000, currency: 'CLP' }))
          .digest('hex'),
      )
      .send(JSON.stringify({ reference, status: 'paid', amount: 9000, currency: 'CLP' }));
    const page = await open('en', paid.json.token);
    expect(page.text).toContain('Record a refund made in ETpay');
    const res = await post(`/settings/refund/${paid.paymentId}`, {
      t: formToken(page.text),
      amount: '9000',
      rk: 'refund-key-eeeeeeeeeeee',
    });
    expect(res.status).toBe(200);
    await eventually(() =>
      expect(ecwid.state.getOrder(STORE, paid.json.cart.order.referenceTransactionId)!.paymentStatus).toBe(
        'REFUNDED',
      ),
    );
  });

  describe('Ecwid app webhooks', () => {
    const event = (eventType: string, eventId = `evt-${Math.random()}`) => ({
      eventId,
      eventCreated: 1_700_000_000,
      storeId: STORE,
      entityId: STORE,
      eventType,
      data: {},
    });
    const sign = (e: { eventCreated: number; eventId: string }, secret = TEST_CLIENT_SECRET) =>
      createHmac('sha256', secret).update(`${e.eventCreated}.${e.eventId}`).digest('base64');
    const send = (e: ReturnType<typeof event>, signature = sign(e)) =>
      request(app.url).post('/webhooks/ecwid').set('X-Ecwid-Webhook-Signature', signature).send(e);

    it('refuses a bad signature (401) and does nothing', async () => {
      await open();
      const e = event('application.uninstalled');
      expect((await send(e, sign(e, 'not-the-client-secret-xxxx'))).status).toBe(401);
      expect((await send(e, '')).status).toBe(401);
      expect(
        (
          await request(app.url)
            .post('/webhooks/ecwid')
            .send('{"nope": 1}')
            .set('Content-Type', 'application/json')
        ).status,
      ).toBe(400);
      const [store] = await t.db.query<{ token_sealed: string | null }>(
        'SELECT token_sealed FROM stores WHERE store_id = $1',
        [STORE],
      );
      expect(store!.token_sealed).not.toBeNull();
    });

    it('records an install and, on uninstall, purges the token and sealed credentials (once per eventId)', async () => {
      expect((await send(event('application.installed'))).status).toBe(200);
      const page = await open();
      await post('/settings', { t: formToken(page.text), ...etpayFields() });
      const uninstall = event('application.uninstalled', 'evt-uninstall-1');
      expect((await send(uninstall)).body).toEqual({ ok: true });
      const [store] = await t.db.query<{
        token_sealed: string | null;
        settings: unknown;
        uninstalled_at: unknown;
        installed_at: unknown;
      }>('SELECT * FROM stores WHERE store_id = $1', [STORE]);
      expect(store!.token_sealed).toBeNull();
      expect(store!.installed_at).not.toBeNull();
      expect(store!.uninstalled_at).not.toBeNull();
      const settings = JSON.stringify(store!.settings);
      expect(settings).not.toContain('merchantApiToken');
      expect(settings).toContain('cl_demo_merchant');
      expect((await send(uninstall)).body).toEqual({ ok: true, duplicate: true });
    });
  });
});
