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

describe('ETpay journeys in a real browser (demo mode)', () => {
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

  it('pays by bank transfer: store → loading → funnel → approve → store shows PAID', async () => {
    await goToPayment(page, demo, 'clp-regalo');
    await chooseProvider(page, 'etpay');
    await page.waitForSelector('#etpay-approve');
    await screenshot(page, 'etpay-funnel');
    await page.locator('#etpay-approve').click();
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('PAID');
    const recorded = await ecwidOrder(demo, order);
    expect(recorded.paymentStatus).toBe('PAID');
    expect(recorded.currency).toBe('CLP');
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(page, 'etpay-paid');
  });

  it('a rejected transfer goes back to checkout with the error message', async () => {
    await goToPayment(page, demo, 'clp-regalo');
    await chooseProvider(page, 'etpay');
    await page.locator('#etpay-reject').click();
    const order = await backOnStore(page);
    expect(await shownStatus(page)).toBe('INCOMPLETE');
    expect(await page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    expect((await ecwidOrder(demo, order)).paymentStatus).toBe('INCOMPLETE');
    await screenshot(page, 'etpay-rejected');
  });
});
