import type { IncomingHttpHeaders } from 'node:http';
import type { OrderDetails } from '../ecwid/paymentRequest';
import type { Money } from '../money';
import type { Payment } from '../payments/model';

/**
 * What a payment provider (ETpay, Conekta, Ecart Pay) must do for the app. Every method answers
 * with a typed result; none throws for an expected failure (a decline, a timeout, a bad key).
 */
export interface PaymentProvider {
  readonly id: string;
  /** Human name for the chooser page. */
  readonly displayName: string;
  /** Whether this provider, as configured for the store, can charge this currency. */
  supportsCurrency(currency: string, store: StoreContext): boolean;
  /** Creates the hosted checkout (session/order) the shopper is sent to. */
  createCheckout(input: CheckoutInput): Promise<CheckoutResult>;
  /** Asks the provider for the payment's current status (returns, reconciliation). */
  fetchStatus(input: StatusInput): Promise<StatusResult>;
  /** Verifies a notification and says what it means. Only a verified answer may change a payment. */
  parseNotification(input: NotificationInput): Promise<NotificationResult>;
  refund?(input: RefundInput): Promise<RefundResult>;
  /** A harmless authenticated call with the store's credentials (settings page "check credentials"). */
  checkCredentials?(store: StoreContext): Promise<{ ok: true } | { ok: false; error: ProviderError }>;
  /** Registers the account-wide notification URL at the provider, without duplicates (Conekta). */
  registerWebhook?(
    store: StoreContext,
    url: string,
  ): Promise<{ ok: true; created: boolean } | { ok: false; error: ProviderError }>;
  /** Saved cards for returning shoppers (providers that keep customers and cards: Conekta, Ecart Pay). */
  savedCards?: SavedCardsSupport;
}

export interface StoreContext {
  storeId: number;
  /** The store's raw saved settings (secrets still sealed); undefined → environment defaults. */
  settings?: Record<string, unknown>;
  /**
   * The store's own settings per provider, secrets unsealed, for the active mode. A provider with an
   * entry here uses it (credentials null = incomplete → not offered); without one, the env defaults.
   */
  providers?: Partial<Record<string, StoreProviderSettings>>;
}

export interface StoreProviderSettings {
  mode: 'sandbox' | 'production';
  /** Field name → value (e.g. merchantCode, merchantApiToken); null when a required one is missing. */
  credentials: Record<string, string> | null;
  /** Currencies the merchant enabled this provider for (empty = every currency it supports). */
  currencies: string[];
  /** Provider options (e.g. Conekta allowedMethods, checkoutLifetimeHours). */
  options: Record<string, unknown>;
}

export interface CheckoutInput {
  payment: Payment;
  order: OrderDetails;
  store: StoreContext;
  /** `{APP_URL}/return/:paymentId`: where the provider sends the shopper back. */
  returnUrl: string;
  /** `{APP_URL}/webhooks/{provider}/:paymentId` (providers with per-payment notification URLs). */
  notificationUrl: string;
  lang: 'es' | 'en';
  /**
   * Saved cards: the provider customer the hosted checkout is for, with card saving on. The card is
   * entered on the provider's page only; it is read back from the provider once the payment is paid.
   */
  saveCardFor?: { customerId: string };
}

export type CheckoutResult =
  | {
      ok: true;
      redirectUrl: string;
      /** The provider's id for this checkout (session token, order id); stored with the payment. */
      providerReference: string;
      /** Secrets the provider needs later (e.g. ETpay's signature_token); sealed at rest. */
      providerSecrets?: Record<string, string>;
    }
  | { ok: false; error: ProviderError };

export interface ProviderError {
  kind: 'unavailable' | 'rejected' | 'misconfigured' | 'invalid_response' | 'amount_mismatch';
  /** Plain words for logs and the merchant; never a credential. */
  message: string;
}

/**
 * What a provider says about a payment, already verified. `status: 'open'` means nothing has
 * happened yet. The amount is what the provider holds for the payment, checked against ours.
 */
export interface ProviderObservation {
  status:
    'open' | 'pending' | 'paid' | 'failed' | 'expired' | 'cancelled' | 'refunded' | 'partially_refunded';
  amount: Money;
  /** The provider's payment/charge id, sent to Ecwid as externalTransactionId. */
  externalTransactionId?: string;
  /** Total refunded so far, in minor units (refund states). */
  refundedAmount?: number;
  /** Why it failed, for the merchant (Ecwid paymentMessage). */
  message?: string;
  /** Identifies this attempt or event at the provider, for idempotency and the audit trail. */
  eventKey?: string;
}

export interface StatusInput {
  payment: Payment;
  providerSecrets: Record<string, string>;
  store: StoreContext;
  /** Query of the shopper's return (a hint at most: it can never make a payment paid). */
  returnQuery?: Record<string, unknown>;
}

export type StatusResult =
  { ok: true; observation: ProviderObservation } | { ok: false; error: ProviderError };

export interface NotificationInput {
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Path parameter of per-payment notification URLs. */
  paymentId?: string;
  lookup: NotificationLookup;
}

/** How a provider finds the payment a notification is about (to get its keys) without trusting it. */
export interface NotificationLookup {
  byId(
    paymentId: string,
  ): Promise<{ payment: Payment; providerSecrets: Record<string, string>; store: StoreContext } | null>;
  byProviderReference(
    reference: string,
  ): Promise<{ payment: Payment; providerSecrets: Record<string, string>; store: StoreContext } | null>;
}

