import type { Page } from 'playwright-core';
import { browserSuite, goToPayment, screenshot } from './harness';

/** Presses Tab until the element with this id has the focus; returns the ids focused on the way. */
async function tabTo(page: Page, id: string, maxPresses = 15): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
    seen.push(focused);
    if (focused === id) return seen;
  }
  throw new Error(`#${id} was never focused with Tab (focused: ${seen.join(', ')})`);
}

/** Whether the focused element shows a visible focus ring (keyboard users must see where they are). */
async function focusRingVisible(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    `(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; })()`,
  );
}

describe('provider chooser and loading page in a real browser (demo mode)', () => {
  const s = browserSuite();

  it('MXN cart in Spanish: loading page first, then the chooser; Conekta chosen with the keyboard', async () => {
    // Hold the loading page's script (it continues by itself) until the page has been seen: no timing.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await s.page.route(
      (url) => url.pathname === '/public/js/continue.js',
      async (route) => {
        await held;
        await route.continue();
      },
    );
    const intake = s.page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/ecwid/payment',
    );
    await goToPayment(s.page, s.demo, 'mxn-cafe', 'es');
    expect((await intake).status()).toBe(200);

    const spinner = await s.page.waitForSelector('[role="progressbar"]');
    expect(await spinner.getAttribute('aria-label')).toBe('Preparando tu pago…');
    expect(await s.page.getAttribute('html', 'lang')).toBe('es');
    expect(await s.page.locator('h1').textContent()).toBe('Preparando tu pago…');
    const next = await s.page.getAttribute('#continue', 'href');
    expect(next).toMatch(/^\/pay\/[^/]+\/checkout$/);
    expect(await s.page.locator('#continue').textContent()).toContain('Continuar al pago');
    await screenshot(s.page, 'chooser-loading-es');
    release();

    // The loading page goes on by itself (no click on #continue).
    await s.page.waitForSelector('#provider-conekta');
    await s.page.unrouteAll();
    expect(new URL(s.page.url()).pathname).toBe(next);
    expect(await s.page.getAttribute('html', 'lang')).toBe('es');
    expect(await s.page.locator('h1').textContent()).toBe('Elige cómo pagar');
    expect(await s.page.locator('main').textContent()).toContain('Tu pedido');
    // Both MXN providers are offered, ETpay (CLP only in the demo) is not.
    expect(await s.page.locator('.choices a').evaluateAll((as) => as.map((a) => a.id))).toEqual([
      'provider-conekta',
      'provider-ecartpay',
    ]);
    expect(await s.page.locator('a', { hasText: 'Volver a la tienda' }).count()).toBe(1);

    const path = await tabTo(s.page, 'provider-conekta');
    expect(path).not.toContain('provider-ecartpay');
    expect(await focusRingVisible(s.page)).toBe(true);
    await screenshot(s.page, 'chooser-es');
    await tabTo(s.page, 'provider-ecartpay');
    await s.page.keyboard.press('Shift+Tab');
    expect(await s.page.evaluate<string>('document.activeElement.id')).toBe('provider-conekta');
    await s.page.keyboard.press('Enter');

    await s.page.waitForURL((url) => url.pathname.startsWith('/sandbox/conekta/checkout/'));
    await s.page.waitForSelector('#conekta-checkout #card-form');
    expect(await s.page.getAttribute('html', 'lang')).toBe('es');
    await screenshot(s.page, 'chooser-conekta');
  });

  it('MXN cart in English: the chooser in English; Ecart Pay chosen with the keyboard', async () => {
    await goToPayment(s.page, s.demo, 'mxn-taza', 'en');
    await s.page.waitForSelector('#provider-ecartpay');
    expect(await s.page.getAttribute('html', 'lang')).toBe('en');
    expect(await s.page.locator('h1').textContent()).toBe('Choose how to pay');
    expect(await s.page.locator('main').textContent()).toContain('Your order');
    expect(await s.page.locator('a', { hasText: 'Back to the store' }).count()).toBe(1);

    await tabTo(s.page, 'provider-ecartpay');
    expect(await focusRingVisible(s.page)).toBe(true);
    await screenshot(s.page, 'chooser-en');
    await s.page.keyboard.press('Enter');

    await s.page.waitForURL((url) => url.pathname.startsWith('/sandbox/ecartpay/checkout'));
    await s.page.waitForSelector('#ecartpay-approve');
    await screenshot(s.page, 'chooser-ecartpay');
  });
});
