import type { PaymentProvider } from '../providers/types';
import {
  type SavedCard,
  rememberCardSaving,
  savedCardInFlight,
  savedCardsStep,
  type Notice,
} from '../savedCards';
import type { PaymentDeps } from './deps';
import { isSettledForShopper, type Payment } from './model';
import { enabledProviders, storeContext, loadOrder } from './providerContext';
import { findPayment, recordCheckout, recordEvent } from './repository';

export type OpenCheckoutResult =
  | { kind: 'redirect'; url: string; payment: Payment }
  | { kind: 'choose'; payment: Payment; options: Pick<PaymentProvider, 'id' | 'displayName'>[] }
  /** No enabled provider takes this currency: back to the store with an error. */
  | { kind: 'no_provider'; payment: Payment }
  /** The payment already has an outcome: the return route settles the shopper's way back. */
  | { kind: 'settled'; payment: Payment }
  /** The provider did not create the checkout; `retryable` when trying again may help (it was down). */
  | { kind: 'provider_error'; payment: Payment; message: string; retryable: boolean }
  /** A logged-in shopper with saved cards at this provider: offer them beside "use another method". */
  | {
      kind: 'saved_cards';
      payment: Payment;
      provider: Pick<PaymentProvider, 'id' | 'displayName'>;
      cards: SavedCard[];
      notice: Notice | null;
      /** Other providers take this payment too (a way back to the chooser). */
      otherProviders: boolean;
    }
  /** A charge to a saved card is in flight: the return route shows where it stands. */
  | { kind: 'in_flight'; payment: Payment }
  | { kind: 'not_found' };

/**
 * Sends the shopper to a provider's hosted page: reuses the open checkout when there is one,
 * otherwise creates it with the chosen (or only) provider and records it before redirecting.
 */
export async function openCheckout(
  deps: PaymentDeps,
  paymentId: string,
  chosen?: string,
  opts: { otherMethod?: boolean } = {},
): Promise<OpenCheckoutResult> {
  const payment = await findPayment(deps.db, paymentId);
  if (!payment) return { kind: 'not_found' };
  if (isSettledForShopper(payment.state)) return { kind: 'settled', payment };
  // Never a second checkout while a saved-card charge may still take the money.
  if (await savedCardInFlight(deps, payment.id)) return { kind: 'in_flight', payment };

  const store = await storeContext(deps, payment.storeId);
  const options = enabledProviders(deps.providers, deps.defaultProviders, store, payment.total.currency);
  if (options.length === 0) return { kind: 'no_provider', payment };

  const wanted =
    chosen ??
    (payment.state === 'checkout_open' ? payment.provider : null) ??
    (options.length === 1 ? options[0]!.id : null);
  const provider = options.find((p) => p.id === wanted);
  if (!provider)
    return { kind: 'choose', payment, options: options.map(({ id, displayName }) => ({ id, displayName })) };

  if (payment.state === 'checkout_open' && payment.provider === provider.id && payment.checkoutUrl) {
    return { kind: 'redirect', url: payment.checkoutUrl, payment };
  }

  const log = deps.logger.child({ paymentId, provider: provider.id });
  const order = await loadOrder(deps, payment);
  // Returning shoppers (src/savedCards): their saved cards first, or card saving on the provider's page.
  const step = await savedCardsStep(deps, {
    payment,
    provider,
    store,
    order,
    wantsOther: opts.otherMethod === true,
  });
  if (step.kind === 'offer') {
    return {
      kind: 'saved_cards',
      payment,
      provider: { id: provider.id, displayName: provider.displayName },
      cards: step.cards,
      notice: step.notice,
      otherProviders: options.length > 1,
    };
  }
  const created = await provider.createCheckout({
    payment,
    order,
    store,
    returnUrl: `${deps.appUrl}/return/${payment.id}`,
    notificationUrl: `${deps.appUrl}/webhooks/${provider.id}/${payment.id}`,
    lang: payment.lang,
    ...(step.kind === 'save' ? { saveCardFor: { customerId: step.customerId } } : {}),
  });
  if (!created.ok) {
    log.warn({ kind: created.error.kind, reason: created.error.message }, 'provider checkout not created');
    const retryable = created.error.kind === 'unavailable' || created.error.kind === 'invalid_response';
    return { kind: 'provider_error', payment, message: created.error.message, retryable };
  }
  const recorded = await deps.db.transaction(async (tx) => {
    const row = await recordCheckout(tx, payment, {
      provider: provider.id,
      providerReference: created.providerReference,
      checkoutUrl: created.redirectUrl,
      providerSecretsSealed: created.providerSecrets
        ? deps.secrets.seal(JSON.stringify(created.providerSecrets))
        : null,
    });
    if (row)
      await recordEvent(tx, {
        paymentId,
        kind: 'checkout_opened',
        from: payment.state,
        to: 'checkout_open',
        source: provider.id,
      });
    return row;
  });
  if (!recorded) {
    // Someone else moved the payment meanwhile (another tab, a notification): start over from the stored state.
    const current = await findPayment(deps.db, paymentId);
    if (current?.state === 'checkout_open' && current.checkoutUrl)
      return { kind: 'redirect', url: current.checkoutUrl, payment: current };
    return current ? { kind: 'settled', payment: current } : { kind: 'not_found' };
  }
  if (step.kind === 'save') await rememberCardSaving(deps, payment.id, step.customerId);
  log.info({ cardSaving: step.kind === 'save' }, 'provider checkout opened');
  return { kind: 'redirect', url: created.redirectUrl, payment: recorded };
}
