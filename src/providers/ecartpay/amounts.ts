import { currencyExponent, formatMajor, toMinorUnits, type Money } from '../../money';

/**
 * Ecart Pay speaks major units (pesos with 2 decimals) as JSON numbers. The app keeps integer minor
 * units. Both directions go through decimal text, never through float multiplication.
 */

/** Currencies Ecart Pay's API lists (its docs), limited to those the app knows the exponent of. */
export const ECARTPAY_CURRENCIES: readonly string[] = [
  'USD',
  'INR',
  'MXN',
  'BRL',
  'COP',
  'ARS',
  'GTQ',
  'CLP',
  'PEN',
  'CAD',
  'EUR',
  'AUD',
].filter((c) => currencyExponent(c) !== undefined);

export function isEcartPayCurrency(currency: string): boolean {
  return ECARTPAY_CURRENCIES.includes(currency);
}

/**
 * Minor units → the JSON number Ecart expects (`24333` MXN → `243.33`). `Number("243.33")` is the
 * double closest to 243.33, which `JSON.stringify` prints back as `243.33`: exact on the wire.
 */
export function toEcartAmount(money: Money): number {
  if (!Number.isSafeInteger(money.amount) || money.amount < 0) {
    throw new RangeError('amount must be a non-negative integer of minor units');
  }
  return Number(formatMajor(money));
}

/**
 * An amount Ecart sent (number or numeric string, major units) → minor units, or null when it is not
 * an exact amount in that currency (`243.335` MXN, `"abc"`, a negative number, an unknown currency).
 * Binary float noise (`243.32999999999998`) is accepted as the amount it stands for.
 */
export function fromEcartAmount(value: unknown, currency: string): Money | null {
  let major: number;
  if (typeof value === 'number') major = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) major = Number(value);
  else return null;
  const converted = toMinorUnits(major, currency);
  return converted.ok ? converted.money : null;
}
