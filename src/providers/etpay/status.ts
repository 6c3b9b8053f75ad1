import type { Money } from '../../money';
import type { ProviderObservation } from '../types';
import { fromEtpayAmount } from './amount';
import type { EtpayPayment } from './schemas';

export type EtpayOutcome = 'paid' | 'pending' | 'failed' | 'cancelled' | 'expired' | 'unknown';

const FAILED = new Set(['failed', 'failure', 'fail', 'error', 'rejected', 'declined', 'denied']);
const CANCELLED = new Set(['cancelled', 'canceled', 'cancel', 'aborted', 'abandoned']);
const EXPIRED = new Set(['expired', 'timeout', 'timed_out']);
const PENDING = new Set(['pending', 'processing', 'in_process', 'in_progress', 'waiting']);

/**
 * What an ETpay `payment_status` means. Only the exact value `success` is paid (the one value
 * ETpay documents); failure words are matched loosely; anything else is `unknown` and changes nothing.
 */
export function outcomeOf(paymentStatus: string): EtpayOutcome {
  if (paymentStatus === 'success') return 'paid';
  const s = paymentStatus.trim().toLowerCase();
  if (FAILED.has(s)) return 'failed';
  if (CANCELLED.has(s)) return 'cancelled';
  if (EXPIRED.has(s)) return 'expired';
  if (PENDING.has(s)) return 'pending';
  return 'unknown';
}

/** An ETpay attempt as an observation; null when its amount/currency cannot be read as money. */
export function observationOf(p: EtpayPayment): ProviderObservation | null {
  const amount = fromEtpayAmount(p.merchant_amount, p.merchant_currency);
  if (!amount) return null;
  const outcome = outcomeOf(p.payment_status);
  const status: ProviderObservation['status'] = outcome === 'unknown' ? 'open' : outcome;
  const settledOrWaiting = status === 'paid' || status === 'pending';
  return {
    status,
    amount,
    eventKey: p.payment_token,
    ...(settledOrWaiting ? { externalTransactionId: p.payment_token } : {}),
    ...(status === 'failed' || status === 'cancelled' || status === 'expired'
      ? { message: failureMessage(p) }
      : {}),
  };
}

export function failureMessage(p: Pick<EtpayPayment, 'payment_status' | 'reason' | 'code'>): string {
  const detail = [p.reason, p.code ? `code ${p.code}` : undefined].filter(Boolean).join(', ');
  return `ETpay: transfer ${p.payment_status}${detail ? ` (${detail})` : ''}`;
}

/**
 * The one answer for a payment from the status API's list of attempts: a success wins (money
 * arrived), then a pending transfer, then the latest failure; `[]` is `open`, unless the shopper came
 * back through the cancellation URL, which can only ever lead to an unpaid outcome.
 */
export function summarizeAttempts(
  attempts: EtpayPayment[],
  expected: Money,
  cancelledHint: boolean,
): { ok: true; observation: ProviderObservation } | { ok: false; reason: string } {
  const observed: ProviderObservation[] = [];
  for (const attempt of attempts) {
    const o = observationOf(attempt);
    if (!o) {
      return {
        ok: false,
        reason: `ETpay reported an unreadable amount (${attempt.merchant_amount} ${attempt.merchant_currency})`,
      };
    }
    observed.push(o);
  }
  const pick =
    observed.find((o) => o.status === 'paid') ??
    observed.find((o) => o.status === 'pending') ??
    [...observed].reverse().find((o) => o.status === 'failed' || o.status === 'expired') ??
    [...observed].reverse().find((o) => o.status === 'cancelled');
  if (pick) return { ok: true, observation: pick };
  if (cancelledHint) {
    return {
      ok: true,
      observation: {
        status: 'cancelled',
        amount: expected,
        message: 'ETpay: the shopper left the ETpay page without paying',
      },
    };
  }
  return { ok: true, observation: { status: 'open', amount: expected } };
}
