import request from 'supertest';
import { encryptEcwidPayload } from '../../src/ecwid/crypto';
import { createLogger } from '../../src/logger';
import { findPayment } from '../../src/payments/repository';
import { createConektaProvider } from '../../src/providers/conekta/provider';
import { createEcartPayProvider, type EcartPayProvider } from '../../src/providers/ecartpay/provider';
import { createEtpayProvider } from '../../src/providers/etpay/provider';
import { DEMO_CONEKTA_PRIVATE_KEY } from '../../src/sandbox/conekta/router';
import { startConektaSimulator, type RunningConektaSimulator } from '../../src/sandbox/conekta/server';
import {
  DEMO_ECARTPAY_PRIVATE_KEY,
  DEMO_ECARTPAY_PUBLIC_KEY,
  DEMO_ECARTPAY_WEBHOOK_SECRET,
} from '../../src/sandbox/ecartpay/router';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';
import type { EcwidPaymentRequestJson } from '../../src/sandbox/ecwid/payload';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { DEMO_ETPAY_MERCHANT_API_TOKEN, DEMO_ETPAY_MERCHANT_CODE } from '../../src/sandbox/etpay/router';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../src/sandbox/etpay/server';
import { LogCapture, startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../support/app';
import { openTestDb, testDatabases, type TestDb } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';
import { CARD_OK, cardFields, get, submit } from '../unit/conekta/helpers';
import { clickFunnel, pathOf } from '../support/etpay';

/**
 * The three real providers, built with no environment credentials at all: only what a store saves
 * from its settings page (pointing at the simulators) makes them work for that store.
 */

const STORE = 6160;
const OTHER_STORE = 6161;
const STORE_TOKEN = 'secret_MerchantProvidersStoreToken61';

/** A live-mode key the Conekta simulator knows (the demo key is a test-mode key). */
const CONEKTA_LIVE_KEY = 'key_LiveModeMerchantProviders42';
const WRONG = {
  etpay: 'etpay-token-WRONG-merchantprov-5150',
  conekta: 'key_WrongConektaMerchantProv77',
  ecartpay: 'prv_wrong_ecartpay_merchantprov_31',
};
const SECRETS = [
  DEMO_ETPAY_MERCHANT_API_TOKEN,
  DEMO_CONEKTA_PRIVATE_KEY,
  CONEKTA_LIVE_KEY,
  DEMO_ECARTPAY_PRIVATE_KEY,
  DEMO_ECARTPAY_WEBHOOK_SECRET,
  ...Object.values(WRONG),
  Buffer.from(`${DEMO_ECARTPAY_PUBLIC_KEY}:${DEMO_ECARTPAY_PRIVATE_KEY}`).toString('base64'),
];

type ProviderId = 'etpay' | 'conekta' | 'ecartpay';
type Form = Record<string, string | string[]>;
type Changes = Record<string, string | string[] | null>;

/** `&amp;` & co. back to text (EJS escapes attribute values and text). */
function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) out[m[1]!] = unescapeHtml(m[2] ?? '');
  return out;
}

/** What a browser would submit from the form `#formId` (or the form posting to `action`) as shown. */
function formValues(html: string, match: { id: string } | { action: string }): Form {
  const opening =
    'id' in match ? `<form[^>]*id="${match.id}"[^>]*>` : `<form[^>]*action="${match.action}"[^>]*>`;
  const body = new RegExp(`${opening}([\\s\\S]*?)</form>`).exec(html)?.[1];
  if (body === undefined) throw new Error(`no form ${JSON.stringify(match)} in the page`);
  const pairs: [string, string][] = [];
  for (const m of body.matchAll(/<input\b([^>]*)>/g)) {
    const a = attrs(m[1]!);
    if (!a.name) continue;
    if (a.type === 'checkbox') {
      if ('checked' in a) pairs.push([a.name, a.value || 'on']);
    } else pairs.push([a.name, a.value ?? '']);
  }
  for (const m of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attrs(m[1]!).name;
    const options = [...m[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]!));
    const chosen = options.find((o) => 'selected' in o) ?? options[0];
    if (name && chosen) pairs.push([name, chosen.value ?? '']);
  }
  const form: Form = {};
  for (const [name, value] of pairs) {
    const before = form[name];
    form[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return form;
}

function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  }
  return params.toString();
}

