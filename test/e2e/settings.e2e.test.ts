import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, startDemo, type Demo } from './harness';

describe('settings page inside the (simulated) Ecwid admin, cross-origin iframe', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.server.close();
  });

  it('saves settings from inside the iframe and finds them persisted on the next visit', async () => {
    // The admin page is served from localhost; the iframe loads the app from 127.0.0.1 (another origin).
    const adminUrl = demo.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${adminUrl}/sandbox/ecwid/admin?lang=en`);
    const frameElement = await page.waitForSelector('#settings-frame');
    const frame = (await frameElement.contentFrame())!;
    expect(new URL(frame.url()).origin).not.toBe(new URL(page.url()).origin);
    await frame.waitForSelector('#settings-form');

    await frame.check('#enabled_etpay');
    // This merchant offers ETpay only. (Conekta and Ecart Pay come ticked from the demo's environment
    // defaults, without per-store keys: saving them ticked would ask for their keys.)
    await frame.uncheck('#enabled_conekta');
    await frame.uncheck('#enabled_ecartpay');
    await frame.selectOption('#etpay_mode', 'production');
    await frame.fill('#etpay_production_merchantCode', 'cl_browser_store');
    await frame.fill('#etpay_production_merchantApiToken', 'etpay-e2eBrowserSecret4321');
    await frame.fill('#etpay_production_apiUrl', 'https://api.etpay.example');
    await frame.fill('#etpay_production_pmtUrl', 'https://pmt.etpay.example');
    await frame.click('#save');
    await frame.waitForSelector('#flash[data-kind="ok"]');
    expect(await frame.textContent('#flash')).toContain('Settings saved.');
    expect(await frame.content()).not.toContain('etpay-e2eBrowserSecret4321');

    // A new visit (new payload, new form token) shows what was saved.
    await page.goto(`${adminUrl}/sandbox/ecwid/admin?lang=en`);
    const again = (await (await page.waitForSelector('#settings-frame')).contentFrame())!;
    await again.waitForSelector('#settings-form');
    expect(await again.isChecked('#enabled_etpay')).toBe(true);
    expect(await again.isChecked('#enabled_conekta')).toBe(false);
    expect(await again.isChecked('#enabled_ecartpay')).toBe(false);
    expect(await again.inputValue('#etpay_mode')).toBe('production');
    expect(await again.inputValue('#etpay_production_merchantCode')).toBe('cl_browser_store');
    expect(await again.getAttribute('#etpay_production_merchantApiToken', 'placeholder')).toBe('••••4321');
    await screenshot(page, 'settings-in-admin');
  });
});
