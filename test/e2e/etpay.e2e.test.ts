import type { Browser, Page } from 'playwright-core';
import { goToPayment, launchChromium, screenshot, startDemo, type Demo } from './harness';

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
    page = await browser.newPage({ userDataDir: undefined } as never);
  });
  afterEach(async () => {
    await page.close();
  });

  const choose = async (provider: string) => {
    await page.waitForURL(/\/pay\/[^/]+\/checkout|\/sandbox\//);
    const choice = page.locator(`#provider-${provider}`);
    if (await choice.count()) await choice.click();
  };

  it('pays by bank transfer: store → loading → funnel → approve → store shows PAID', async () => {
    await goToPayment(page, demo, 'clp-regalo');
    await choose('etpay');
    await page.waitForSelector('#etpay-approve');
    await screenshot(page, 'etpay-funnel');
    await page.locator('#etpay-approve').click();
    const status = page.locator('[data-order-status]');
    await status.first().waitFor();
    await page.waitForFunction(
      "document.querySelector('[data-order-status]')?.getAttribute('data-order-status') === 'PAID'",
    );
    expect(await status.first().getAttribute('data-order-status')).toBe('PAID');
    await screenshot(page, 'etpay-paid');
  });

  it('a rejected transfer goes back to checkout with the error message', async () => {
    await goToPayment(page, demo, 'clp-regalo');
    await choose('etpay');
    await page.locator('#etpay-reject').click();
    await page.locator('[data-order-status]').first().waitFor();
    expect(await page.locator('[data-order-status]').first().getAttribute('data-order-status')).toBe(
      'INCOMPLETE',
    );
    expect(await page.content()).toContain('El pago no se completó');
    await screenshot(page, 'etpay-rejected');
  });
});
