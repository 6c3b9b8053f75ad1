import {
  currencyExponent,
  formatForDisplay,
  formatMajor,
  sameMoney,
  SUPPORTED_CURRENCIES,
  toMinorUnits,
  type Money,
} from '../../src/money';

function minor(major: number, currency: string): number {
  const result = toMinorUnits(major, currency);
  if (!result.ok) throw new Error(`expected ${major} ${currency} to convert, got ${result.error}`);
  expect(result.money.currency).toBe(currency);
  expect(Number.isSafeInteger(result.money.amount)).toBe(true);
  return result.money.amount;
}

function errorOf(major: number, currency: string): string {
  const result = toMinorUnits(major, currency);
  if (result.ok) throw new Error(`expected ${major} ${currency} to be refused, got ${result.money.amount}`);
  return result.error;
}

/** Strips the non-breaking spaces ICU puts between code and amount. */
function plain(text: string): string {
  return text.replace(/[\u00a0\u202f]/g, ' ');
}

describe('exponents', () => {
  it('CLP and PYG have no decimals; MXN, USD and the rest two', () => {
    expect(currencyExponent('CLP')).toBe(0);
    expect(currencyExponent('PYG')).toBe(0);
    expect(currencyExponent('MXN')).toBe(2);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBeUndefined();
    expect(currencyExponent('mxn')).toBeUndefined();
  });

  it('lists the currencies the providers need', () => {
    expect(SUPPORTED_CURRENCIES).toEqual(expect.arrayContaining(['CLP', 'MXN', 'USD']));
  });
});

describe('toMinorUnits', () => {
  it.each([
    [2014.97, 'MXN', 201497],
    [15000, 'CLP', 15000],
    [0.01, 'MXN', 1],
    [0.5, 'USD', 50],
    [1, 'USD', 100],
    [19.9, 'USD', 1990],
    [0, 'MXN', 0],
    [-0, 'MXN', 0],
    [1.1, 'MXN', 110],
    [4.35, 'MXN', 435],
    [0.29, 'MXN', 29],
    [1.005e2, 'MXN', 10050],
  ])('%p %s → %p minor units', (major, currency, expected) => {
    expect(minor(major, currency)).toBe(expected);
  });

  describe('binary float noise is tolerated and rounded to the intended amount', () => {
    it.each([
      ['10.000000000001 (noise above)', 10.000000000001, 'MXN', 1000],
      ['19.999999999999996 (noise below, carries)', 19.999999999999996, 'MXN', 2000],
      ['0.1 + 0.2', 0.1 + 0.2, 'MXN', 30],
      ['0.29 * 100 in CLP', 0.29 * 100, 'CLP', 29],
      ['0.29 * 100 in MXN', 0.29 * 100, 'MXN', 2900],
      ['4.35 * 100 in CLP', 4.35 * 100, 'CLP', 435],
      ['1.1 * 3', 1.1 * 3, 'MXN', 330],
      ['0.7 + 0.1 (0.7999999999999999)', 0.7 + 0.1, 'MXN', 80],
      ['large total with noise (100000000.1 + 0.07)', 100000000.1 + 0.07, 'MXN', 10000000017],
      ['very large total with noise (250000000.55 + 0.33)', 250000000.55 + 0.33, 'MXN', 25000000088],
    ])('%s', (_label, major, currency, expected) => {
      // The cases really carry noise: their shortest decimal text has more digits than the currency.
      const digits = String(major).split('.')[1] ?? '';
      expect(digits.length).toBeGreaterThan(currencyExponent(currency)!);
      expect(minor(major, currency)).toBe(expected);
    });
  });

  describe('real fractions of a minor unit are refused, never rounded', () => {
    it.each([
      [10.5, 'CLP'],
      [15000.1, 'CLP'],
      [0.4, 'CLP'],
      [1.234, 'MXN'],
      [1.005, 'MXN'],
      [2014.975, 'MXN'],
      [0.001, 'USD'],
      [0.000001, 'MXN'],
      [99.999, 'MXN'],
    ])('%p %s → too_many_decimals', (major, currency) => {
      expect(errorOf(major, currency)).toBe('too_many_decimals');
    });
  });

  it.each([
    [-1, 'negative'],
    [-0.01, 'negative'],
    [-1e-9, 'negative'],
    [Number.NaN, 'not_a_number'],
    [Number.POSITIVE_INFINITY, 'not_a_number'],
    [Number.NEGATIVE_INFINITY, 'not_a_number'],
  ])('%p → %s', (major, error) => {
    expect(errorOf(major, 'MXN')).toBe(error);
  });

  it('refuses values that are not numbers at run time (JSON mistakes)', () => {
    expect(errorOf('12.50' as unknown as number, 'MXN')).toBe('not_a_number');
    expect(errorOf(null as unknown as number, 'MXN')).toBe('not_a_number');
  });

  it('checks the currency first', () => {
    expect(errorOf(10, 'JPY')).toBe('unsupported_currency');
    expect(errorOf(Number.NaN, 'XXX')).toBe('unsupported_currency');
    expect(errorOf(10, 'mxn')).toBe('unsupported_currency');
  });

  describe('huge numbers and exponent notation', () => {
    it('1e21 (printed as 1e+21) is too large', () => {
      expect(String(1e21)).toContain('e+');
      expect(errorOf(1e21, 'MXN')).toBe('too_large');
      expect(errorOf(1e21, 'CLP')).toBe('too_large');
    });

    it('1e20 (printed without exponent) is too large in minor units', () => {
      expect(errorOf(1e20, 'MXN')).toBe('too_large');
    });

    it('Number.MAX_VALUE is too large', () => {
      expect(errorOf(Number.MAX_VALUE, 'CLP')).toBe('too_large');
    });

    it('the largest safe integer is accepted in CLP but not in MXN cents', () => {
      expect(minor(Number.MAX_SAFE_INTEGER, 'CLP')).toBe(Number.MAX_SAFE_INTEGER);
      expect(errorOf(Number.MAX_SAFE_INTEGER, 'MXN')).toBe('too_large');
      expect(errorOf(Number.MAX_SAFE_INTEGER + 2, 'CLP')).toBe('too_large');
    });

    it('1e-7 (printed as 1e-7) is noise around zero', () => {
      expect(String(1e-7)).toBe('1e-7');
      expect(minor(1e-7, 'MXN')).toBe(0);
      expect(minor(1e-7, 'CLP')).toBe(0);
    });

    it('a large plain amount converts exactly', () => {
      expect(minor(123456789.12, 'MXN')).toBe(12345678912);
      expect(minor(987654321, 'CLP')).toBe(987654321);
    });
  });
});

