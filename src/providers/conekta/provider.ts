import { z } from 'zod';
import type { Payment } from '../../payments/model';
import type {
  CheckoutResult,
  NotificationLookup,
  NotificationResult,
  PaymentProvider,
  ProviderCard,
  ProviderError,
  ProviderObservation,
  RefundResult,
  SavedCardChargeInput,
  SavedCardChargeResult,
  SavedCardsSupport,
  StatusResult,
  StoreContext,
} from '../types';
import {
  createConektaClient,
  type ConektaApiError,
  type ConektaClient,
  DEFAULT_CONEKTA_TIMEOUT_MS,
} from './client';
import {
  buildOrderRequest,
  buildSavedCardOrderRequest,
  checkOwnership,
  customerInfo,
  observeOrder,
  SAVED_CARD_MARKER,
} from './order';
import {
  CONEKTA_PAYMENT_METHODS,
  eventSchema,
  ORDER_EVENTS,
  ORDER_ID_PATTERN,
  ORDER_MARKER,
  CUSTOMER_ID_PATTERN,
  PAYMENT_SOURCE_ID_PATTERN,
  type ConektaEvent,
  type ConektaOrder,
  type ConektaPaymentMethod,
  type ConektaPaymentSource,
} from './schemas';

export const CONEKTA_PROVIDER_ID = 'conekta';

const UNPAID_ENDS = new Set<string>(['failed', 'cancelled', 'expired']);
export const CONEKTA_API_URL = 'https://api.conekta.io';
export const DEFAULT_ALLOWED_METHODS: readonly ConektaPaymentMethod[] = CONEKTA_PAYMENT_METHODS;
export const DEFAULT_CHECKOUT_LIFETIME_SECONDS = 24 * 60 * 60;
/** Bounds for the hosted checkout's lifetime (Conekta's own minimum is unconfirmed: see the docs). */
export const MIN_CHECKOUT_LIFETIME_SECONDS = 5 * 60;
export const MAX_CHECKOUT_LIFETIME_SECONDS = 30 * 24 * 60 * 60;

/** The environment defaults (CONEKTA_PRIVATE_KEY, CONEKTA_API_URL, …) the app is started with. */
export interface ConektaProviderOptions {
  /** Default `https://api.conekta.io`. */
  apiUrl?: string;
  /** The account's private API key (`key_…`) for stores without their own settings. */
  privateKey?: string;
  /**
   * Whether that key is a live (production) key. Conekta keys carry no test/live prefix, so the
   * app must be told; every order and event is checked against it. Default false (test mode).
   */
  livemode?: boolean;
  /** Methods the hosted checkout offers. Default card, cash (OXXO) and bank_transfer (SPEI). */
  allowedPaymentMethods?: readonly ConektaPaymentMethod[];
  /** How long the hosted checkout (and an OXXO/SPEI reference) stays payable. Default 1 day. */
  checkoutLifetimeSeconds?: number;
  /** Per-call timeout. Default 10 s. */
  timeoutMs?: number;
  /** Pause before the one retry of a failed GET. Default 200 ms. */
  retryDelayMs?: number;
  /** Sent when the Ecwid order has no usable email (Conekta requires one). */
  fallbackEmail?: string;
  /** Sent when the Ecwid order has no usable phone (Conekta requires one). */
  fallbackPhone?: string;
  /**
   * A notification about an order that carries this app's marker but is not recorded here is
   * answered 503 (Conekta retries: the checkout may be a moment from being recorded) while the
   * order is younger than this; older ones are acknowledged and dropped. Default 1 hour.
   */
  unknownOrderRetrySeconds?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** A client to use instead of the HTTP one (tests). */
  client?: ConektaClient;
}

/** What a store pays with: its own settings when it saved some, else the environment defaults. */
export interface ConektaCredentials {
  privateKey: string;
  livemode: boolean;
  allowedPaymentMethods: ConektaPaymentMethod[];
  checkoutLifetimeSeconds: number;
  source: 'store' | 'environment';
}

