import type { PaymentDeps } from './deps';
import { isSettledForShopper, isUnpaidEnd, type Payment } from './model';
import { refreshStatus } from './refreshStatus';
import { findPayment } from './repository';

export type ReturnResult =
  /** Back to Ecwid's returnUrl exactly as received (paid, awaiting payment, refunded). */
  | { kind: 'to_store'; payment: Payment }
  /** Back to Ecwid's returnUrl with errorMsg (failed, expired, cancelled). */
  | { kind: 'to_store_failed'; payment: Payment }
  /**
   * No checkout is open (a return before any provider, or a saved-card charge that failed and put the
   * payment back to the checkout step): back to the checkout step, with the provider it was at.
   */
  | { kind: 'not_started'; payment: Payment; provider?: string }
  /** The provider has no outcome yet: show the processing page. */
  | { kind: 'processing'; payment: Payment }
  | { kind: 'not_found' };

/** How long the shopper's return waits for Ecwid before leaving the rest to the worker. */
export const RETURN_SYNC_TIMEOUT_MS = 3_000;

/**
 * The shopper's way back. Nothing in the return URL decides the outcome: if the payment has none
 * yet, the provider is asked. Ecwid is updated (one quick attempt) before the redirect, because
 * what Ecwid shows after it depends on the order status.
 */
export async function returnToStore(
  deps: PaymentDeps,
  paymentId: string,
  returnQuery: Record<string, unknown>,
): Promise<ReturnResult> {
  let payment = await findPayment(deps.db, paymentId);
  if (!payment) return { kind: 'not_found' };
  if (payment.state === 'created' && !payment.provider) return { kind: 'not_started', payment };
  const before = payment;
  payment = await refreshStatus(deps, payment, 'return', returnQuery);
  if (payment.state === 'created' && !payment.provider)
    return { kind: 'not_started', payment, ...(before.provider ? { provider: before.provider } : {}) };
  if (!isSettledForShopper(payment.state)) return { kind: 'processing', payment };

  const outcome = await deps.sync.deliverNow(payment.id, RETURN_SYNC_TIMEOUT_MS);
  if (outcome === 'retry_later' || outcome === 'failed') {
    deps.logger.warn(
      { paymentId, outcome },
      'ecwid not updated before the shopper’s return; the worker goes on',
    );
  }
  return { kind: isUnpaidEnd(payment.state) ? 'to_store_failed' : 'to_store', payment };
}
