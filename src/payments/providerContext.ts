import type { OrderDetails } from '../ecwid/paymentRequest';
import { resolveStoreContext } from '../merchants/settings';
import { findStore } from '../merchants/stores';
import type { NotificationLookup, PaymentProvider, ProviderRegistry, StoreContext } from '../providers/types';
import type { Secrets } from '../secrets';
import type { PaymentDeps } from './deps';
import type { Payment } from './model';
import { findPayment, findPaymentByProviderReference, findSealedOrder } from './repository';

/** The store as the providers see it: its own settings (secrets unsealed) when it saved some. */
export async function storeContext(
  deps: Pick<PaymentDeps, 'db' | 'secrets'>,
  storeId: number,
): Promise<StoreContext> {
  const store = await findStore(deps.db, storeId);
  return resolveStoreContext(storeId, store?.settings, deps.secrets);
}

/**
 * Providers enabled for the store (its own settings, else PAYMENT_PROVIDERS) that take this
 * currency (narrowed by the merchant's currency choice, when made).
 */
export function enabledProviders(
  registry: ProviderRegistry,
  defaults: readonly string[],
  store: StoreContext,
  currency: string,
): PaymentProvider[] {
  const configured = store.settings?.enabledProviders;
  const ids = Array.isArray(configured)
    ? configured.filter((v): v is string => typeof v === 'string')
    : defaults;
  return ids
    .map((id) => registry.get(id))
    .filter((p): p is PaymentProvider => {
      if (!p) return false;
      const chosen = (store.settings?.currencies as Record<string, string[]> | undefined)?.[p.id];
      const narrowed = chosen ?? store.providers?.[p.id]?.currencies ?? [];
      return (narrowed.length === 0 || narrowed.includes(currency)) && p.supportsCurrency(currency, store);
    });
}

/** The Ecwid order details kept sealed with the payment (read only when a provider needs them). */
export async function loadOrder(
  deps: Pick<PaymentDeps, 'db' | 'secrets'>,
  payment: Pick<Payment, 'id'>,
): Promise<OrderDetails> {
  const sealed = await findSealedOrder(deps.db, payment.id);
  if (sealed === null) throw new Error('payment not found while reading its order');
  return JSON.parse(deps.secrets.unseal(sealed)) as OrderDetails;
}

export function unsealProviderSecrets(secrets: Secrets, payment: Payment): Record<string, string> {
  return payment.providerSecretsSealed
    ? (JSON.parse(secrets.unseal(payment.providerSecretsSealed)) as Record<string, string>)
    : {};
}

/** Lets a provider find the payment a notification names, with its keys, for one provider only. */
export function notificationLookup(
  deps: Pick<PaymentDeps, 'db' | 'secrets'>,
  providerId: string,
): NotificationLookup {
  const withContext = async (payment: Payment | null) => {
    if (!payment || payment.provider !== providerId) return null;
    return {
      payment,
      providerSecrets: unsealProviderSecrets(deps.secrets, payment),
      store: await storeContext(deps, payment.storeId),
    };
  };
  return {
    byId: async (id) => withContext(await findPayment(deps.db, id)),
    byProviderReference: async (ref) =>
      withContext(await findPaymentByProviderReference(deps.db, providerId, ref)),
  };
}
