import {
  backOnStore,
  browserSuite,
  chooseProvider,
  fillConektaCard,
  ecwidOrder,
  goToPayment,
  screenshot,
  shownStatus,
  waitForEcwidStatus,
} from './harness';

describe('Conekta journeys in a real browser (demo mode)', () => {
  const s = browserSuite();

  /** The MXN cart → chooser → Conekta's hosted checkout, with the card form filled in. */
  async function checkoutWithCard(card: string): Promise<void> {
    await goToPayment(s.page, s.demo, 'mxn-cafe');
    await chooseProvider(s.page, 'conekta');
    await fillConektaCard(s.page, { number: card, holder: 'Comprador Prueba', cvc: '123' });
    await s.page.click('#pay-card');
  }

  it('card approved (4242…): back on the store, the order is PAID', async () => {
    await checkoutWithCard('4242 4242 4242 4242');
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('PAID');
    expect(await s.page.locator('[data-error-msg]').count()).toBe(0);
    const recorded = await ecwidOrder(s.demo, order);
    expect(recorded).toMatchObject({ paymentStatus: 'PAID', currency: 'MXN' });
    expect(recorded.externalTransactionId).toBeTruthy();
    await screenshot(s.page, 'conekta-card-paid');
  });

  it('card declined (…0127): back on the checkout, INCOMPLETE, with the error message', async () => {
    await checkoutWithCard('4000 0000 0000 0127');
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('INCOMPLETE');
    expect(await s.page.locator('[data-error-msg]').textContent()).toContain('El pago no se completó');
    const recorded = await ecwidOrder(s.demo, order);
    expect(recorded.paymentStatus).toBe('INCOMPLETE');
    // Conekta's own reason reaches the merchant's order.
    expect(recorded.paymentMessage).toContain('Fondos insuficientes');
    await screenshot(s.page, 'conekta-card-declined');
  });

  it('OXXO cash: voucher → store shows AWAITING_PAYMENT → paid at the store → Ecwid order PAID', async () => {
    await goToPayment(s.page, s.demo, 'mxn-cafe');
    await chooseProvider(s.page, 'conekta');
    await s.page.click('#pay-cash');
    await s.page.waitForSelector('#voucher-reference');
    expect(await s.page.locator('#voucher-reference').textContent()).toMatch(/^\s*\d{14}\s*$/);
    const voucherUrl = s.page.url();
    await screenshot(s.page, 'conekta-oxxo-voucher');

    // The shopper goes back to the store with the reference: the order is placed, not paid.
    await s.page.click('#back-to-merchant');
    const order = await backOnStore(s.page);
    expect(await shownStatus(s.page)).toBe('AWAITING_PAYMENT');
    expect((await ecwidOrder(s.demo, order)).paymentStatus).toBe('AWAITING_PAYMENT');
    await screenshot(s.page, 'conekta-oxxo-awaiting');

    // Later, the reference is paid at an OXXO store: Conekta notifies the app, the shopper is not there.
    await s.page.goto(voucherUrl);
    await s.page.click('#simulate-payment');
    await s.page.waitForSelector('#conekta-closed[data-payment-status="paid"]');
    const paid = await waitForEcwidStatus(s.demo, order, 'PAID');
    expect(paid.externalTransactionId).toBeTruthy();

    // The store's order list shows it paid.
    await s.page.goto(`${s.demo.url}/sandbox/ecwid/store?lang=es`);
    const row = s.page.locator('.sandbox-orders tr', {
      has: s.page.locator('small', { hasText: order.ref }),
    });
    expect(await row.locator('[data-order-status]').getAttribute('data-order-status')).toBe('PAID');
    await screenshot(s.page, 'conekta-oxxo-paid');
  });
});
