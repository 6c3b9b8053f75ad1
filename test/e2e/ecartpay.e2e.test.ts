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
  type Demo,
} from './harness';

describe('Ecart Pay journeys in a real browser (demo mode)', () => {
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

  it('approve, in English: every page in English, back on the store the order is PAID', async () => {
    await goToPayment(page, demo, 'mxn-taza', 'en');
    await chooseProvider(page, 'ecartpay');
    await page.waitForSelector('#ecartpay-approve');
    // The app sends the shopper to pay_link exactly as Ecart returned it, which carries no language:
    // the pay page opens in Spanish and the shopper switches it with its own language link.
    await page.click('#ecartpay-lang-en');
    await page.waitForSelector('html[lang="en"] #ecartpay-approve');
    expect(await page.locator('h1').textContent()).toContain('Pay order');
    await page.click('#ecartpay-approve');
    const order = await backOnStore(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toContain('Thank you for your order!');
    expect(await shownStatus(page)).toBe('PAID');
    const recorded = await ecwidOrder(demo, order);
    expect(recorded).toMatchObject({ paymentStatus: 'PAID', currency: 'MXN' });
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(page, 'ecartpay-approved-en');
  });

  it('decline: back on the checkout, INCOMPLETE, with the error message', async () => {
    await goToPayment(page, demo, 'mxn-cafe');
    await chooseProvider(page, 'ecartpay');
    await page.click('#ecartpay-decline');
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('INCOMPLETE');
    expect(await page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    expect((await ecwidOrder(demo, order)).paymentStatus).toBe('INCOMPLETE');
    await screenshot(page, 'ecartpay-declined');
  });
});
