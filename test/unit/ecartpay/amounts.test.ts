import {
  ECARTPAY_CURRENCIES,
  fromEcartAmount,
  isEcartPayCurrency,
  toEcartAmount,
} from '../../../src/providers/ecartpay/amounts';

describe('Ecart Pay amounts (major units on the wire, minor units inside)', () => {
  it('converts minor units to the exact major-unit JSON number', () => {
    expect(JSON.stringify({ price: toEcartAmount({ amount: 24333, currency: 'MXN' }) })).toBe(
      '{"price":243.33}',
    );
    expect(toEcartAmount({ amount: 30, currency: 'MXN' })).toBe(0.3);
    expect(toEcartAmount({ amount: 1, currency: 'USD' })).toBe(0.01);
    expect(toEcartAmount({ amount: 199999999, currency: 'MXN' })).toBe(1999999.99);
    expect(toEcartAmount({ amount: 15990, currency: 'CLP' })).toBe(15990);
    // Values whose float products are inexact (0.1 * 3, 1.005 * 100) come out exact.
    for (let cents = 0; cents < 20000; cents += 7) {
      const major = toEcartAmount({ amount: cents, currency: 'MXN' });
      expect(JSON.stringify(major)).toBe((cents / 100).toFixed(2).replace(/\.?0+$/, '') || '0');
    }
  });

  it('refuses a non-integer or negative amount of minor units', () => {
    expect(() => toEcartAmount({ amount: 10.5, currency: 'MXN' })).toThrow(RangeError);
    expect(() => toEcartAmount({ amount: -1, currency: 'MXN' })).toThrow(RangeError);
  });

  it('reads Ecart totals back exactly, float noise included, and refuses inexact ones', () => {
    expect(fromEcartAmount(243.33, 'MXN')).toEqual({ amount: 24333, currency: 'MXN' });
    expect(fromEcartAmount(0.1 + 0.2, 'MXN')).toEqual({ amount: 30, currency: 'MXN' });
    expect(fromEcartAmount(243.32999999999998, 'MXN')).toEqual({ amount: 24333, currency: 'MXN' });
    expect(fromEcartAmount('243.33', 'MXN')).toEqual({ amount: 24333, currency: 'MXN' });
    expect(fromEcartAmount(15990, 'CLP')).toEqual({ amount: 15990, currency: 'CLP' });
    expect(fromEcartAmount(243.335, 'MXN')).toBeNull();
    expect(fromEcartAmount(15990.5, 'CLP')).toBeNull();
    expect(fromEcartAmount(-1, 'MXN')).toBeNull();
    expect(fromEcartAmount('12abc', 'MXN')).toBeNull();
    expect(fromEcartAmount(null, 'MXN')).toBeNull();
    expect(fromEcartAmount(Number.NaN, 'MXN')).toBeNull();
    expect(fromEcartAmount(10, 'XXX')).toBeNull();
  });

  it('lists the currencies Ecart documents that the app can convert', () => {
    expect(ECARTPAY_CURRENCIES).toEqual(expect.arrayContaining(['MXN', 'USD', 'CLP', 'COP', 'PEN', 'BRL']));
    expect(isEcartPayCurrency('MXN')).toBe(true);
    expect(isEcartPayCurrency('PYG')).toBe(false);
    expect(isEcartPayCurrency('mxn')).toBe(false);
  });
});