export interface ConektaProvider extends PaymentProvider {
  readonly id: 'conekta';
  /** The one place credentials are resolved; null when the store has none (provider not offered). */
  credentialsFor(store: StoreContext): ConektaCredentials | null;
  refund: NonNullable<PaymentProvider['refund']>;
  /** Registers `url` as the account's webhook unless it already is (`GET /webhooks?url=` first). */
  registerWebhook(
    store: StoreContext,
    url: string,
  ): Promise<{ ok: true; created: boolean } | { ok: false; error: ProviderError }>;
  /** A harmless authenticated call (`GET /webhooks`) to check the key. */
  checkCredentials(store: StoreContext): Promise<{ ok: true } | { ok: false; error: ProviderError }>;
  /** Saved cards: Conekta customers, payment sources and orders charged to them ("cargo bajo demanda"). */
  savedCards: SavedCardsSupport;
}

/**
 * The store's own Conekta settings as the settings page saves them (`StoreContext.providers.conekta`),
 * read defensively: a shape this code does not know means "no own settings".
 */
const storeSettingsSchema = z.object({
  mode: z.enum(['sandbox', 'production']),
  credentials: z
    .object({ privateKey: z.string().min(1) })
    .loose()
    .nullable(),
  options: z
    .object({
      allowedMethods: z.array(z.enum(CONEKTA_PAYMENT_METHODS)).min(1).optional().catch(undefined),
      checkoutLifetimeHours: z.number().int().min(1).max(720).optional().catch(undefined),
    })
    .loose()
    .default({}),
});

