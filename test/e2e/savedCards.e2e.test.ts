import type { Browser, Page, Request } from 'playwright-core';
import { cardDataIn } from '../support/savedCards';
import {
  backOnStore,
  browserSuite,
  chooseProvider,
  ecwidOrder,
  fillConektaCard,
  launchChromium,
  screenshot,
  shownStatus,
  startDemo,
  waitForEcwidStatus,
  type Demo,
} from './harness';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';

/** "Go to Payment" for a new MXN order of this logged-in shopper (posted as Ecwid's button does). */
async function goToPaymentAsShopper(
  page: Page,
  demo: Demo,
  customerId: number,
  email: string,
): Promise<void> {
  const res = await fetch(`${demo.url}/sandbox/ecwid/_control/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ currency: 'MXN', total: 349.9, lang: 'es', customerId, email }),
  });
  const order = (await res.json()) as { enc_data: string; data: string; paymentUrl: string };
  const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  await page.setContent(
    `<form id="ecwid" method="post" action="${esc(order.paymentUrl)}">` +
      `<input type="hidden" name="enc_data" value="${esc(order.enc_data)}">` +
      `<input type="hidden" name="data" value="${esc(order.data)}">` +
      `<button id="go-to-payment" type="submit">Go to Payment</button></form>`,
  );
  await page.click('#go-to-payment');
}

/**
 * The saved-card journey in a real browser (demo mode): a logged-in shopper pays once on the
 * provider's page and saves the card there, then pays the next order with "Pay with Visa •••• 4242",
 * sees a declined card and removes a card. The demo storefront has no logged-in shoppers, so the
 * orders come from the Ecwid simulator's control API (with a customer id and email, as Ecwid sends
 * for a logged-in customer) and are posted to the app exactly as Ecwid's "Go to Payment" does.
 */
describe('Saved cards in a real browser (demo mode)', () => {
  const s = browserSuite();
  const toApp: string[] = [];

  beforeEach(() => {
    // Everything the browser sends to our server (not to the simulated providers' pages).
    s.page.on('request', (req: Request) => {
      const url = new URL(req.url());
      if (url.origin === s.demo.url && !url.pathname.startsWith('/sandbox/'))
        toApp.push(`${req.method()} ${req.url()} ${req.postData() ?? ''}`);
    });
  });

  const goToPaymentAs = (customerId: number, email: string) =>
    goToPaymentAsShopper(s.page, s.demo, customerId, email);

  async function payOnConektaAndSave(card: string): Promise<void> {
    await fillConektaCard(s.page, { number: card, holder: 'Compradora Frecuente', cvc: '737' });
    await s.page.check('#save-card');
    await s.page.click('#pay-card');
  }

  it('Conekta: save the card on the first purchase, pay the next one with it, see a decline, remove a card', async () => {
    const shopper = { id: 880_001, email: 'compradora.frecuente@example.com' };

    // 1. First purchase: Conekta's hosted page, "save this card" ticked.
    await goToPaymentAs(shopper.id, shopper.email);
    await chooseProvider(s.page, 'conekta');
    await payOnConektaAndSave('4242 4242 4242 4242');
    const first = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');
    expect((await ecwidOrder(s.demo, first)).paymentStatus).toBe('PAID');

    // 2. Next order: the checkout step offers the saved card.
    await goToPaymentAs(shopper.id, shopper.email);
    await s.page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await s.page.locator('#provider-conekta').count()) await s.page.click('#provider-conekta');
    const payButton = s.page.locator('button', { hasText: 'Pagar con Visa •••• 4242' });
    await payButton.waitFor();
    expect(await s.page.locator('#use-another-method').isVisible()).toBe(true);
    await screenshot(s.page, 'saved-cards-offer');
    await payButton.click();
    const second = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');
    const paid = await ecwidOrder(s.demo, second);
    expect(paid.paymentStatus).toBe('PAID');
    expect(paid.externalTransactionId).toBeTruthy();

    // 3. A third order. Meanwhile the shopper's bank started declining another saved card of theirs
    //    (added at Conekta through the simulator's control API, by test name, not number).
    const customers = (await (await fetch(`${s.demo.url}/sandbox/conekta/_control/customers`)).json()) as {
      customers: { id: string; email: string }[];
    };
    const customer = customers.customers.find((c) => c.email === shopper.email)!;
    await fetch(`${s.demo.url}/sandbox/conekta/_control/customers/${customer.id}/payment_sources`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ card: 'insufficient_funds' }),
    });
    await goToPaymentAs(shopper.id, shopper.email);
    await s.page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await s.page.locator('#provider-conekta').count()) await s.page.click('#provider-conekta');
    await s.page.locator('button', { hasText: 'Pagar con Visa •••• 0127' }).click();
    // Declined: back on the checkout step with the bank's reason; nothing charged, the order still payable.
    await s.page.locator('#saved-card-notice').waitFor();
    expect(await s.page.locator('#saved-card-notice').textContent()).toContain(
      'El banco rechazó la tarjeta Visa •••• 0127. Fondos insuficientes.',
    );
    await screenshot(s.page, 'saved-cards-declined');
    // The shopper uses another method: Conekta's page, a new card, saved too.
    await s.page.click('#use-another-method');
    await payOnConektaAndSave('4000 0000 0000 2701');
    await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');

    // 4. The shopper removes the first card from the checkout step; it is gone at Conekta too.
    await goToPaymentAs(shopper.id, shopper.email);
    await s.page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await s.page.locator('#provider-conekta').count()) await s.page.click('#provider-conekta');
    await s.page.locator('button', { hasText: 'Eliminar Visa •••• 4242' }).click();
    await s.page.locator('#saved-card-notice').waitFor();
    expect(await s.page.locator('#saved-card-notice').textContent()).toContain('Eliminamos la tarjeta');
    expect(await s.page.locator('button', { hasText: 'Pagar con Visa •••• 4242' }).count()).toBe(0);
    expect(await s.page.locator('button', { hasText: 'Pagar con Visa •••• 0127' }).count()).toBe(1);
    const remaining = s.page.locator('button', { hasText: 'Pagar con Visa •••• 2701' });
    expect(await remaining.count()).toBe(1);
    await screenshot(s.page, 'saved-cards-removed');

    // …and pays this order with the remaining card.
    await remaining.click();
    await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');

    // Nothing the browser sent to our server carried a card number or CVC.
    expect(toApp.length).toBeGreaterThan(10);
    expect(toApp.flatMap(cardDataIn)).toEqual([]);
    expect(cardDataIn(s.demo.logs.text)).toEqual([]);
  });

  it('Ecart Pay: the card kept on Ecart’s page pays the next order; a 3-D Secure challenge is followed', async () => {
    const shopper = { id: 880_002, email: 'cliente.ecart@example.com' };
    await goToPaymentAs(shopper.id, shopper.email);
    await chooseProvider(s.page, 'ecartpay');
    await s.page.waitForSelector('#ecartpay-card-form');
    await s.page.fill('#ecartpay-card-number', '4000 0000 0000 2503');
    await s.page.fill('#ecartpay-card-name', 'Cliente Ecart');
    await s.page.fill('#ecartpay-card-expiry', '11/31');
    await s.page.fill('#ecartpay-card-cvc', '737');
    await s.page.check('#ecartpay-save-card');
    await s.page.click('#ecartpay-pay-card');
    await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');

    await goToPaymentAs(shopper.id, shopper.email);
    await s.page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await s.page.locator('#provider-ecartpay').count()) await s.page.click('#provider-ecartpay');
    await s.page.locator('button', { hasText: 'Pagar con Visa •••• 2503' }).click();
    // This card asks for 3-D Secure: Ecart's challenge page, then back through the app's return.
    await s.page.waitForSelector('#ecartpay-three-ds-approve');
    await screenshot(s.page, 'saved-cards-ecartpay-3ds');
    await s.page.click('#ecartpay-three-ds-approve');
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');
    expect((await ecwidOrder(s.demo, order)).paymentStatus).toBe('PAID');
    expect(toApp.flatMap(cardDataIn)).toEqual([]);
  });
});

/**
 * The Ecart card that must be verified (its security code), in a real browser: Ecart's script and frame
 * come from Ecart's own origin (a simulator on its own server, as Ecart's site is), the shopper types the
 * code inside that frame, and only a card token reaches our page (postMessage) and our server.
 */
describe('Saved cards: an Ecart card verified in Ecart’s own frame (real browser)', () => {
  const CVC = '4931'; // distinctive: 4 digits (ports here have 5), looked for as a value of its own
  const KEYS = {
    ECARTPAY_PUBLIC_KEY: 'pub_e2e_verify_ecart_61c',
    ECARTPAY_PRIVATE_KEY: 'prv_e2e_verify_ecart_0d94f7',
    ECARTPAY_WEBHOOK_SECRET: 'whsec_e2e_verify_ecart_2b',
  };
  let sim: RunningEcartPaySimulator;
  let ecart: string;
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  /** Every request the page sent, its frames' (Ecart's origin included) too, with its body. */
  const sent: { method: string; url: URL; body: string }[] = [];
  const consoleErrors: string[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    sim = await startEcartPaySimulator({
      publicKey: KEYS.ECARTPAY_PUBLIC_KEY,
      privateKey: KEYS.ECARTPAY_PRIVATE_KEY,
      webhookSecret: KEYS.ECARTPAY_WEBHOOK_SECRET,
    });
    ecart = new URL(sim.url).origin;
    demo = await startDemo({ ...KEYS, ECARTPAY_API_URL: sim.apiUrl });
    expect(ecart).not.toBe(new URL(demo.url).origin);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (req: Request) =>
      sent.push({ method: req.method(), url: new URL(req.url()), body: req.postData() ?? '' }),
    );
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.location().url}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
    // CSP violations as the documents themselves see them (every frame, Ecart's included).
    await page.exposeBinding('__e2eCspViolation', (source, text: string) =>
      violations.push(`${source.frame.url()}: ${text}`),
    );
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', function (e) {
        window.__e2eCspViolation(e.effectiveDirective + ' blocked ' + e.blockedURI);
      });`,
    });
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await demo?.server.close();
    await sim?.close();
  });

  /** Every value a request to our origin carried (query, form or JSON fields), decoded. */
  function valuesSentToUs(): string[] {
    const values: string[] = [];
    for (const r of sent.filter((s) => s.url.origin === demo.url)) {
      values.push(r.url.pathname);
      for (const [, v] of r.url.searchParams) values.push(v);
      if (!r.body) continue;
      try {
        const walk = (x: unknown): void => {
          if (x && typeof x === 'object') Object.values(x).forEach(walk);
          else values.push(String(x));
        };
        walk(JSON.parse(r.body));
      } catch {
        for (const [, v] of new URLSearchParams(r.body)) values.push(v);
      }
    }
    return values;
  }

  it('the shopper types the security code in Ecart’s frame; the order is paid and only a token reached us', async () => {
    const shopper = { id: 880_003, email: 'verifica.ecart@example.com' };

    // First purchase on Ecart's pay page (Ecart's origin), the card kept there.
    await goToPaymentAsShopper(page, demo, shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname) || url.origin === ecart);
    if (await page.locator('#provider-ecartpay').count()) await page.click('#provider-ecartpay');
    await page.waitForSelector('#ecartpay-card-form');
    expect(new URL(page.url()).origin).toBe(ecart);
    await page.fill('#ecartpay-card-number', '4242 4242 4242 4242');
    await page.fill('#ecartpay-card-name', 'Cliente Verifica');
    await page.fill('#ecartpay-card-expiry', '10/31');
    await page.fill('#ecartpay-card-cvc', '111');
    await page.check('#ecartpay-save-card');
    await page.click('#ecartpay-pay-card');
    await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');

    // Ecart now wants this card's security code before tokenizing it.
    const [customer] = sim.state.listCustomers();
    const [ecartCard] = sim.state.cardsOf(customer!.id);
    const marked = await fetch(
      `${sim.url}/_control/customers/${customer!.id}/cards/${ecartCard!.id}/require-cvc`,
      { method: 'POST' },
    );
    expect(marked.status).toBe(200);

    // Next order: "Pagar con Visa •••• 4242" leads to the verification step, nothing charged yet.
    await goToPaymentAsShopper(page, demo, shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await page.locator('#provider-ecartpay').count()) await page.click('#provider-ecartpay');
    const ecartOrders = sim.state.listOrders().length;
    const verifyAnswer = page.waitForResponse(
      (r) => r.request().method() === 'GET' && /\/pay\/[^/]+\/saved-cards\/verify\?card=/.test(r.url()),
    );
    await page.locator('button', { hasText: 'Pagar con Visa •••• 4242' }).click();
    const verifyPage = await verifyAnswer;
    expect(verifyPage.status()).toBe(200);
    expect(new URL(verifyPage.url()).origin).toBe(demo.url);
    expect(sim.state.listOrders()).toHaveLength(ecartOrders); // Ecart refused the token: no order

    // Its CSP: Ecart's origin for script-src and frame-src, and no other third party anywhere.
    const csp = verifyPage.headers()['content-security-policy'] ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...sources]) => [name!, sources] as const),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'", ecart]);
    expect(directives.get('frame-src')).toEqual([ecart]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    const keyword = (s: string) => s.startsWith("'") && s.endsWith("'");
    const hosts = [...directives].flatMap(([name, sources]) =>
      sources.filter((s) => !keyword(s) && !/^[a-z][a-z0-9+.-]*:$/.test(s)).map((s) => `${name} ${s}`),
    );
    expect(hosts.filter((h) => !h.endsWith(` ${demo.url}`))).toEqual([
      `script-src ${ecart}`,
      `frame-src ${ecart}`,
    ]);
    // Scheme sources: images as data: URLs, and form-action https: (3-D Secure pages after the post).
    const schemes = [...directives].flatMap(([name, sources]) =>
      sources.filter((s) => /^[a-z][a-z0-9+.-]*:$/.test(s)).map((s) => `${name} ${s}`),
    );
    expect(schemes).toEqual(['img-src data:', 'form-action https:']);

    // Ecart's frame, on Ecart's origin; our page has no field for the code.
    const frameEl = page.locator('#ecartpay-verify-frame');
    await frameEl.waitFor();
    expect(new URL((await frameEl.getAttribute('src'))!).origin).toBe(ecart);
    const frame = page.frameLocator('#ecartpay-verify-frame');
    await frame.locator('#ecartpay-cvc').waitFor();
    expect(page.frames().some((f) => f.url().startsWith(`${ecart}/sdk/verify?`))).toBe(true);
    expect(await page.locator('input[name="cvc"], input[autocomplete="cc-csc"], #ecartpay-cvc').count()).toBe(
      0,
    );
    expect(await page.locator('#verify-waiting').count()).toBe(0);

    // A message claiming to be a token from anywhere but Ecart's frame is ignored (no post).
    const afterForged = await page.evaluate<{
      sent: string | null;
      token: string;
    }>(`new Promise((resolve) => {
      window.addEventListener('message', (e) => {
        if (e.data !== 'e2e-sentinel') return;
        resolve({
          sent: document.getElementById('verify-form').getAttribute('data-sent'),
          token: document.getElementById('card-token').value,
        });
      });
      window.postMessage({ type: 'ecartpay:card-token', token: 'ca_forged_by_the_page' }, '*');
      window.postMessage('e2e-sentinel', '*');
    })`);
    expect(afterForged).toEqual({ sent: null, token: '' });
    expect(new URL(page.url()).pathname).toMatch(/\/saved-cards\/verify$/);
    await screenshot(page, 'saved-cards-ecartpay-verify');

    // The shopper types the code in Ecart's frame; Ecart's token comes back and pays the order.
    await frame.locator('#ecartpay-cvc').fill(CVC);
    await frame.locator('#ecartpay-verify-submit').click();
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    await screenshot(page, 'saved-cards-ecartpay-verified-paid');

    // Ecwid recorded the payment: the order is PAID, updated once by the app with Ecart's order.
    const ecwid = await waitForEcwidStatus(demo, order, 'PAID');
    const charged = sim.state.listOrders().filter((o) => o.customer_id && o.status === 'paid');
    expect(charged).toHaveLength(2); // the first purchase and this one
    expect(ecwid.externalTransactionId).toBe(charged[1]!.id);
    const { updates } = (await (
      await fetch(
        `${demo.url}/sandbox/ecwid/_control/updates?${new URLSearchParams({ storeId: String(order.storeId), orderRef: order.ref })}`,
      )
    ).json()) as { updates: { authOk: boolean; status: number | null; body: { paymentStatus?: string } }[] };
    expect(updates.filter((u) => u.body.paymentStatus === 'PAID')).toEqual([
      expect.objectContaining({ authOk: true, status: 200 }),
    ]);

    // Ecart got the code from its own frame; our server never sent it (no cvc in our token calls).
    expect(sim.state.typedCvcs).toEqual([{ cardId: ecartCard!.id, cvc: CVC }]);
    expect(
      sent.some((r) => r.url.origin === ecart && r.method === 'POST' && r.body.includes(`cvc=${CVC}`)),
    ).toBe(true);
    expect(sim.state.callsTo('cardToken').map((c) => Object.keys(c.body as object))).toEqual([['id']]);

    // …and nothing the browser sent to our origin carried it: only the token came back.
    const toUs = sent.filter((r) => r.url.origin === demo.url);
    expect(toUs.some((r) => r.method === 'POST' && /(^|&)card_token=ca_/.test(r.body))).toBe(true);
    const standalone = new RegExp(`(^|[^A-Za-z0-9_+/=%-])${CVC}([^A-Za-z0-9_+/=%-]|$)`);
    expect(valuesSentToUs().filter((v) => standalone.test(v))).toEqual([]);
    expect(toUs.map((r) => `${r.method} ${r.url.href} ${r.body}`).flatMap(cardDataIn)).toEqual([]);
    expect(demo.logs.text).not.toMatch(standalone);
    expect(cardDataIn(demo.logs.text)).toEqual([]);

    // No CSP violation anywhere (our page, Ecart's frame), as reported to the console or the documents.
    expect(violations).toEqual([]);
    expect(consoleErrors.filter((e) => /content security policy|refused to/i.test(e))).toEqual([]);
  });
});
