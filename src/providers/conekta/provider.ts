import { z } from 'zod';
import type {
  CheckoutResult,
  NotificationLookup,
  NotificationResult,
  PaymentProvider,
  ProviderError,
  RefundResult,
  StatusResult,
  StoreContext,
} from '../types';
import {
  createConektaClient,
  type ConektaApiError,
  type ConektaClient,
  DEFAULT_CONEKTA_TIMEOUT_MS,
} from './client';
import { buildOrderRequest, checkOwnership, observeOrder } from './order';
import {
  CONEKTA_PAYMENT_METHODS,
  eventSchema,
  ORDER_EVENTS,
  ORDER_ID_PATTERN,
  ORDER_MARKER,
  type ConektaEvent,
  type ConektaPaymentMethod,
} from './schemas';

export const CONEKTA_PROVIDER_ID = 'conekta';
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

  const provider: ConektaProvider = {
    id: CONEKTA_PROVIDER_ID,
    displayName: 'Conekta',
    credentialsFor,

    supportsCurrency(currency, store) {
      return currency === 'MXN' && credentialsFor(store) !== null;
    },

    async createCheckout({ payment, order, store, returnUrl, lang }): Promise<CheckoutResult> {
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
      return {
        kind: 'observation',
        paymentId: payment.id,
        observation: observeOrder(fetched.value, event.id),
      };
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