export function createConektaProvider(options: ConektaProviderOptions = {}): ConektaProvider {
  const client =
    options.client ??
    createConektaClient({
      apiUrl: options.apiUrl ?? CONEKTA_API_URL,
      timeoutMs: options.timeoutMs ?? DEFAULT_CONEKTA_TIMEOUT_MS,
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    });
  const now = options.now ?? Date.now;
  const defaultMethods = checkMethods(options.allowedPaymentMethods ?? DEFAULT_ALLOWED_METHODS);
  const defaultLifetime = checkLifetime(options.checkoutLifetimeSeconds ?? DEFAULT_CHECKOUT_LIFETIME_SECONDS);
  const fallbackEmail = options.fallbackEmail ?? 'sin-correo@example.com';
  const fallbackPhone = options.fallbackPhone ?? '5555555555';
  const unknownOrderRetrySeconds = options.unknownOrderRetrySeconds ?? 3600;

  function credentialsFor(store: StoreContext): ConektaCredentials | null {
    const own = (store as { providers?: Record<string, unknown> }).providers?.[CONEKTA_PROVIDER_ID];
    if (own !== undefined && own !== null) {
      const parsed = storeSettingsSchema.safeParse(own);
      if (!parsed.success || !parsed.data.credentials) return null;
      const o = parsed.data.options;
      return {
        privateKey: parsed.data.credentials.privateKey,
        livemode: parsed.data.mode === 'production',
        allowedPaymentMethods: o.allowedMethods ? [...new Set(o.allowedMethods)] : [...defaultMethods],
        checkoutLifetimeSeconds: o.checkoutLifetimeHours ? o.checkoutLifetimeHours * 3600 : defaultLifetime,
        source: 'store',
      };
    }
    if (!options.privateKey) return null;
    return {
      privateKey: options.privateKey,
      livemode: options.livemode ?? false,
      allowedPaymentMethods: [...defaultMethods],
      checkoutLifetimeSeconds: defaultLifetime,
      source: 'environment',
    };
  }

  const misconfigured: ProviderError = {
    kind: 'misconfigured',
    message: 'Conekta has no private key for this store (CONEKTA_PRIVATE_KEY or the store settings)',
  };

  // ---------------------------------------------------------------- saved cards

  const noSavedCards: ProviderError = {
    kind: 'misconfigured',
    message: 'this Conekta client does not make saved-card calls',
  };

  const savedCards: SavedCardsSupport = {
    accountOf(store) {
      const creds = credentialsFor(store);
      return creds ? `${creds.livemode ? 'live' : 'test'}\n${creds.privateKey}` : null;
    },

    async createCustomer({ store, order, lang, reference }) {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      const info = customerInfo(order, lang, fallbackEmail, fallbackPhone);
      if (!client.createCustomer) return { ok: false, error: noSavedCards };
      const created = await client.createCustomer(
        { privateKey: creds.privateKey, lang },
        {
          ...info,
          metadata: {
            integration: ORDER_MARKER,
            ecwid_store_id: String(reference.storeId),
            ecwid_customer_id: reference.ecwidCustomerId.slice(0, 100),
          },
        },
      );
      if (!created.ok) return { ok: false, error: providerError(created.error) };
      if (typeof created.value.livemode === 'boolean' && created.value.livemode !== creds.livemode) {
        return {
          ok: false,
          error: { kind: 'misconfigured', message: 'Conekta created the customer in the other mode' },
        };
      }
      return { ok: true, value: { customerId: created.value.id } };
    },

    async listCards(store, customerId) {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      if (!CUSTOMER_ID_PATTERN.test(customerId)) {
        return {
          ok: false,
          notFound: true,
          error: { kind: 'rejected', message: 'not a Conekta customer id' },
        };
      }
      if (!client.listPaymentSources) return { ok: false, error: noSavedCards };
      const listed = await client.listPaymentSources({ privateKey: creds.privateKey }, customerId);
      if (!listed.ok) {
        return {
          ok: false,
          error: providerError(listed.error),
          ...(listed.error.kind === 'not_found' ? { notFound: true } : {}),
        };
      }
      return {
        ok: true,
        value: listed.value.map(toProviderCard).filter((c): c is ProviderCard => c !== null),
      };
    },

    chargeCard: (input) => chargeSavedCard(input),

    releaseUncharged: (input) => releaseUncharged(input),

    async deleteCard(store, customerId, cardId) {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      if (!client.deletePaymentSource) return { ok: false, error: noSavedCards };
      const deleted = await client.deletePaymentSource({ privateKey: creds.privateKey }, customerId, cardId);
      if (deleted.ok) return { ok: true, value: true };
      return {
        ok: false,
        error: providerError(deleted.error),
        ...(deleted.error.kind === 'not_found' ? { notFound: true } : {}),
      };
    },
  };

  /**
   * "Cargo bajo demanda": an order for the customer (no checkout, no charge), recorded, then a charge
   * to the payment source. The outcome is always read back from the re-fetched order; a charge whose
   * answer was lost is never sent again.
   */
  async function chargeSavedCard(input: SavedCardChargeInput): Promise<SavedCardChargeResult> {
    const { payment, store } = input;
    const creds = credentialsFor(store);
    if (!creds) return { kind: 'not_charged', error: misconfigured };
    if (payment.total.currency !== 'MXN') {
      return {
        kind: 'not_charged',
        error: { kind: 'rejected', message: `Conekta charges MXN only, not ${payment.total.currency}` },
      };
    }
    if (!CUSTOMER_ID_PATTERN.test(input.customerId) || !PAYMENT_SOURCE_ID_PATTERN.test(input.cardId)) {
      return { kind: 'card_gone', message: 'not a Conekta customer or payment source id' };
    }
    const createCharge = client.createCharge?.bind(client);
    if (!createCharge) return { kind: 'not_charged', error: noSavedCards };
    const call = { privateKey: creds.privateKey, lang: input.lang };
    const created = await client.createOrder(
      call,
      buildSavedCardOrderRequest({
        payment,
        order: input.order,
        lang: input.lang,
        customerId: input.customerId,
        returnUrl: input.returnUrl,
      }),
    );
    // No charge was sent yet: whatever went wrong, nothing was charged.
    if (!created.ok) {
      if (created.error.kind === 'not_found' || created.error.param?.startsWith('customer')) {
        return { kind: 'card_gone', message: created.error.message };
      }
      return { kind: 'not_charged', error: providerError(created.error) };
    }
    const o = created.value;
    if (o.amount !== payment.total.amount || o.currency.toUpperCase() !== payment.total.currency) {
      return {
        kind: 'not_charged',
        error: {
          kind: 'amount_mismatch',
          message: `Conekta order ${o.id} is ${o.amount} ${o.currency}, payment is ${payment.total.amount} ${payment.total.currency}`,
        },
      };
    }
    const problem = checkOwnership(o, { ...payment, providerReference: o.id }, creds.livemode);
    if (problem) return { kind: 'not_charged', error: { kind: 'invalid_response', message: problem.reason } };

    await input.record(o.id);

    const charged = await createCharge(call, o.id, {
      payment_method: { type: 'card', payment_source_id: input.cardId },
    });
    if (!charged.ok) {
      const e = charged.error;
      if (e.kind === 'not_found' || (e.kind === 'rejected' && e.param?.includes('payment_source'))) {
        return { kind: 'card_gone', message: e.message };
      }
      if (e.kind === 'unauthorized' || (e.kind === 'rejected' && e.status !== 402)) {
        return { kind: 'not_charged', error: providerError(e) };
      }
      // 402 (declined), or unavailable/invalid: the order says what happened.
    }
    const fetched = await client.getOrder(call, o.id);
    if (!fetched.ok) {
      if (!charged.ok && charged.error.status === 402) {
        return {
          kind: 'answered',
          observation: {
            status: 'failed',
            amount: payment.total,
            message: charged.error.detail ?? 'Conekta declined the card',
          },
        };
      }
      return { kind: 'unknown', error: providerError(fetched.error) };
    }
    const check = checkOwnership(fetched.value, { ...payment, providerReference: o.id }, creds.livemode);
    if (check) return { kind: 'unknown', error: { kind: 'invalid_response', message: check.reason } };
    return answerOf(fetched.value, charged.ok ? null : charged.error);
  }

  /**
   * A saved-card order whose charge request never reached Conekta (it shows no charge): cancelled with
   * `POST /orders/{id}/cancel`, so no late charge can land on it, and released only once Conekta says
   * it is cancelled with no charge. A charge seen at any point is reported instead, never cancelled.
   */
  async function releaseUncharged(input: {
    store: StoreContext;
    payment: Payment;
    orderId: string;
    lang: 'es' | 'en';
  }): Promise<
    | { kind: 'released'; message: string }
    | { kind: 'charged'; observation: ProviderObservation }
    | { kind: 'kept'; reason: string }
  > {
    const creds = credentialsFor(input.store);
    if (!creds) return { kind: 'kept', reason: misconfigured.message };
    if (!client.cancelOrder) return { kind: 'kept', reason: noSavedCards.message };
    const call = { privateKey: creds.privateKey, lang: input.lang };
    const payment = { ...input.payment, providerReference: input.orderId };
    const read = async () => {
      const fetched = await client.getOrder(call, input.orderId);
      if (!fetched.ok) return { kind: 'kept' as const, reason: fetched.error.message };
      const problem = checkOwnership(fetched.value, payment, creds.livemode);
      if (problem) return { kind: 'kept' as const, reason: problem.reason };
      return { kind: 'order' as const, order: fetched.value };
    };
    const uncharged = (o: ConektaOrder) => (o.charges?.data ?? []).length === 0;

    const before = await read();
    if (before.kind === 'kept') return before;
    if (!uncharged(before.order)) return { kind: 'charged', observation: observeOrder(before.order) };
    if (before.order.payment_status !== 'canceled') {
      const cancelled = await client.cancelOrder(call, input.orderId);
      if (cancelled.ok && cancelled.value.id === input.orderId && uncharged(cancelled.value)) {
        if (cancelled.value.payment_status === 'canceled')
          return { kind: 'released', message: `Conekta order ${input.orderId} cancelled: never charged` };
      }
      // Refused (paid meanwhile?) or an unclear answer: only the order as Conekta has it now decides.
    }
    const after = await read();
    if (after.kind === 'kept') return after;
    if (!uncharged(after.order)) return { kind: 'charged', observation: observeOrder(after.order) };
    if (after.order.payment_status === 'canceled')
      return { kind: 'released', message: `Conekta order ${input.orderId} cancelled: never charged` };
    return { kind: 'kept', reason: `Conekta did not cancel order ${input.orderId}` };
  }

  function answerOf(order: ConektaOrder, chargeError: ConektaApiError | null): SavedCardChargeResult {
    const observation = observeOrder(order);
    const charges = order.charges?.data ?? [];
    if (observation.status === 'open') {
      const action = order.next_action?.redirect_to_url?.url;
      if (action && isHttpUrl(action)) return { kind: 'answered', observation, actionUrl: action };
      if (chargeError?.status === 402) {
        return {
          kind: 'answered',
          observation: {
            ...observation,
            status: 'failed',
            message: chargeError.detail ?? 'Conekta declined the card',
          },
        };
      }
      if (charges.length === 0 && chargeError) {
        // The charge's answer was lost and the order shows none (yet): never charged again from here.
        return { kind: 'unknown', error: providerError(chargeError) };
      }
    }
    return { kind: 'answered', observation };
  }

  const provider: ConektaProvider = {
    id: CONEKTA_PROVIDER_ID,
    displayName: 'Conekta',
    credentialsFor,
    savedCards,

    supportsCurrency(currency, store) {
      return currency === 'MXN' && credentialsFor(store) !== null;
    },

    async createCheckout({ payment, order, store, returnUrl, lang, saveCardFor }): Promise<CheckoutResult> {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      if (payment.total.currency !== 'MXN') {
        return {
          ok: false,
          error: { kind: 'rejected', message: `Conekta charges MXN only, not ${payment.total.currency}` },
        };
      }
      const body = buildOrderRequest({
        payment,
        order,
        lang,
        returnUrl,
        allowedPaymentMethods: creds.allowedPaymentMethods,
        expiresAt: Math.floor(now() / 1000) + creds.checkoutLifetimeSeconds,
        fallbackEmail,
        fallbackPhone,
        ...(saveCardFor && CUSTOMER_ID_PATTERN.test(saveCardFor.customerId)
          ? { customerId: saveCardFor.customerId }
          : {}),
      });
      const created = await client.createOrder({ privateKey: creds.privateKey, lang }, body);
      if (!created.ok) return { ok: false, error: providerError(created.error) };
      const o = created.value;
      // Check the answer before anyone is sent to pay it.
      if (o.amount !== payment.total.amount || o.currency.toUpperCase() !== payment.total.currency) {
        return {
          ok: false,
          error: {
            kind: 'amount_mismatch',
            message: `Conekta order ${o.id} is ${o.amount} ${o.currency}, payment is ${payment.total.amount} ${payment.total.currency}`,
          },
        };
      }
      const problem = checkOwnership(o, { ...payment, providerReference: o.id }, creds.livemode);
      if (problem) {
        return {
          ok: false,
          error: {
            kind: problem.status === 422 ? 'misconfigured' : 'invalid_response',
            message: `${problem.reason} (order ${o.id})`,
          },
        };
      }
      const url = o.checkout?.url;
      if (!url || !isHttpUrl(url)) {
        return {
          ok: false,
          error: { kind: 'invalid_response', message: `Conekta order ${o.id} came without a checkout URL` },
        };
      }
      return { ok: true, redirectUrl: url, providerReference: o.id };
    },

    async fetchStatus({ payment, store }): Promise<StatusResult> {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      if (!payment.providerReference) {
        return { ok: false, error: { kind: 'invalid_response', message: 'payment has no Conekta order' } };
      }
      const fetched = await client.getOrder(
        { privateKey: creds.privateKey, lang: payment.lang },
        payment.providerReference,
      );
      if (!fetched.ok) return { ok: false, error: providerError(fetched.error) };
      const problem = checkOwnership(fetched.value, payment, creds.livemode);
      if (problem) return { ok: false, error: { kind: 'invalid_response', message: problem.reason } };
      return { ok: true, observation: observeOrder(fetched.value) };
    },

    async parseNotification({ rawBody, lookup }): Promise<NotificationResult> {
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return { kind: 'reject', status: 400, reason: 'body is not JSON' };
      }
      const parsed = eventSchema.safeParse(json);
      if (!parsed.success) return { kind: 'reject', status: 400, reason: 'not a Conekta event' };
      const event = parsed.data;
      if (event.type === 'webhook_ping') return { kind: 'ignore', reason: 'webhook_ping' };
      if (!ORDER_EVENTS.has(event.type)) return { kind: 'ignore', reason: `event ${event.type} not used` };
      const orderId = event.data?.object?.id;
      if (!orderId || !ORDER_ID_PATTERN.test(orderId)) {
        return { kind: 'reject', status: 400, reason: `${event.type} without an order id` };
      }

      let found: Awaited<ReturnType<NotificationLookup['byProviderReference']>>;
      try {
        found = await lookup.byProviderReference(orderId);
      } catch (error) {
        return { kind: 'retry', reason: `payment lookup failed: ${errorText(error)}` };
      }
      if (!found) return unknownOrder(event, orderId, lookup);

      const { payment, store } = found;
      const creds = credentialsFor(store);
      if (!creds) return { kind: 'retry', reason: `no Conekta credentials for store ${payment.storeId}` };
      if (typeof event.livemode === 'boolean' && event.livemode !== creds.livemode) {
        return {
          kind: 'reject',
          status: 422,
          reason: `${event.livemode ? 'live' : 'test'}-mode event for a store in ${creds.livemode ? 'live' : 'test'} mode`,
        };
      }
      // Fetch, don't trust: only Conekta's own answer to this store's key decides.
      const fetched = await client.getOrder({ privateKey: creds.privateKey, lang: payment.lang }, orderId);
      if (!fetched.ok) return { kind: 'retry', reason: `order not re-fetched: ${fetched.error.message}` };
      const problem = checkOwnership(fetched.value, payment, creds.livemode);
      if (problem) return { kind: 'reject', status: problem.status, reason: problem.reason };
      const observation = observeOrder(fetched.value, event.id);
      if (UNPAID_ENDS.has(observation.status) && fetched.value.metadata?.[SAVED_CARD_MARKER] === 'true') {
        // A saved-card order that ended unpaid (declined, 3-D Secure failed, cancelled by the app once
        // it was known never charged) leaves the payment to the checkout step: the charge's answer, the
        // shopper's return, polls and the reconciler handle it (docs/saved-cards.md).
        return {
          kind: 'ignore',
          reason: `saved-card order ${orderId} declined: handled at the checkout step`,
        };
      }
      return { kind: 'observation', paymentId: payment.id, observation };
    },

    async refund({ payment, store, amount }): Promise<RefundResult> {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      if (!payment.providerReference) {
        return { ok: false, error: { kind: 'invalid_response', message: 'payment has no Conekta order' } };
      }
      if (
        amount.currency !== payment.total.currency ||
        !Number.isSafeInteger(amount.amount) ||
        amount.amount <= 0
      ) {
        return {
          ok: false,
          error: { kind: 'rejected', message: 'refund amount must be positive, in the payment currency' },
        };
      }
      const call = { privateKey: creds.privateKey, lang: payment.lang };
      const refunded = await client.createRefund(call, payment.providerReference, {
        amount: amount.amount,
        reason: 'requested_by_client',
      });
      if (!refunded.ok) return { ok: false, error: providerError(refunded.error) };
      // The refund's answer is an order too, but the observation comes from a fresh read.
      const fetched = await client.getOrder(call, payment.providerReference);
      if (!fetched.ok) return { ok: false, error: providerError(fetched.error) };
      const problem = checkOwnership(fetched.value, payment, creds.livemode);
      if (problem) return { ok: false, error: { kind: 'invalid_response', message: problem.reason } };
      return { ok: true, observation: observeOrder(fetched.value) };
    },

    async registerWebhook(store, url) {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      const call = { privateKey: creds.privateKey };
      const listed = await client.listWebhooks(call, url);
      if (!listed.ok) return { ok: false, error: providerError(listed.error) };
      if (listed.value.length > 0) return { ok: true, created: false };
      const created = await client.createWebhook(call, url);
      if (!created.ok) return { ok: false, error: providerError(created.error) };
      return { ok: true, created: true };
    },

    async checkCredentials(store) {
      const creds = credentialsFor(store);
      if (!creds) return { ok: false, error: misconfigured };
      const listed = await client.listWebhooks({ privateKey: creds.privateKey });
      return listed.ok ? { ok: true } : { ok: false, error: providerError(listed.error) };
    },
  };

  /**
   * An order event for an order not recorded here. Not ours (no marker) → acknowledged. Ours but
   * unknown: the checkout may be a moment from being recorded (the notification raced the redirect),
   * so 503 and Conekta sends it again — unless it belongs to a payment that has another order, or is
   * too old to be in that race. Nothing in the payload changes a payment either way.
   */
  async function unknownOrder(
    event: ConektaEvent,
    orderId: string,
    lookup: NotificationLookup,
  ): Promise<NotificationResult> {
    const object = event.data?.object;
    const meta = object?.metadata ?? {};
    if (meta.integration !== ORDER_MARKER)
      return { kind: 'ignore', reason: `order ${orderId} was not created by this app` };
    if (meta[SAVED_CARD_MARKER] === 'true') {
      // Saved-card orders are recorded before they are charged: one unknown here was declined (or never
      // charged) and its payment went back to the checkout step.
      return { kind: 'ignore', reason: `saved-card order ${orderId} is no longer its payment's order` };
    }
    const createdAt = object?.created_at ?? event.created_at;
    if (typeof createdAt === 'number' && now() / 1000 - createdAt > unknownOrderRetrySeconds) {
      return {
        kind: 'ignore',
        reason: `order ${orderId} of this app is not recorded here and is too old to be in flight`,
      };
    }
    if (typeof meta.payment_id === 'string' && meta.payment_id.length <= 64) {
      let named: Awaited<ReturnType<NotificationLookup['byId']>>;
      try {
        named = await lookup.byId(meta.payment_id);
      } catch (error) {
        return { kind: 'retry', reason: `payment lookup failed: ${errorText(error)}` };
      }
      if (named?.payment.providerReference && named.payment.providerReference !== orderId) {
        return {
          kind: 'ignore',
          reason: `order ${orderId} is not the Conekta order of the payment it names`,
        };
      }
    }
    return { kind: 'retry', reason: `order ${orderId} carries this app's marker but is not recorded yet` };
  }

  return provider;
}

