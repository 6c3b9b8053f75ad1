import type { Money } from '../money';
import type { ProviderObservation } from '../providers/types';
import { applyProviderStatus } from './applyProviderStatus';
import type { PaymentDeps } from './deps';
import type { Payment } from './model';
import { storeContext, unsealProviderSecrets } from './providerContext';
import { findPayment } from './repository';
import { firstReceipt, forgetReceipt } from './webhookReceipts';

export type RefundOutcome =
  | { kind: 'refunded'; payment: Payment; manual: boolean }
  | { kind: 'not_found' }
  | { kind: 'not_refundable'; payment: Payment }
  | { kind: 'invalid_amount'; payment: Payment; maximum: number }
  | { kind: 'already_done' }
  | { kind: 'provider_error'; payment: Payment; message: string };

/**
 * A merchant's refund from the dashboard (Ecwid sends payment apps no refund request). With a
 * provider refund API the money goes back through it; otherwise (ETpay: refunds happen in ETpay's
 * dashboard) the merchant records the refund made there. Either way the result goes through the
 * shared use case, so Ecwid becomes REFUNDED / PARTIALLY_REFUNDED. The form's one-time key makes a
 * double submit refund once.
 */
export async function refundPayment(
  deps: PaymentDeps,
  input: { storeId: number; paymentId: string; amount: number; refundKey: string },
): Promise<RefundOutcome> {
  const payment = await findPayment(deps.db, input.paymentId);
  if (!payment || payment.storeId !== input.storeId) return { kind: 'not_found' };
  if (payment.state !== 'paid' && payment.state !== 'partially_refunded')
    return { kind: 'not_refundable', payment };
  const maximum = payment.total.amount - payment.refundedAmount;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > maximum) {
    return { kind: 'invalid_amount', payment, maximum };
  }
  if (!(await firstReceipt(deps.db, 'refund', input.refundKey))) return { kind: 'already_done' };

  const amount: Money = { amount: input.amount, currency: payment.total.currency };
  const provider = payment.provider ? deps.providers.get(payment.provider) : undefined;
  let observation: ProviderObservation;
  let manual = false;
  if (provider?.refund) {
    const result = await provider.refund({
      payment,
      providerSecrets: unsealProviderSecrets(deps.secrets, payment),
      store: await storeContext(deps, payment.storeId),
      amount,
    });
    if (!result.ok) {
      await forgetReceipt(deps.db, 'refund', input.refundKey);
      deps.logger.warn(
        { paymentId: payment.id, reason: result.error.message },
        'refund refused by the provider',
      );
      return { kind: 'provider_error', payment, message: result.error.message };
    }
    observation = result.observation;
  } else {
    manual = true;
    const refunded = payment.refundedAmount + input.amount;
    observation = {
      status: refunded >= payment.total.amount ? 'refunded' : 'partially_refunded',
      amount: payment.total,
      refundedAmount: refunded,
      eventKey: input.refundKey,
    };
  }
  const applied = await applyProviderStatus(
    deps,
    payment.id,
    observation,
    manual ? 'merchant:recorded-refund' : `${provider!.id}:refund`,
  );
  const after = (await findPayment(deps.db, payment.id)) ?? payment;
  if (applied.kind === 'mismatch') return { kind: 'provider_error', payment: after, message: applied.reason };
  deps.logger.info({ paymentId: payment.id, amount: input.amount, manual }, 'refund recorded');
  return { kind: 'refunded', payment: after, manual };
}