describe('formatMajor', () => {
  it.each([
    [{ amount: 201497, currency: 'MXN' }, '2014.97'],
    [{ amount: 15000, currency: 'CLP' }, '15000'],
    [{ amount: 5, currency: 'MXN' }, '0.05'],
    [{ amount: 50, currency: 'USD' }, '0.50'],
    [{ amount: 0, currency: 'MXN' }, '0.00'],
    [{ amount: 0, currency: 'CLP' }, '0'],
    [{ amount: 100, currency: 'USD' }, '1.00'],
    [{ amount: -5, currency: 'MXN' }, '-0.05'],
    [{ amount: -201497, currency: 'MXN' }, '-2014.97'],
    [{ amount: -15, currency: 'CLP' }, '-15'],
    [{ amount: 1234, currency: 'ZZZ' }, '12.34'],
  ] as [Money, string][])('%p → %s', (money, expected) => {
    expect(formatMajor(money)).toBe(expected);
  });

  it('round-trips through toMinorUnits for many amounts', () => {
    for (const currency of ['MXN', 'CLP', 'USD']) {
      for (const amount of [0, 1, 9, 10, 99, 100, 101, 201497, 999999, 1000000, 123456789012]) {
        const text = formatMajor({ amount, currency });
        expect(minor(Number(text), currency)).toBe(amount);
      }
    }
  });
});

describe('formatForDisplay', () => {
  it('shows MXN with two decimals and grouping in es and en', () => {
    const es = plain(formatForDisplay({ amount: 201497, currency: 'MXN' }, 'es'));
    const en = plain(formatForDisplay({ amount: 201497, currency: 'MXN' }, 'en'));
    expect(es).toContain('2,014.97');
    expect(es).toContain('$');
    expect(en).toContain('2,014.97');
    expect(en).toMatch(/MX\$|MXN/);
  });

  it('shows CLP without decimals', () => {
    for (const lang of ['es', 'en']) {
      const text = plain(formatForDisplay({ amount: 15000, currency: 'CLP' }, lang));
      expect(text).toContain('15,000');
      expect(text).not.toMatch(/15,000[.,]\d/);
      expect(text).toContain('CLP');
    }
  });

  it('shows USD cents in en', () => {
    expect(plain(formatForDisplay({ amount: 5, currency: 'USD' }, 'en'))).toBe('$0.05');
  });

  it('keeps exact cents for amounts that are not exact binary fractions', () => {
    expect(plain(formatForDisplay({ amount: 29, currency: 'MXN' }, 'en'))).toContain('0.29');
    expect(plain(formatForDisplay({ amount: 100000000017, currency: 'MXN' }, 'es'))).toContain(
      '1,000,000,000.17',
    );
  });

  it('an unknown language is formatted like es', () => {
    const money = { amount: 201497, currency: 'MXN' };
    expect(formatForDisplay(money, 'pt')).toBe(formatForDisplay(money, 'es'));
  });
});

describe('sameMoney', () => {
  it('compares amount and currency', () => {
    expect(sameMoney({ amount: 100, currency: 'MXN' }, { amount: 100, currency: 'MXN' })).toBe(true);
    expect(sameMoney({ amount: 100, currency: 'MXN' }, { amount: 101, currency: 'MXN' })).toBe(false);
    expect(sameMoney({ amount: 100, currency: 'MXN' }, { amount: 100, currency: 'USD' })).toBe(false);
  });
});
