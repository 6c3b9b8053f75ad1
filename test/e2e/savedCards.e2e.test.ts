import type { Browser, Page, Request } from 'playwright-core';
import { cardDataIn } from '../support/savedCards';
import {
  backOnStore,
  chooseProvider,
  ecwidOrder,
  launchChromium,
  screenshot,
  shownStatus,
  startDemo,
  type Demo,
} from './harness';

/**
 * The saved-card journey in a real browser (demo mode): a logged-in shopper pays once on the
 * provider's page and saves the card there, then pays the next order with "Pay with Visa •••• 4242",
 * sees a declined card and removes a card. The demo storefront has no logged-in shoppers, so the
 * orders come from the Ecwid simulator's control API (with a customer id and email, as Ecwid sends
 * for a logged-in customer) and are posted to the app exactly as Ecwid's "Go to Payment" does.
 */
describe('Saved cards in a real browser (demo mode)', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const toApp: string[] = [];

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.server.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    // Everything the browser sends to our server (not to the simulated providers' pages).
    page.on('request', (req: Request) => {
      const url = new URL(req.url());
      if (url.origin === demo.url && !url.pathname.startsWith('/sandbox/'))
        toApp.push(`${req.method()} ${req.url()} ${req.postData() ?? ''}`);
    });
  });
  afterEach(async () => {
    await page.close();
  });

  /** "Go to Payment" for a new MXN order of this logged-in shopper. */
  async function goToPaymentAs(customerId: number, email: string): Promise<void> {
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

  async function payOnConektaAndSave(card: string): Promise<void> {
    await page.waitForSelector('#card-form');
    await page.fill('#card-number', card);
    await page.fill('#card-name', 'Compradora Frecuente');
    await page.fill('#card-expiry', '12/30');
    await page.fill('#card-cvc', '737');
    await page.check('#save-card');
    await page.click('#pay-card');
  }

  it('Conekta: save the card on the first purchase, pay the next one with it, see a decline, remove a card', async () => {
    const shopper = { id: 880_001, email: 'compradora.frecuente@example.com' };

    // 1. First purchase: Conekta's hosted page, "save this card" ticked.
    await goToPaymentAs(shopper.id, shopper.email);
    await chooseProvider(page, 'conekta');
    await payOnConektaAndSave('4242 4242 4242 4242');
    const first = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    expect((await ecwidOrder(demo, first)).paymentStatus).toBe('PAID');

    // 2. Next order: the checkout step offers the saved card.
    await goToPaymentAs(shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await page.locator('#provider-conekta').count()) await page.click('#provider-conekta');
    const payButton = page.locator('button', { hasText: 'Pagar con Visa •••• 4242' });
    await payButton.waitFor();
    expect(await page.locator('#use-another-method').isVisible()).toBe(true);
    await screenshot(page, 'saved-cards-offer');
    await payButton.click();
    const second = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    const paid = await ecwidOrder(demo, second);
    expect(paid.paymentStatus).toBe('PAID');
    expect(paid.externalTransactionId).toBeTruthy();

    // 3. A third order. Meanwhile the shopper's bank started declining another saved card of theirs
    //    (added at Conekta through the simulator's control API, by test name, not number).
    const customers = (await (await fetch(`${demo.url}/sandbox/conekta/_control/customers`)).json()) as {
      customers: { id: string; email: string }[];
    };
    const customer = customers.customers.find((c) => c.email === shopper.email)!;
    await fetch(`${demo.url}/sandbox/conekta/_control/customers/${customer.id}/payment_sources`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ card: 'insufficient_funds' }),
    });
    await goToPaymentAs(shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await page.locator('#provider-conekta').count()) await page.click('#provider-conekta');
    await page.locator('button', { hasText: 'Pagar con Visa •••• 0127' }).click();
    // Declined: back on the checkout step with the bank's reason; nothing charged, the order still payable.
    await page.locator('#saved-card-notice').waitFor();
    expect(await page.locator('#saved-card-notice').textContent()).toContain(
      'El banco rechazó la tarjeta Visa •••• 0127. Fondos insuficientes.',
    );
    await screenshot(page, 'saved-cards-declined');
    // The shopper uses another method: Conekta's page, a new card, saved too.
    await page.click('#use-another-method');
    await payOnConektaAndSave('4000 0000 0000 2701');
    await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');

    // 4. The shopper removes the first card from the checkout step; it is gone at Conekta too.
    await goToPaymentAs(shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await page.locator('#provider-conekta').count()) await page.click('#provider-conekta');
    await page.locator('button', { hasText: 'Eliminar Visa •••• 4242' }).click();
    await page.locator('#saved-card-notice').waitFor();
    expect(await page.locator('#saved-card-notice').textContent()).toContain('Eliminamos la tarjeta');
    expect(await page.locator('button', { hasText: 'Pagar con Visa •••• 4242' }).count()).toBe(0);
    expect(await page.locator('button', { hasText: 'Pagar con Visa •••• 0127' }).count()).toBe(1);
    const remaining = page.locator('button', { hasText: 'Pagar con Visa •••• 2701' });
    expect(await remaining.count()).toBe(1);
    await screenshot(page, 'saved-cards-removed');

    // …and pays this order with the remaining card.
    await remaining.click();
    await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');

    // Nothing the browser sent to our server carried a card number or CVC.
    expect(toApp.length).toBeGreaterThan(10);
    expect(toApp.flatMap(cardDataIn)).toEqual([]);
    expect(cardDataIn(demo.logs.text)).toEqual([]);
  });

  it('Ecart Pay: the card kept on Ecart’s page pays the next order; a 3-D Secure challenge is followed', async () => {
    const shopper = { id: 880_002, email: 'cliente.ecart@example.com' };
    await goToPaymentAs(shopper.id, shopper.email);
    await chooseProvider(page, 'ecartpay');
    await page.waitForSelector('#ecartpay-card-form');
    await page.fill('#ecartpay-card-number', '4000 0000 0000 2503');
    await page.fill('#ecartpay-card-name', 'Cliente Ecart');
    await page.fill('#ecartpay-card-expiry', '11/31');
    await page.fill('#ecartpay-card-cvc', '737');
    await page.check('#ecartpay-save-card');
    await page.click('#ecartpay-pay-card');
    await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');

    await goToPaymentAs(shopper.id, shopper.email);
    await page.waitForURL((url) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname));
    if (await page.locator('#provider-ecartpay').count()) await page.click('#provider-ecartpay');
    await page.locator('button', { hasText: 'Pagar con Visa •••• 2503' }).click();
    // This card asks for 3-D Secure: Ecart's challenge page, then back through the app's return.
    await page.waitForSelector('#ecartpay-three-ds-approve');
    await screenshot(page, 'saved-cards-ecartpay-3ds');
    await page.click('#ecartpay-three-ds-approve');
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    expect((await ecwidOrder(demo, order)).paymentStatus).toBe('PAID');
    expect(toApp.flatMap(cardDataIn)).toEqual([]);
  });
});
