import { currencyExponent, formatMajor, toMinorUnits, type Money } from '../../money';

/**
 * ETpay's `order_amount` / `merchant_amount` are integers in the account currency's major unit
 * (CLP has no decimals; MXN accounts are charged whole pesos — see docs/providers/etpay.md).
 * Conversions are integer-exact: division only when the remainder is zero, never float scaling.
 */
export function toEtpayAmount(money: Money): { ok: true; amount: number } | { ok: false; reason: string } {
  const exponent = currencyExponent(money.currency);
  if (exponent === undefined) return { ok: false, reason: `unknown currency ${money.currency}` };
  if (!Number.isSafeInteger(money.amount) || money.amount <= 0) {
    return { ok: false, reason: 'the amount must be a positive whole number of minor units' };
  }
  const factor = 10 ** exponent;
  if (money.amount % factor !== 0) {
    return {
      ok: false,
      reason: `ETpay charges whole ${money.currency} amounts; ${formatMajor(money)} ${money.currency} has a fraction`,
    };
  }
  return { ok: true, amount: money.amount / factor };
}

/** ETpay's amount (major units, as it reports it) back to our minor units; null when it is not a valid amount. */
export function fromEtpayAmount(amount: number, currency: string): Money | null {
  const converted = toMinorUnits(amount, currency);
  return converted.ok ? converted.money : null;
}
