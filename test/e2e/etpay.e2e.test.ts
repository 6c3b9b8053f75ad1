import {
  backOnStore,
  browserSuite,
  chooseProvider,
  ecwidOrder,
  goToPayment,
  screenshot,
  shownStatus,
} from './harness';

describe('ETpay journeys in a real browser (demo mode)', () => {
  const s = browserSuite();

  it('pays by bank transfer: store → loading → funnel → approve → store shows PAID', async () => {
    await goToPayment(s.page, s.demo, 'clp-regalo');
    await chooseProvider(s.page, 'etpay');
    await s.page.waitForSelector('#etpay-approve');
    await screenshot(s.page, 'etpay-funnel');
    await s.page.locator('#etpay-approve').click();
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');
    const recorded = await ecwidOrder(s.demo, order);
    expect(recorded.paymentStatus).toBe('PAID');
    expect(recorded.currency).toBe('CLP');
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(s.page, 'etpay-paid');
  });

  it('a rejected transfer goes back to checkout with the error message', async () => {
    await goToPayment(s.page, s.demo, 'clp-regalo');
    await chooseProvider(s.page, 'etpay');
    await s.page.locator('#etpay-reject').click();
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('INCOMPLETE');
    expect(await s.page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    expect((await ecwidOrder(s.demo, order)).paymentStatus).toBe('INCOMPLETE');
    await screenshot(s.page, 'etpay-rejected');
  });
});
