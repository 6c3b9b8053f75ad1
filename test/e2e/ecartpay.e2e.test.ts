import {
  backOnStore,
  browserSuite,
  chooseProvider,
  ecwidOrder,
  goToPayment,
  screenshot,
  shownStatus,
} from './harness';

describe('Ecart Pay journeys in a real browser (demo mode)', () => {
  const s = browserSuite();

  it('approve, in English: every page in English, back on the store the order is PAID', async () => {
    await goToPayment(s.page, s.demo, 'mxn-taza', 'en');
    await chooseProvider(s.page, 'ecartpay');
    await s.page.waitForSelector('#ecartpay-approve');
    // The app sends the shopper to pay_link exactly as Ecart returned it, which carries no language:
    // the pay page opens in Spanish and the shopper switches it with its own language link.
    await s.page.click('#ecartpay-lang-en');
    await s.page.waitForSelector('html[lang="en"] #ecartpay-approve');
    expect(await s.page.locator('h1').textContent()).toContain('Pay order');
    await s.page.click('#ecartpay-approve');
    const order = await backOnStore(s.page);
    expect(await s.page.getAttribute('html', 'lang')).toBe('en');
    expect(await s.page.locator('h1').textContent()).toContain('Thank you for your order!');
    expect(await shownStatus(s.page)).toBe('PAID');
    const recorded = await ecwidOrder(s.demo, order);
    expect(recorded).toMatchObject({ paymentStatus: 'PAID', currency: 'MXN' });
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(s.page, 'ecartpay-approved-en');
  });

  it('decline: back on the checkout, INCOMPLETE, with the error message', async () => {
    await goToPayment(s.page, s.demo, 'mxn-cafe');
    await chooseProvider(s.page, 'ecartpay');
    await s.page.click('#ecartpay-decline');
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('INCOMPLETE');
    expect(await s.page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    expect((await ecwidOrder(s.demo, order)).paymentStatus).toBe('INCOMPLETE');
    await screenshot(s.page, 'ecartpay-declined');
  });
});
