import type { EcwidOrderUpdate } from '../ecwid/client';
import { sameMoney } from '../money';
import type { ProviderObservation } from '../providers/types';
import type { PaymentDeps } from './deps';
import { enqueueEcwidUpdate } from './ecwidSync';
import { canTransition, ecwidStatusFor, type Payment, type PaymentState } from './model';
import { compareAndSetState, findOtherPaidAttempt, findPayment, recordEvent } from './repository';

export type ApplyResult =
  | { kind: 'applied'; payment: Payment; from: PaymentState }
  /** Already in that state, or a step back (a late "failed" after "paid"): nothing changed. */
  | { kind: 'unchanged'; payment: Payment }
  /** The provider's amount or currency is not the payment's: refused and recorded, nothing changed. */
  | { kind: 'mismatch'; payment: Payment; reason: string }
  /** Paid, but another attempt of the same order already was: flagged for a refund, Ecwid untouched. */
  | { kind: 'duplicate_paid'; payment: Payment }
  | { kind: 'not_found' };

export const DUPLICATE_PAYMENT = 'duplicate_payment_refund_needed';

/**
 * The one place a provider's verified answer changes a payment (webhooks, returns, reconciliation).
 * Runs in one transaction holding the payment's row lock: state compare-and-set, audit event and
 * the Ecwid outbox entry commit together, so concurrent duplicates apply once.
 */
export async function applyProviderStatus(
  deps: Pick<PaymentDeps, 'db' | 'logger' | 'sync'>,
  paymentId: string,
  observation: ProviderObservation,
  source: string,
): Promise<ApplyResult> {
  const result = await deps.db.transaction(async (tx): Promise<ApplyResult> => {
    const payment = await findPayment(tx, paymentId, { forUpdate: true });
    if (!payment) return { kind: 'not_found' };

    if (!sameMoney(payment.total, observation.amount)) {
      const reason = `provider reports ${observation.amount.amount} ${observation.amount.currency}, payment is ${payment.total.amount} ${payment.total.currency}`;
      await recordEvent(tx, {
        paymentId,
        kind: 'amount_mismatch',
        from: payment.state,
        source,
        detail: { reason, status: observation.status },
      });
      return { kind: 'mismatch', payment, reason };
    }

    const to = targetState(payment, observation);
    if (!to) return { kind: 'unchanged', payment };

    const duplicate = to === 'paid' && (await findOtherPaidAttempt(tx, payment)) !== null;
    const updated = await compareAndSetState(tx, payment, {
      to,
      externalTransactionId: observation.externalTransactionId ?? null,
      ...(observation.refundedAmount !== undefined ? { refundedAmount: observation.refundedAmount } : {}),
      ...(duplicate ? { attention: DUPLICATE_PAYMENT } : {}),
    });
    // The row is locked, so the version cannot have moved; a miss here is a bug, not a race.
    if (!updated) throw new Error(`payment ${paymentId} changed while locked`);

    await recordEvent(tx, {
      paymentId,
      kind: duplicate ? 'duplicate_paid' : 'transition',
      from: payment.state,
      to,
      source,
      dedupeKey: observation.eventKey ? `${source}:${observation.eventKey}:${to}` : null,
      detail: { externalTransactionId: observation.externalTransactionId, message: observation.message },
    });
    if (duplicate) return { kind: 'duplicate_paid', payment: updated };

    const ecwidStatus = ecwidStatusFor(to);
    if (ecwidStatus && ecwidStatus !== ecwidStatusFor(payment.state)) {
      await enqueueEcwidUpdate(tx, updated, ecwidUpdateFor(updated, ecwidStatus, observation));
    }
    return { kind: 'applied', payment: updated, from: payment.state };
  });

  const log = deps.logger.child({ paymentId });
  if (result.kind === 'applied') {
    log.info({ from: result.from, to: result.payment.state, source }, 'payment state changed');
    deps.sync.kick();
  } else if (result.kind === 'mismatch') {
    log.warn({ source, reason: result.reason }, 'provider amount or currency mismatch: nothing changed');
  } else if (result.kind === 'duplicate_paid') {
    log.error({ source }, 'second paid attempt for one Ecwid order: flagged for refund');
  }
  return result;
}

/** The state an observation moves the payment to, or null when it changes nothing. */
function targetState(payment: Payment, o: ProviderObservation): PaymentState | null {
  if (o.status === 'open') return null;
  if (o.status === 'partially_refunded' && payment.state === 'partially_refunded') {
    // A further partial refund is news only if more was refunded.
    return (o.refundedAmount ?? 0) > payment.refundedAmount ? 'partially_refunded' : null;
  }
  if (payment.state === o.status) return null;
  return canTransition(payment.state, o.status) ? o.status : null;
}

function ecwidUpdateFor(
  payment: Payment,
  paymentStatus: NonNullable<ReturnType<typeof ecwidStatusFor>>,
  o: ProviderObservation,
): EcwidOrderUpdate {
  return {
    paymentStatus,
    ...(payment.externalTransactionId ? { externalTransactionId: payment.externalTransactionId } : {}),
    ...(paymentStatus === 'INCOMPLETE' && o.message ? { paymentMessage: o.message.slice(0, 500) } : {}),
  };
}