export type NotificationResult =
  /** Verified: apply this observation to this payment. */
  | {
      kind: 'observation';
      paymentId: string;
      observation: ProviderObservation;
      /** A webhook id recorded as received (replay refusal): forgotten again if applying fails. */
      receipt?: string;
    }
  /** Authentic or harmless but nothing to do (ping, an order that is not ours): 200. */
  | { kind: 'ignore'; reason: string }
  /** Forged, malformed or mismatched: refused with this 4xx, nothing changed. */
  | { kind: 'reject'; status: 400 | 401 | 403 | 404 | 409 | 422; reason: string }
  /** Could not be processed now (provider down): 5xx so the provider sends it again. */
  | { kind: 'retry'; reason: string };

export interface RefundInput {
  payment: Payment;
  providerSecrets: Record<string, string>;
  store: StoreContext;
  amount: Money;
}

export type RefundResult =
  { ok: true; observation: ProviderObservation } | { ok: false; error: ProviderError };

export type ProviderRegistry = ReadonlyMap<string, PaymentProvider>;

/** A card kept at the provider for a customer, as the provider describes it (display data only). */
export interface ProviderCard {
  /** The provider's id for it (Conekta payment source `src_…`, Ecart Pay card id). */
  id: string;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
}

export interface SavedCardChargeInput {
  payment: Payment;
  order: OrderDetails;
  store: StoreContext;
  /** The provider's customer and card ids. */
  customerId: string;
  cardId: string;
  /** `{APP_URL}/return/:paymentId`: where a 3-D Secure challenge sends the shopper back. */
  returnUrl: string;
  notificationUrl: string;
  lang: 'es' | 'en';
  /**
   * Records the provider's order id as soon as the provider has created it, before its answer is
   * acted upon (Conekta: before the card is even charged). When it throws, nothing more is done.
   */
  record(providerReference: string): Promise<void>;
  /**
   * A single-use card token the provider's own browser component made after the shopper verified the
   * card there (e.g. typed its security code on the provider's origin). Only the token reaches us.
   */
  cardToken?: string;
}

export type SavedCardChargeResult =
  /**
   * The provider answered (only after `record`): paid, declined (`failed`), or still open. With
   * `actionUrl`, the shopper must authenticate there first (3-D Secure); the return is re-fetched.
   */
  | { kind: 'answered'; observation: ProviderObservation; actionUrl?: string }
  /** The card is no longer at the provider: nothing was charged. */
  | { kind: 'card_gone'; message: string }
  /** Refused or failed before any charge was made: nothing was charged. */
  | { kind: 'not_charged'; error: ProviderError }
  /** The charge was sent but its outcome is unknown (timeout, 5xx): re-fetching decides, never a retry. */
  | { kind: 'unknown'; error: ProviderError }
  /**
   * Nothing was charged: the provider wants the shopper to verify the card in its own component first
   * (Ecart: the security code); `cardVerification` starts it.
   */
  | { kind: 'verification_required' };

export type SavedCardsResult<T> =
  { ok: true; value: T } | { ok: false; error: ProviderError; notFound?: boolean };

/** What a provider offers for saved cards (customer → card → charge). No card data ever passes here. */
export interface SavedCardsSupport {
  /**
   * The provider account and environment the store uses (e.g. a key and its mode): cards saved under
   * another are not offered. May contain a secret: the app keeps only an HMAC of it. null: no keys.
   */
  accountOf(store: StoreContext): string | null;
  /** Creates the provider customer for a logged-in shopper (name, email, phone from the order). */
  createCustomer(input: {
    store: StoreContext;
    order: OrderDetails;
    lang: 'es' | 'en';
    /** A stable, non-secret reference of the shopper (store and Ecwid customer id), kept as metadata. */
    reference: { storeId: number; ecwidCustomerId: string };
  }): Promise<SavedCardsResult<{ customerId: string }>>;
  /** The customer's cards as the provider has them now (`notFound`: the customer is gone). */
  listCards(store: StoreContext, customerId: string): Promise<SavedCardsResult<ProviderCard[]>>;
  /** Charges a saved card for the payment (see SavedCardChargeInput.record). Never retried. */
  chargeCard(input: SavedCardChargeInput): Promise<SavedCardChargeResult>;
  /** Deletes the card at the provider (`notFound`: already gone). */
  deleteCard(store: StoreContext, customerId: string, cardId: string): Promise<SavedCardsResult<true>>;
  /**
   * For a charge whose outcome stayed unknown long after it was sent, and whose recorded order shows
   * no charge: makes sure it never will (cancels the order at the provider) so the payment can be
   * released. `released`: the order can no longer be charged and never was. `charged`: the provider
   * shows a charge after all (apply this observation instead). `kept`: not now (unreachable, refused).
   * Optional: a provider whose order id may be unknown (Ecart) cannot offer it.
   */
  cardVerification?(
    store: StoreContext,
    customerId: string,
  ): Promise<
    SavedCardsResult<{
      /** Starts the provider's component in the shopper's browser (never logged). */
      sessionId: string;
      /** The provider's script, and its origin (the only third party the page's CSP allows). */
      scriptUrl: string;
      origin: string;
    }>
  >;
  releaseUncharged?(input: {
    store: StoreContext;
    payment: Payment;
    orderId: string;
    lang: 'es' | 'en';
  }): Promise<
    | { kind: 'released'; message: string }
    | { kind: 'charged'; observation: ProviderObservation }
    | { kind: 'kept'; reason: string }
  >;
}
