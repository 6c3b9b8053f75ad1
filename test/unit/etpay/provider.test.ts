import type { Payment } from '../../../src/payments/model';
import { createEtpayProvider, currenciesForMerchant } from '../../../src/providers/etpay/provider';

const full = {
  merchantCode: 'cl_tienda',
  merchantApiToken: 'tok',
  apiUrl: 'https://api-sandbox.etpay.example/',
  pmtUrl: 'https://pmt-sandbox.etpay.example//',
};
const store = { storeId: 1 };

describe('ETpay provider configuration', () => {
  it('takes CLP for cl_ merchants and MXN for mx_ merchants', () => {
    expect(currenciesForMerchant('cl_tienda')).toEqual(['CLP']);
    expect(currenciesForMerchant('MX_tienda')).toEqual(['MXN']);
    const cl = createEtpayProvider(full);
    expect(cl.supportsCurrency('CLP', store)).toBe(true);
    expect(cl.supportsCurrency('MXN', store)).toBe(false);
    expect(cl.supportsCurrency('USD', store)).toBe(false);
    const mx = createEtpayProvider({ ...full, merchantCode: 'mx_tienda' });
    expect(mx.supportsCurrency('MXN', store)).toBe(true);
    expect(mx.supportsCurrency('CLP', store)).toBe(false);
    expect(createEtpayProvider({ ...full, currencies: ['CLP', 'MXN'] }).supportsCurrency('MXN', store)).toBe(
      true,
    );
  });

  it('supports nothing without complete credentials', () => {
    for (const missing of ['merchantCode', 'merchantApiToken', 'apiUrl', 'pmtUrl'] as const) {
      const provider = createEtpayProvider({ ...full, [missing]: undefined });
      expect(provider.supportsCurrency('CLP', store)).toBe(false);
      expect(provider.credentialsFor(store)).toBeNull();
    }
    expect(createEtpayProvider({}).supportsCurrency('CLP', store)).toBe(false);
  });

  it('credentialsFor gives the environment defaults to every store (trailing slashes removed)', () => {
    const provider = createEtpayProvider(full);
    const expected = {
      merchantCode: 'cl_tienda',
      merchantApiToken: 'tok',
      apiUrl: 'https://api-sandbox.etpay.example',
      pmtUrl: 'https://pmt-sandbox.etpay.example',
      currencies: ['CLP'],
    };
    expect(provider.credentialsFor(store)).toEqual(expected);
    expect(provider.credentialsFor({ storeId: 2, settings: { anything: true } })).toEqual(expected);
    expect(provider.id).toBe('etpay');
  });

  it('without credentials, checkout and status answer misconfigured (no network)', async () => {
    const provider = createEtpayProvider({});
    const payment = {
      id: 'p',
      ecwidOrderId: 'X',
      attempt: 1,
      total: { amount: 100, currency: 'CLP' },
    } as Payment;
    expect(
      await provider.createCheckout({
        payment,
        order: { ecwidOrderId: 'X', items: [] },
        store,
        returnUrl: 'https://a.example/return/p',
        notificationUrl: 'https://a.example/webhooks/etpay/p',
        lang: 'es',
      }),
    ).toEqual({
      ok: false,
      error: { kind: 'misconfigured', message: 'ETpay is not configured for this store' },
    });
    expect(await provider.fetchStatus({ payment, providerSecrets: {}, store })).toMatchObject({
      ok: false,
      error: { kind: 'misconfigured' },
    });
  });

  it('a currency the account does not take is refused before calling ETpay', async () => {
    const provider = createEtpayProvider({ ...full, apiUrl: 'http://127.0.0.1:9' });
    const payment = {
      id: 'p',
      ecwidOrderId: 'X',
      attempt: 1,
      total: { amount: 100, currency: 'MXN' },
    } as Payment;
    const result = await provider.createCheckout({
      payment,
      order: { ecwidOrderId: 'X', items: [] },
      store,
      returnUrl: 'https://a.example/return/p',
      notificationUrl: 'https://a.example/webhooks/etpay/p',
      lang: 'es',
    });
    // 'rejected', not 'unavailable': nothing was sent to the (unreachable) API.
    expect(result).toEqual({
      ok: false,
      error: { kind: 'rejected', message: 'this ETpay account does not take MXN' },
    });
  });

  it('status of a payment that never had a session is an error, not a guess', async () => {
    const provider = createEtpayProvider({ ...full, apiUrl: 'http://127.0.0.1:9' });
    const payment = {
      id: 'p',
      providerReference: null,
      total: { amount: 100, currency: 'CLP' },
    } as Payment;
    expect(await provider.fetchStatus({ payment, providerSecrets: {}, store })).toEqual({
      ok: false,
      error: { kind: 'invalid_response', message: 'the payment has no ETpay session' },
    });
  });
});
