import { settleSavedCardObservation } from '../savedCards';
import { applyProviderStatus } from './applyProviderStatus';
import type { PaymentDeps } from './deps';
import { OPEN_STATES, type Payment } from './model';
import { storeContext, unsealProviderSecrets } from './providerContext';
import { findPayment } from './repository';

/**
 * Asks the payment's provider for its status and applies it (same use case as notifications).
 * Leaves the payment as it is when there is no provider yet, it has ended, or the provider cannot
 * be reached.
 */
export async function refreshStatus(
  deps: PaymentDeps,
  payment: Payment,
  source: 'return' | 'poll' | 'reconcile',
  returnQuery?: Record<string, unknown>,
): Promise<Payment> {
  const provider = payment.provider ? deps.providers.get(payment.provider) : undefined;
  // Open states only: a pending cash voucher can still become paid; an ended payment cannot move.
  if (!provider || !OPEN_STATES.includes(payment.state)) return payment;
  const status = await provider.fetchStatus({
    payment,
    providerSecrets: unsealProviderSecrets(deps.secrets, payment),
    store: await storeContext(deps, payment.storeId),
    ...(returnQuery ? { returnQuery } : {}),
  });
  if (!status.ok) {
    deps.logger.warn(
      { paymentId: payment.id, provider: provider.id, reason: status.error.message },
      'provider status unavailable',
    );
    return payment;
  }
  // A saved-card charge that failed (3-D Secure, a decline seen late) goes back to the checkout step.
  if (await settleSavedCardObservation(deps, payment, status.observation)) {
    return (await findPayment(deps.db, payment.id)) ?? payment;
  }
  const applied = await applyProviderStatus(deps, payment.id, status.observation, `${provider.id}:${source}`);
  return applied.kind === 'not_found' ? payment : ((await findPayment(deps.db, payment.id)) ?? payment);
}