/** The flash message shown at the top of the settings page. */
function flashOf(html: string): { kind: string; text: string } | null {
  const m = /<div class="flash flash-(ok|error)"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  return m ? { kind: m[1]!, text: unescapeHtml(m[2]!) } : null;
}

describe.each(testDatabases())('each store’s own provider settings, real providers, on %s', (kind) => {
  let t: TestDb;
  let ecwid: RunningEcwidSimulator;
  let etpay: RunningEtpaySimulator;
  let conekta: RunningConektaSimulator;
  let ecart: RunningEcartPaySimulator;
  let ecartProvider: EcartPayProvider;
  let ecartLogs: LogCapture;
  let app: TestApp;
  let flow: ReturnType<typeof paymentFlow>;
  /** Every settings page the app rendered in this suite (checked for secrets at the end). */
  const pages: string[] = [];

  beforeAll(async () => {
    t = await openTestDb(kind);
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
    // The simulators with their demo accounts (plus a live-mode Conekta key).
    etpay = await startEtpaySimulator();
    conekta = await startConektaSimulator({
      privateKeys: [DEMO_CONEKTA_PRIVATE_KEY],
      livePrivateKeys: [CONEKTA_LIVE_KEY],
      webhookRetryDelayMs: 30,
    });
    ecart = await startEcartPaySimulator({ webhookSecret: DEMO_ECARTPAY_WEBHOOK_SECRET });
    ecartLogs = new LogCapture();
    // The real providers, with no credentials of their own: only API locations.
    ecartProvider = createEcartPayProvider({
      apiUrl: ecart.apiUrl,
      sandboxApiUrl: ecart.apiUrl,
      productionApiUrl: ecart.apiUrl,
      db: t.db,
      logger: createLogger({ level: 'debug', destination: ecartLogs }),
      timeoutMs: 3_000,
    });
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: ecwid.apiUrl,
      providers: [
        createEtpayProvider({ timeoutMs: 3_000, statusTimeoutMs: 3_000 }),
        createConektaProvider({ apiUrl: conekta.url, timeoutMs: 3_000, retryDelayMs: 10 }),
        ecartProvider,
      ],
      // PAYMENT_PROVIDERS lists all three, but no ETPAY_* / CONEKTA_* / ECARTPAY_* keys are set.
      defaultProviders: ['etpay', 'conekta', 'ecartpay'],
    });
    flow = paymentFlow(app.url, ecwid);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([ecwid?.close(), etpay?.close(), conekta?.close(), ecart?.close()]);
    await t?.dispose();
  });
  beforeEach(async () => {
    await Promise.all([conekta.state.settled(), etpay.state.settled()]);
    conekta.state.reset();
    etpay.state.reset();
    ecart.state.reset();
    ecart.state.retryDelaysMs = [50, 50, 50];
    ecwid.state.reset();
    ecartProvider.client.forgetTokens();
    await t.reset();
  });

  // ------------------------------------------------------------------ settings page helpers

  const settingsPayload = (storeId: number) =>
    encryptEcwidPayload(
      JSON.stringify({ store_id: storeId, access_token: STORE_TOKEN, lang: 'en', view_mode: 'PAGE' }),
      TEST_CLIENT_SECRET,
      'cbc',
    );

  /** The merchant opens the app in the Ecwid admin (its token is the one Ecwid updates use). */
  async function openSettings(storeId = STORE): Promise<string> {
    const res = await request(app.url).get(`/settings?payload=${settingsPayload(storeId)}`);
    expect(res.status).toBe(200);
    pages.push(res.text);
    return res.text;
  }

  /** Submits a form of the page as the browser would (same origin), with some fields changed. */
  async function submitForm(
    page: string,
    changes: Changes,
    action = '/settings',
    form: { id: string } | { action: string } = { id: 'settings-form' },
  ) {
    const values = formValues(page, form);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete values[name];
      else values[name] = value;
    }
    const res = await request(app.url)
      .post(action)
      .set('Origin', app.url)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send(encodeForm(values));
    pages.push(res.text);
    return res;
  }

  const sandboxFields = (): Record<ProviderId, Record<string, string>> => ({
    etpay: {
      etpay_sandbox_merchantCode: DEMO_ETPAY_MERCHANT_CODE,
      etpay_sandbox_merchantApiToken: DEMO_ETPAY_MERCHANT_API_TOKEN,
      etpay_sandbox_apiUrl: etpay.apiUrl,
      etpay_sandbox_pmtUrl: etpay.pmtUrl,
    },
    conekta: { conekta_sandbox_privateKey: DEMO_CONEKTA_PRIVATE_KEY },
    ecartpay: {
      ecartpay_sandbox_publicKey: DEMO_ECARTPAY_PUBLIC_KEY,
      ecartpay_sandbox_privateKey: DEMO_ECARTPAY_PRIVATE_KEY,
      ecartpay_sandbox_webhookSecret: DEMO_ECARTPAY_WEBHOOK_SECRET,
    },
  });

  const PROVIDERS = ['etpay', 'conekta', 'ecartpay'] as const;
  /**
   * Before a store saves anything, the page shows the PAYMENT_PROVIDERS defaults ticked: a merchant
   * saving one provider unticks the others (an enabled provider needs complete credentials).
   */
  const untickUnsaved = async (except?: ProviderId): Promise<Changes> =>
    (await storedSettings())
      ? {}
      : Object.fromEntries(PROVIDERS.filter((p) => p !== except).map((p) => [`enabled_${p}`, null]));

  /** Enables a provider in sandbox with the simulator's demo credentials, from the page. */
  async function saveProvider(id: ProviderId, page?: string, extra: Changes = {}): Promise<string> {
    const res = await submitForm(page ?? (await openSettings()), {
      ...(await untickUnsaved(id)),
      [`enabled_${id}`]: 'on',
      [`${id}_mode`]: 'sandbox',
      ...sandboxFields()[id],
      ...extra,
    });
    expect(res.status).toBe(200);
    expect(flashOf(res.text)).toEqual({ kind: 'ok', text: 'Settings saved.' });
    return res.text;
  }

  async function saveAll(): Promise<string> {
    let page = await openSettings();
    for (const id of PROVIDERS) page = await saveProvider(id, page);
    return page;
  }

  const storedSettings = async () =>
    (
      await t.db.query<{ settings: Record<string, unknown> | null }>(
        'SELECT settings FROM stores WHERE store_id = $1',
        [STORE],
      )
    )[0]?.settings;

  // ------------------------------------------------------------------ shopper helpers

  type Started = Awaited<ReturnType<typeof flow.start>>;
  const ecwidStatus = (json: EcwidPaymentRequestJson) =>
    ecwid.state.getOrder(json.storeId, json.cart.order.referenceTransactionId)?.paymentStatus;

  const start = (currency: string, total: number, storeId = STORE) =>
    flow.start({ storeId, token: STORE_TOKEN, currency, total, lang: 'es' });

  /** The shopper continues from the loading page (optionally choosing a provider on the chooser). */
  const checkout = (paymentId: string, provider?: string) =>
    request(app.url).get(`/pay/${paymentId}/checkout${provider ? `?provider=${provider}` : ''}`);

  async function expectNoProvider(s: Started) {
    const res = await checkout(s.paymentId);
    expect(res.status).toBe(422);
    expect(res.text).toContain(
      `No hay un medio de pago disponible para ${s.json.cart.currency} en esta tienda.`,
    );
  }

  /** The provider sent the shopper back to the app; the app sends them on to Ecwid's returnUrl, PAID. */
  async function backToStore(s: Started, location: string) {
    expect(location.startsWith(`${app.url}/return/${s.paymentId}`)).toBe(true);
    const back = await request(app.url).get(pathOf(location));
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(s.json.returnUrl);
    await eventually(() => expect(ecwidStatus(s.json)).toBe('PAID'));
    const store = await request(ecwid.url).get(pathOf(s.json.returnUrl));
    expect(store.status).toBe(200);
    expect(store.text).toContain('data-order-status="PAID"');
    expect((await findPayment(t.db, s.paymentId))!.state).toBe('paid');
  }

  async function payWithEtpay(total: number, provider?: string) {
    const s = await start('CLP', total);
    const res = await checkout(s.paymentId, provider);
    expect(res.status).toBe(303);
    const funnelUrl = String(res.headers.location);
    expect(funnelUrl.startsWith(`${etpay.pmtUrl}/session/`)).toBe(true);
    const session = etpay.state.session(decodeURIComponent(funnelUrl.split('/session/')[1]!))!;
    expect(session.request).toMatchObject({ merchant_code: DEMO_ETPAY_MERCHANT_CODE, order_amount: total });
    const click = await clickFunnel(funnelUrl, 'approve');
    expect(click.status).toBe(303);
    await backToStore(s, click.location);
    return s;
  }

  async function payWithConekta(total: number, provider?: string) {
    const s = await start('MXN', total);
    const res = await checkout(s.paymentId, provider);
    expect(res.status).toBe(303);
    const checkoutUrl = String(res.headers.location);
    expect(checkoutUrl.startsWith(`${conekta.url}/checkout/`)).toBe(true);
    const page = await get(checkoutUrl);
    expect(page.status).toBe(200);
    const paid = await submit(checkoutUrl, page.html, 'card-form', cardFields(CARD_OK));
    expect(paid.status).toBe(303);
    await backToStore(s, paid.location!);
    const order = conekta.state.listOrders().find((r) => r.order.metadata.payment_id === s.paymentId)!.order;
    return { ...s, order };
  }

  async function payWithEcart(total: number, provider?: string) {
    const s = await start('MXN', total);
    const res = await checkout(s.paymentId, provider);
    expect(res.status).toBe(303);
    const payLink = String(res.headers.location);
    expect(payLink.startsWith(`${ecart.url}/checkout?`)).toBe(true);
    const orderId = new URL(payLink).searchParams.get('id')!;
    const click = await request(ecart.url)
      .post(`/checkout/${orderId}`)
      .type('form')
      .send({ action: 'approve', lang: 'es' });
    expect(click.status).toBe(303);
    // Ecart's signed notification is verified with the store's own webhook secret.
    await eventually(() =>
      expect(ecart.state.notificationsFor(orderId)).toMatchObject([
        { outcome: 'delivered', httpStatus: 200, responseBody: { result: 'applied', state: 'paid' } },
      ]),
    );
    await backToStore(s, String(click.headers.location));
    return { ...s, orderId };
  }

  // ------------------------------------------------------------------ 1

  it('before any settings, with no env credentials, checkout shows the clear “no payment method” page', async () => {
    for (const [currency, total] of [
      ['MXN', 250],
      ['CLP', 9990],
    ] as const) {
      const s = await start(currency, total);
      const res = await checkout(s.paymentId);
      expect(res.status).toBe(422);
      expect(res.text).toContain(`No hay un medio de pago disponible para ${currency} en esta tienda.`);
      // With a way back to the store, carrying the message.
      const back = new URL(s.json.returnUrl);
      back.searchParams.set(
        'errorMsg',
        `No hay un medio de pago disponible para ${currency} en esta tienda.`,
      );
      expect(unescapeHtml(res.text)).toContain(back.toString());
      expect((await findPayment(t.db, s.paymentId))!.provider).toBeNull();
    }
    // No provider was even asked.
    expect(conekta.state.requests).toHaveLength(0);
    expect(etpay.state.apiCalls).toHaveLength(0);
    expect(ecart.state.callsTo('createOrder')).toHaveLength(0);
    expect(ecart.state.callsTo('token')).toHaveLength(0);
  });

  // ------------------------------------------------------------------ 2

  it('saving each provider’s settings from the page makes it work for that store: a paid journey each', async () => {
    let page = await openSettings();
    await expectNoProvider(await start('CLP', 1000));

    // ETpay: bank transfer in CLP.
    page = await saveProvider('etpay', page);
    await payWithEtpay(15990);
    await expectNoProvider(await start('MXN', 100)); // nothing takes MXN yet

    // Conekta: the only provider for MXN, so the shopper goes straight to its hosted checkout.
    page = await saveProvider('conekta', page);
    const viaConekta = await payWithConekta(2014.97);
    expect(viaConekta.order).toMatchObject({ amount: 201497, currency: 'MXN', livemode: false });
    const create = conekta.state.requests.find((r) => r.method === 'POST' && r.path === '/orders')!;
    expect(create).toMatchObject({ auth: 'ok', authScheme: 'Bearer' });

    // Ecart Pay: now MXN has two providers, the shopper chooses Ecart Pay.
    await saveProvider('ecartpay', page);
    const s = await start('MXN', 10);
    const chooser = await checkout(s.paymentId);
    expect(chooser.status).toBe(200);
    expect(chooser.text).toContain(`/pay/${s.paymentId}/checkout?provider=conekta`);
    expect(chooser.text).toContain(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    const viaEcart = await payWithEcart(1234.56, 'ecartpay');
    expect(ecart.state.getOrder(viaEcart.orderId)).toMatchObject({ status: 'paid', currency: 'MXN' });
    expect(ecart.state.callsTo('token')[0]).toMatchObject({ auth: 'ok', status: 200 });

    // The settings are this store’s only: another store still has no payment method.
    await expectNoProvider(await start('MXN', 10, OTHER_STORE));
    await expectNoProvider(await start('CLP', 1000, OTHER_STORE));
  });

  // ------------------------------------------------------------------ 3

  it('“Check credentials”: missing when incomplete, the provider’s own words when wrong, success when valid', async () => {
    let page = await openSettings();
    const check = async (id: ProviderId) => {
      const res = await submitForm(page, {}, `/settings/check/${id}`);
      expect(res.status).toBe(200);
      page = res.text;
      return flashOf(res.text);
    };
    const incomplete: Record<ProviderId, Changes> = {
      etpay: { etpay_sandbox_merchantCode: DEMO_ETPAY_MERCHANT_CODE },
      conekta: {},
      ecartpay: { ecartpay_sandbox_publicKey: DEMO_ECARTPAY_PUBLIC_KEY },
    };
    const wrong: Record<ProviderId, Changes[]> = {
      // A wrong token; then the right token for another merchant code.
      etpay: [
        { etpay_sandbox_merchantApiToken: WRONG.etpay },
        {
          etpay_sandbox_merchantApiToken: DEMO_ETPAY_MERCHANT_API_TOKEN,
          etpay_sandbox_merchantCode: 'cl_otra_tienda',
        },
      ],
      conekta: [{ conekta_sandbox_privateKey: WRONG.conekta }],
      ecartpay: [{ ecartpay_sandbox_privateKey: WRONG.ecartpay }],
    };
    const refused: Record<ProviderId, string[]> = {
      etpay: [
        'ETpay refused the credentials: ETpay refused the merchant credentials at /merchant/check_payment_status (HTTP 401): Invalid merchant credentials',
      ],
      conekta: [
        'Conekta refused the credentials: Conekta answered 401 authentication_error to GET /webhooks',
        'la llave privada falta o no es válida',
      ],
      ecartpay: [
        'Ecart Pay refused the credentials: Ecart Pay refused the API keys (401: Invalid credentials)',
      ],
    };
    const names: Record<ProviderId, string> = { etpay: 'ETpay', conekta: 'Conekta', ecartpay: 'Ecart Pay' };

    for (const id of ['etpay', 'conekta', 'ecartpay'] as const) {
      // Incomplete (saved disabled, as the page allows): "missing", and nothing is sent to the provider.
      const saved = await submitForm(page, {
        ...(await untickUnsaved()),
        [`enabled_${id}`]: null,
        [`${id}_mode`]: 'sandbox',
        ...incomplete[id],
      });
      expect(flashOf(saved.text)).toEqual({ kind: 'ok', text: 'Settings saved.' });
      page = saved.text;
      const before = { conekta: conekta.state.requests.length, etpay: etpay.state.apiCalls.length };
      expect(await check(id)).toEqual({
        kind: 'error',
        text: `${names[id]} credentials are missing for the live environment.`,
      });
      expect(conekta.state.requests).toHaveLength(before.conekta);
      expect(etpay.state.apiCalls).toHaveLength(before.etpay);
      expect(ecart.state.callsTo('token')).toHaveLength(0);

      // Wrong credentials: the provider refuses, in its own words.
      for (const changes of wrong[id]) {
        page = await saveProvider(id, page, changes);
        const bad = await check(id);
        expect(bad!.kind).toBe('error');
        for (const words of refused[id]) expect(bad!.text).toContain(words);
      }

      // The valid secret: the provider accepts it.
      page = await saveProvider(id, page);
      expect(await check(id)).toEqual({
        kind: 'ok',
        text: `${names[id]} accepts these credentials (Sandbox (test)).`,
      });
    }
    // Each check was a real, authenticated call at the simulator.
    expect(conekta.state.requests.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['GET', '/webhooks', 'invalid'],
      ['GET', '/webhooks', 'ok'],
    ]);
    expect(etpay.state.apiCalls.map((c) => [c.path, c.status])).toEqual([
      ['/merchant/check_payment_status', 401],
      ['/merchant/check_payment_status', 401],
      ['/merchant/check_payment_status', 200],
    ]);
    expect(ecart.state.callsTo('token').map((c) => [c.auth, c.status])).toEqual([
      ['bad', 401],
      ['ok', 200],
    ]);
  });

  // ------------------------------------------------------------------ 4

  it('registers the Conekta webhook once: created at the first click, “already registered” at the second', async () => {
    const page = await saveProvider('conekta');
    const url = `${app.url}/webhooks/conekta`;
    expect(page).toContain(`value="${url}"`); // the URL the page shows to copy

    const first = await submitForm(page, {}, '/settings/conekta/webhook');
    expect(first.status).toBe(200);
    expect(flashOf(first.text)).toEqual({ kind: 'ok', text: 'Webhook registered at Conekta.' });
    expect(conekta.state.webhooksFor(false).map((h) => h.url)).toEqual([url]);
    expect(conekta.state.webhooksFor(true)).toEqual([]);

    const second = await submitForm(first.text, {}, '/settings/conekta/webhook');
    expect(second.status).toBe(200);
    expect(flashOf(second.text)).toEqual({
      kind: 'ok',
      text: 'The webhook was already registered at Conekta.',
    });
    expect(conekta.state.webhooksFor(false).map((h) => h.url)).toEqual([url]);
    const calls = conekta.state.requests.filter((r) => r.path === '/webhooks');
    expect(calls.map((r) => [r.method, r.auth, r.status])).toEqual([
      ['GET', 'ok', 200],
      ['POST', 'ok', 200],
      ['GET', 'ok', 200],
    ]);
    await conekta.state.settled();
  });

  // ------------------------------------------------------------------ 5

  it('refunds from the dashboard through Conekta and Ecart Pay: partial, too much (422, nothing sent), the rest', async () => {
    await saveAll();
    const viaConekta = await payWithConekta(100, 'conekta');
    const viaEcart = await payWithEcart(250, 'ecartpay');
    let page = await openSettings();

    /** The merchant types an amount in the payment's refund form and submits it. */
    const refund = async (paymentId: string, amount: string) => {
      const action = `/settings/refund/${paymentId}`;
      const res = await submitForm(page, { amount }, action, { action });
      page = res.text;
      return res;
    };
    const conektaRefunds = () =>
      conekta.state.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/refunds'));
    const conektaOrder = () => conekta.state.getOrder(viaConekta.order.id)!.order;
    const ecartRefunds = () => ecart.state.callsTo('refund');
    const row = async (id: string) => {
      const p = (await findPayment(t.db, id))!;
      return [p.state, p.refundedAmount];
    };

    // Conekta: 100.00 MXN paid.
    expect(formValues(page, { action: `/settings/refund/${viaConekta.paymentId}` }).amount).toBe('100.00');
    const partial = await refund(viaConekta.paymentId, '30.50');
    expect(partial.status).toBe(200);
    expect(flashOf(partial.text)).toEqual({
      kind: 'ok',
      text: 'Refund recorded: the Ecwid order will be updated.',
    });
    await eventually(() => expect(ecwidStatus(viaConekta.json)).toBe('PARTIALLY_REFUNDED'));
    expect(conektaRefunds().map((r) => r.body)).toEqual([{ amount: 3050, reason: 'requested_by_client' }]);
    expect(conektaOrder()).toMatchObject({ amount_refunded: 3050, payment_status: 'partially_refunded' });
    expect(await row(viaConekta.paymentId)).toEqual(['partially_refunded', 3050]);

    const tooMuch = await refund(viaConekta.paymentId, '69.51');
    expect(tooMuch.status).toBe(422);
    expect(flashOf(tooMuch.text)).toEqual({
      kind: 'error',
      text: 'The amount must be above zero and at most 69.50.',
    });
    expect(conektaRefunds()).toHaveLength(1);

    const rest = await refund(viaConekta.paymentId, '69.50');
    expect(rest.status).toBe(200);
    await eventually(() => expect(ecwidStatus(viaConekta.json)).toBe('REFUNDED'));
    expect(conektaOrder()).toMatchObject({ amount_refunded: 10000, payment_status: 'refunded' });
    expect(conektaOrder().charges.data[0]!.refunds.data.map((r) => r.amount)).toEqual([3050, 6950]);
    expect(await row(viaConekta.paymentId)).toEqual(['refunded', 10000]);

    // Ecart Pay: 250.00 MXN paid.
    const ecartPartial = await refund(viaEcart.paymentId, '100.25');
    expect(ecartPartial.status).toBe(200);
    await eventually(() => expect(ecwidStatus(viaEcart.json)).toBe('PARTIALLY_REFUNDED'));
    expect(ecartRefunds().map((c) => [c.body, c.status])).toEqual([
      [{ amount: 100.25, reason: 'requested' }, 200],
    ]);
    expect(ecart.state.getOrder(viaEcart.orderId)).toMatchObject({ status: 'partially_refunded' });
    expect(await row(viaEcart.paymentId)).toEqual(['partially_refunded', 10025]);

    const ecartTooMuch = await refund(viaEcart.paymentId, '149.76');
    expect(ecartTooMuch.status).toBe(422);
    expect(flashOf(ecartTooMuch.text)!.text).toBe('The amount must be above zero and at most 149.75.');
    expect(ecartRefunds()).toHaveLength(1);

    const ecartRest = await refund(viaEcart.paymentId, '149.75');
    expect(ecartRest.status).toBe(200);
    await eventually(() => expect(ecwidStatus(viaEcart.json)).toBe('REFUNDED'));
    expect(ecart.state.getOrder(viaEcart.orderId)).toMatchObject({
      status: 'refunded',
      refunds: [
        { amount: 100.25, reason: 'requested' },
        { amount: 149.75, reason: 'requested' },
      ],
    });
    expect(await row(viaEcart.paymentId)).toEqual(['refunded', 25000]);

    // Nothing is left to refund: the dashboard no longer offers it.
    expect(page).not.toContain(`action="/settings/refund/${viaConekta.paymentId}"`);
    expect(page).not.toContain(`action="/settings/refund/${viaEcart.paymentId}"`);
  });

  // ------------------------------------------------------------------ 6

  it('the sandbox/production switch: refused without production credentials; Conekta checks livemode', async () => {
    let page = await saveAll();
    const before = JSON.stringify(await storedSettings());

    // Switching a working provider to production with no production credentials is refused, on the
    // field, and nothing is saved: the provider keeps working in sandbox.
    const firstField: Record<ProviderId, string> = {
      etpay: 'etpay_production_merchantCode',
      conekta: 'conekta_production_privateKey',
      ecartpay: 'ecartpay_production_publicKey',
    };
    for (const id of ['etpay', 'conekta', 'ecartpay'] as const) {
      const res = await submitForm(page, { [`${id}_mode`]: 'production' });
      expect(res.status).toBe(422);
      expect(flashOf(res.text)!.text).toBe('Nothing was saved: fix the marked fields.');
      expect(res.text).toContain(
        `<span class="field-error" id="${firstField[id]}_error">Required to enable this payment method.</span>`,
      );
      expect(JSON.stringify(await storedSettings())).toBe(before);
    }
    await payWithEtpay(5000, 'etpay');
    await payWithEcart(10, 'ecartpay');

    // Should a store's live environment ever lack credentials (the page never saves that), the
    // provider is simply not offered: no call with the sandbox keys.
    const stored = (await storedSettings()) as {
      providers: Record<ProviderId, { mode: string }>;
    };
    stored.providers.etpay.mode = 'production';
    stored.providers.ecartpay.mode = 'production';
    await t.db.query('UPDATE stores SET settings = $2 WHERE store_id = $1', [STORE, JSON.stringify(stored)]);
    const sessions = etpay.state.apiCalls.length;
    await expectNoProvider(await start('CLP', 3000));
    expect(etpay.state.apiCalls).toHaveLength(sessions);
    const onlyConekta = await start('MXN', 20);
    const direct = await checkout(onlyConekta.paymentId);
    expect(direct.status).toBe(303);
    expect(String(direct.headers.location).startsWith(`${conekta.url}/checkout/`)).toBe(true);
    stored.providers.etpay.mode = 'sandbox';
    stored.providers.ecartpay.mode = 'sandbox';
    await t.db.query('UPDATE stores SET settings = $2 WHERE store_id = $1', [STORE, JSON.stringify(stored)]);

    // Conekta in production = livemode. A test key saved as the production key is accepted by
    // "check credentials" but its test-mode order is refused at checkout (livemode mismatch).
    page = await openSettings();
    const misplaced = await submitForm(page, {
      conekta_mode: 'production',
      conekta_production_privateKey: DEMO_CONEKTA_PRIVATE_KEY,
    });
    expect(flashOf(misplaced.text)!.text).toBe('Settings saved.');
    const refusedAt = await start('MXN', 55);
    const refused = await checkout(refusedAt.paymentId, 'conekta');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Este medio de pago no puede procesar este pedido.');
    expect(app.logs.text).toContain('Conekta order is test-mode but the store is in live mode');
    const testOrder = conekta.state
      .listOrders()
      .find((r) => r.order.metadata.payment_id === refusedAt.paymentId)!;
    expect(testOrder.order.livemode).toBe(false);

    // With a live key, checkout works in live mode, end to end.
    const live = await submitForm(misplaced.text, { conekta_production_privateKey: CONEKTA_LIVE_KEY });
    expect(flashOf(live.text)!.text).toBe('Settings saved.');
    const checked = await submitForm(live.text, {}, '/settings/check/conekta');
    expect(flashOf(checked.text)).toEqual({
      kind: 'ok',
      text: 'Conekta accepts these credentials (Production).',
    });
    const viaLive = await payWithConekta(75, 'conekta');
    expect(viaLive.order.livemode).toBe(true);
    // Sandbox credentials were kept side by side: switching back uses the test key again.
    const back = await submitForm(checked.text, { conekta_mode: 'sandbox' });
    expect(flashOf(back.text)!.text).toBe('Settings saved.');
    const viaTest = await payWithConekta(80, 'conekta');
    expect(viaTest.order.livemode).toBe(false);
  });

  // ------------------------------------------------------------------ 7

  it('no provider secret reaches a page or the logs', async () => {
    let page = await saveAll();
    // Each secret shows as its last 4 characters only.
    for (const secret of [
      DEMO_ETPAY_MERCHANT_API_TOKEN,
      DEMO_CONEKTA_PRIVATE_KEY,
      DEMO_ECARTPAY_PRIVATE_KEY,
    ]) {
      expect(page).toContain(`••••${secret.slice(-4)}`);
    }
    for (const id of ['etpay', 'conekta', 'ecartpay'] as const) {
      page = (await submitForm(page, {}, `/settings/check/${id}`)).text;
      expect(flashOf(page)!.kind).toBe('ok');
    }
    await submitForm(page, {}, '/settings/conekta/webhook');
    // Wrong secrets, checked (the providers' refusals are shown), then a form refused for another
    // field while new secrets were typed in: none is echoed back.
    page = await submitForm(page, {
      etpay_sandbox_merchantApiToken: WRONG.etpay,
      conekta_sandbox_privateKey: WRONG.conekta,
      ecartpay_sandbox_privateKey: WRONG.ecartpay,
    }).then((r) => r.text);
    for (const id of ['etpay', 'conekta', 'ecartpay'] as const) {
      page = (await submitForm(page, {}, `/settings/check/${id}`)).text;
      expect(flashOf(page)!.kind).toBe('error');
    }
    const invalid = await submitForm(page, {
      etpay_sandbox_apiUrl: 'not a url',
      etpay_production_merchantApiToken: DEMO_ETPAY_MERCHANT_API_TOKEN,
      conekta_production_privateKey: DEMO_CONEKTA_PRIVATE_KEY,
      ecartpay_production_webhookSecret: DEMO_ECARTPAY_WEBHOOK_SECRET,
    });
    expect(invalid.status).toBe(422);
    await saveAll();
    // Payments and refunds with every provider (signed Ecart notifications use the webhook secret).
    await payWithEtpay(2500, 'etpay');
    const viaConekta = await payWithConekta(40, 'conekta');
    const viaEcart = await payWithEcart(60, 'ecartpay');
    page = await openSettings();
    for (const s of [viaConekta, viaEcart]) {
      const action = `/settings/refund/${s.paymentId}`;
      const res = await submitForm(page, { amount: '10' }, action, { action });
      expect(res.status).toBe(200);
      page = res.text;
    }
    await Promise.all([conekta.state.settled(), etpay.state.settled()]);
    await eventually(() => expect(ecart.state.pendingNotifications).toBe(0));

    // Sealed at rest.
    const raw = JSON.stringify(await storedSettings());
    const logs = `${app.logs.text}\n${ecartLogs.text}`;
    expect(pages.length).toBeGreaterThan(20);
    for (const secret of SECRETS) {
      expect(raw).not.toContain(secret);
      for (const html of pages) expect(html).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
