import type { Browser, Page } from 'playwright-core';
import {
  backOnStore,
  chooseProvider,
  ecwidOrder,
  goToPayment,
  launchChromium,
  screenshot,
  shownStatus,
  startDemo,
  waitForEcwidStatus,
  type Demo,
} from './harness';

describe('Conekta journeys in a real browser (demo mode)', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

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
  });
  afterEach(async () => {
    await page.close();
  });

  /** The MXN cart → chooser → Conekta's hosted checkout, with the card form filled in. */
  async function checkoutWithCard(card: string): Promise<void> {
    await goToPayment(page, demo, 'mxn-cafe');
    await chooseProvider(page, 'conekta');
    await page.waitForSelector('#card-form');
    await page.fill('#card-number', card);
    await page.fill('#card-name', 'Comprador Prueba');
    await page.fill('#card-expiry', '12/30');
    await page.fill('#card-cvc', '123');
    await page.click('#pay-card');
  }

  it('card approved (4242…): back on the store, the order is PAID', async () => {
    await checkoutWithCard('4242 4242 4242 4242');
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    expect(await page.locator('[data-error-msg]').count()).toBe(0);
    const recorded = await ecwidOrder(demo, order);
    expect(recorded).toMatchObject({ paymentStatus: 'PAID', currency: 'MXN' });
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(page, 'conekta-card-paid');
  });

  it('card declined (…0127): back on the checkout, INCOMPLETE, with the error message', async () => {
    await checkoutWithCard('4000 0000 0000 0127');
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('INCOMPLETE');
    expect(await page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    const recorded = await ecwidOrder(demo, order);
    expect(recorded.paymentStatus).toBe('INCOMPLETE');
    // Conekta's own reason reaches the merchant's order.
    expect(recorded.paymentMessage).toContain('Fondos insuficientes');
    await screenshot(page, 'conekta-card-declined');
  });

  it('OXXO cash: voucher → store shows AWAITING_PAYMENT → paid at the store → Ecwid order PAID', async () => {
    await goToPayment(page, demo, 'mxn-cafe');
    await chooseProvider(page, 'conekta');
    await page.click('#pay-cash');
    await page.waitForSelector('#voucher-reference');
    expect(await page.locator('#voucher-reference').textContent()).toMatch(/^\s*\d{14}\s*$/);
    const voucherUrl = page.url();
    await screenshot(page, 'conekta-oxxo-voucher');

    // The shopper goes back to the store with the reference: the order is placed, not paid.
    await page.click('#back-to-merchant');
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('AWAITING_PAYMENT');
    expect((await ecwidOrder(demo, order)).paymentStatus).toBe('AWAITING_PAYMENT');
    await screenshot(page, 'conekta-oxxo-awaiting');

    // Later, the reference is paid at an OXXO store: Conekta notifies the app, the shopper is not there.
    await page.goto(voucherUrl);
    await page.click('#simulate-payment');
    await page.waitForSelector('#conekta-closed[data-payment-status="paid"]');
    const paid = await waitForEcwidStatus(demo, order, 'PAID');
    expect(paid.externalTransactionId).toBeTruthy();

    // The store's order list shows it paid.
    await page.goto(`${demo.url}/sandbox/ecwid/store?lang=es`);
    const row = page.locator('.sandbox-orders tr', { has: page.locator('small', { hasText: order.ref }) });
    expect(await row.locator('[data-order-status]').getAttribute('data-order-status')).toBe('PAID');
    await screenshot(page, 'conekta-oxxo-paid');
  });
});
