import { fromEtpayAmount, toEtpayAmount } from '../../../src/providers/etpay/amount';

describe('ETpay amounts (integers in the account currency)', () => {
  it('CLP minor units are whole pesos: sent as they are', () => {
    expect(toEtpayAmount({ amount: 15990, currency: 'CLP' })).toEqual({ ok: true, amount: 15990 });
    expect(toEtpayAmount({ amount: 1, currency: 'CLP' })).toEqual({ ok: true, amount: 1 });
    expect(toEtpayAmount({ amount: 9_007_199_254_740_991, currency: 'CLP' })).toEqual({
      ok: true,
      amount: 9_007_199_254_740_991,
    });
  });

  it('MXN whole pesos convert exactly; a fraction of a peso is refused, never rounded', () => {
    expect(toEtpayAmount({ amount: 150000, currency: 'MXN' })).toEqual({ ok: true, amount: 1500 });
    expect(toEtpayAmount({ amount: 100, currency: 'MXN' })).toEqual({ ok: true, amount: 1 });
    expect(toEtpayAmount({ amount: 201497, currency: 'MXN' })).toEqual({
      ok: false,
      reason: 'ETpay charges whole MXN amounts; 2014.97 MXN has a fraction',
    });
    expect(toEtpayAmount({ amount: 99, currency: 'MXN' }).ok).toBe(false);
  });

  it('refuses zero, negative, fractional minor units and unknown currencies', () => {
    expect(toEtpayAmount({ amount: 0, currency: 'CLP' }).ok).toBe(false);
    expect(toEtpayAmount({ amount: -5, currency: 'CLP' }).ok).toBe(false);
    expect(toEtpayAmount({ amount: 10.5, currency: 'CLP' }).ok).toBe(false);
    expect(toEtpayAmount({ amount: 100, currency: 'XXX' })).toEqual({
      ok: false,
      reason: 'unknown currency XXX',
    });
  });

  it('reads ETpay’s amounts back into minor units exactly', () => {
    expect(fromEtpayAmount(15990, 'CLP')).toEqual({ amount: 15990, currency: 'CLP' });
    expect(fromEtpayAmount(1500, 'MXN')).toEqual({ amount: 150000, currency: 'MXN' });
    // Floats that would go wrong with naive scaling (0.29 * 100 = 28.999999999999996).
    expect(fromEtpayAmount(0.29, 'MXN')).toEqual({ amount: 29, currency: 'MXN' });
    expect(fromEtpayAmount(1234.56, 'MXN')).toEqual({ amount: 123456, currency: 'MXN' });
  });

  it('an amount that is not money in that currency is null', () => {
    expect(fromEtpayAmount(10.5, 'CLP')).toBeNull();
    expect(fromEtpayAmount(1.005, 'MXN')).toBeNull();
    expect(fromEtpayAmount(100, 'ZZZ')).toBeNull();
    expect(fromEtpayAmount(Number.NaN, 'CLP')).toBeNull();
  });
});
