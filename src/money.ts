/**
 * Money as integer minor units plus an ISO 4217 currency. Amounts from Ecwid arrive as JSON floats
 * (`2014.97`); they are converted through their decimal text, never by multiplying floats.
 */
export interface Money {
  /** Integer minor units (cents, or whole pesos for CLP). */
  readonly amount: number;
  readonly currency: string;
}

/** ISO 4217 exponents of the currencies the app accepts (Latin America plus the usual store currencies). */
const EXPONENTS: Readonly<Record<string, number>> = {
  ARS: 2,
  AUD: 2,
  BOB: 2,
  BRL: 2,
  CAD: 2,
  CLP: 0,
  COP: 2,
  CRC: 2,
  DOP: 2,
  EUR: 2,
  GBP: 2,
  GTQ: 2,
  HNL: 2,
  INR: 2,
  MXN: 2,
  NIO: 2,
  PAB: 2,
  PEN: 2,
  PYG: 0,
  USD: 2,
  UYU: 2,
};

export const SUPPORTED_CURRENCIES = Object.keys(EXPONENTS);

export function currencyExponent(currency: string): number | undefined {
  return EXPONENTS[currency];
}

export type MoneyError =
  'unsupported_currency' | 'not_a_number' | 'negative' | 'too_many_decimals' | 'too_large';

/**
 * Converts a major-unit amount (as Ecwid sends it) to minor units. More decimals than the currency
 * has are accepted only when they are float noise that rounds away (`10.000000001`), never when
 * they would change the amount by a real fraction of a minor unit (`CLP 10.5`).
 */
export function toMinorUnits(
  major: number,
  currency: string,
): { ok: true; money: Money } | { ok: false; error: MoneyError } {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return { ok: false, error: 'unsupported_currency' };
  if (typeof major !== 'number' || !Number.isFinite(major)) return { ok: false, error: 'not_a_number' };
  if (major < 0) return { ok: false, error: 'negative' };
  const text = major.toString();
  if (/e/i.test(text)) return major < 1 ? zeroOrNoise(major, currency) : { ok: false, error: 'too_large' };
  const [whole = '0', fraction = ''] = text.split('.');
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const dropped = fraction.slice(exponent);
  let minor = Number(whole + kept);
  if (dropped !== '') {
    // Tolerate binary float noise only: a millionth of a minor unit, or a few units in the last place
    // of a double for large amounts (250000000.88000003 MXN is noise, not a fraction of a cent), never
    // more than a hundredth of a minor unit.
    const noise = Math.min(1e-2, Math.max(1e-6, major * 10 ** exponent * Number.EPSILON * 32));
    const remainder = Number(`0.${dropped}`);
    if (remainder > noise && remainder < 1 - noise) return { ok: false, error: 'too_many_decimals' };
    if (remainder >= 0.5) minor += 1;
  }
  if (!Number.isSafeInteger(minor)) return { ok: false, error: 'too_large' };
  return { ok: true, money: { amount: minor, currency } };
}

function zeroOrNoise(
  major: number,
  currency: string,
): { ok: true; money: Money } | { ok: false; error: MoneyError } {
  // Numbers like 1e-7 print in exponent form; they are noise around zero.
  return major < 1e-6
    ? { ok: true, money: { amount: 0, currency } }
    : { ok: false, error: 'too_many_decimals' };
}

/** Minor units back to a major-unit decimal string with the currency's exponent (`"2014.97"`, `"15000"`). */
export function formatMajor(money: Money): string {
  const exponent = currencyExponent(money.currency) ?? 2;
  const sign = money.amount < 0 ? '-' : '';
  const digits = String(Math.abs(money.amount));
  if (exponent === 0) return `${sign}${digits}`;
  const text = digits.padStart(exponent + 1, '0');
  return `${sign}${text.slice(0, -exponent)}.${text.slice(-exponent)}`;
}

/** For people: `$2,014.97 MXN` in the shopper's language. */
export function formatForDisplay(money: Money, lang: string): string {
  const exponent = currencyExponent(money.currency) ?? 2;
  return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'es-MX', {
    style: 'currency',
    currency: money.currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(money.amount / 10 ** exponent);
}

export function sameMoney(a: Money, b: Money): boolean {
  return a.amount === b.amount && a.currency === b.currency;
}

/** A merchant-typed major-unit amount ("100.50", "15000") to minor units; null when not a valid amount. */
export function parseMajorAmount(text: string, currency: string): number | null {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return null;
  const match = /^(\d{1,12})(?:[.,](\d+))?$/.exec(text.trim());
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  return Number(match[1]! + fraction.padEnd(exponent, '0'));
}