/** A Conekta payment source as a saved card (cards only; inactive ones are left out). */
function toProviderCard(source: ConektaPaymentSource): ProviderCard | null {
  if ((source.type ?? 'card') !== 'card') return null;
  if (source.payment_source_status && source.payment_source_status !== 'active') return null;
  const last4 = (source.last4 ?? '').trim();
  if (!/^\d{4}$/.test(last4) || !PAYMENT_SOURCE_ID_PATTERN.test(source.id)) return null;
  const month = Number(source.exp_month);
  const year = Number(source.exp_year);
  return {
    id: source.id,
    brand: (source.brand ?? 'card').slice(0, 30),
    last4,
    expMonth: Number.isInteger(month) && month >= 1 && month <= 12 ? month : null,
    expYear: Number.isInteger(year) && year > 0 ? (year < 100 ? 2000 + year : year) : null,
  };
}

function providerError(e: ConektaApiError): ProviderError {
  const kind: ProviderError['kind'] =
    e.kind === 'unauthorized'
      ? 'misconfigured'
      : e.kind === 'unavailable'
        ? 'unavailable'
        : e.kind === 'invalid_response'
          ? 'invalid_response'
          : 'rejected';
  return { kind, message: e.message };
}

function checkMethods(methods: readonly ConektaPaymentMethod[]): ConektaPaymentMethod[] {
  const unique = [...new Set(methods)];
  if (unique.length === 0 || unique.some((m) => !CONEKTA_PAYMENT_METHODS.includes(m))) {
    throw new RangeError(
      `Conekta allowedPaymentMethods must be a non-empty subset of ${CONEKTA_PAYMENT_METHODS.join(', ')}`,
    );
  }
  return unique;
}

function checkLifetime(seconds: number): number {
  if (
    !Number.isInteger(seconds) ||
    seconds < MIN_CHECKOUT_LIFETIME_SECONDS ||
    seconds > MAX_CHECKOUT_LIFETIME_SECONDS
  ) {
    throw new RangeError(
      `Conekta checkoutLifetimeSeconds must be an integer between ${MIN_CHECKOUT_LIFETIME_SECONDS} and ${MAX_CHECKOUT_LIFETIME_SECONDS}`,
    );
  }
  return seconds;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}
