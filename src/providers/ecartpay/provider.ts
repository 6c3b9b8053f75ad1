import type { Queryable } from '../../db';
import type { Logger } from '../../logger';
import { formatMajor, type Money } from '../../money';
import { firstReceipt, forgetReceipt } from '../../payments/webhookReceipts';
import { attemptByReference, inFlightAttempt, recordAttemptReference } from '../../savedCards/repository';
import type {
  CheckoutInput,
  CheckoutResult,
  NotificationInput,
  NotificationResult,
  PaymentProvider,
  ProviderCard,
  ProviderError,
  RefundInput,
  RefundResult,
  SavedCardChargeInput,
  SavedCardChargeResult,
  SavedCardsSupport,
  StatusInput,
  StatusResult,
  StoreContext,
} from '../types';
import { isEcartPayCurrency, toEcartAmount } from './amounts';
import {
  createEcartPayClient,
  type EcartCredentials,
  type EcartError,
  type EcartPayClient,
  type EcartResult,
} from './client';
import { buildCreateOrderBody, observeOrder, sameAmount } from './mapping';
import { CUSTOMER_ID_PATTERN, ORDER_ID_PATTERN, type EcartCard, type EcartOrder } from './schemas';
import { DEFAULT_SIGNATURE_TOLERANCE_MS, verifyEcartSignature } from './signature';

export const ECARTPAY_ID = 'ecartpay';

/** The environment defaults (ECARTPAY_*), plus what the provider needs from the app. */
export interface EcartPayProviderOptions {
  /** ECARTPAY_API_URL: `https://ecartpay.com/api` (production) or `https://sandbox.ecartpay.com/api`. */
  apiUrl: string;
  /** ECARTPAY_PUBLIC_KEY / ECARTPAY_PRIVATE_KEY: without both, the provider offers no currency. */
  publicKey?: string;
  privateKey?: string;
  /** API bases for stores' own settings, by their live environment (defaults: Ecart's hosts). */
  sandboxApiUrl?: string;
  productionApiUrl?: string;
  /** ECARTPAY_WEBHOOK_SECRET: when set, notifications must carry a valid `x-pay-signature`. */
  webhookSecret?: string;
  /** Where notification ids are remembered (replay refusal): the app's database. */
  db: Queryable;
  logger?: Logger;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Token reuse (default 55 min). */
  tokenTtlMs?: number;
  /** Time budget of a notification's re-fetch, token included (default 4 s: Ecart wants 2xx within 5 s). */
  notificationBudgetMs?: number;
  /** Largest distance between `x-pay-timestamp` and our clock (default 5 min). */
  signatureToleranceMs?: number;
  /** Clock (tests). */
  now?: () => number;
  /** A client to share (tests); one is created otherwise. */
  client?: EcartPayClient;
}

/** One store's Ecart Pay settings: keys, environment and webhook secret. */
export interface EcartPayStoreCredentials extends EcartCredentials {
  webhookSecret?: string;
}

export interface EcartPayProvider extends PaymentProvider {
  readonly id: typeof ECARTPAY_ID;
  /**
   * The Ecart Pay settings that apply to a store: today the environment defaults; the per-store
   * settings page will extend this. null when there are no keys.
   */
  credentialsFor(store: StoreContext): EcartPayStoreCredentials | null;
  readonly client: EcartPayClient;
  refund(input: RefundInput): Promise<RefundResult>;
  /** Saved cards: Ecart customers, their cards, card tokens and orders paid with them. */
  savedCards: SavedCardsSupport;
}

export const DEFAULT_NOTIFICATION_BUDGET_MS = 4_000;

/**
 * Ecart Pay (hosted pay link). Checkout creates an order with one line carrying the Ecwid total and
 * sends the shopper to its `pay_link`; notifications are verified (signature when a secret is set,
 * replay refusal) and then only the re-fetched order (`GET /orders/{id}`) is acted upon.
 */
export function createEcartPayProvider(options: EcartPayProviderOptions): EcartPayProvider {
  const now = options.now ?? Date.now;
  const log = options.logger?.child({ provider: ECARTPAY_ID });
  const client =
    options.client ??
    createEcartPayClient({
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.tokenTtlMs !== undefined ? { tokenTtlMs: options.tokenTtlMs } : {}),
      now,
      onTokenIssued: ({ reason }) => log?.info({ reason }, 'requesting an Ecart Pay API token'),
    });
  const budgetMs = options.notificationBudgetMs ?? DEFAULT_NOTIFICATION_BUDGET_MS;
  const toleranceMs = options.signatureToleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS;

  /** The store's own keys (its live environment) when it saved some, else the environment defaults. */
  function credentialsFor(store: StoreContext): EcartPayStoreCredentials | null {
    const own = store.providers?.[ECARTPAY_ID];
    if (own) {
      const c = own.credentials;
      if (!c?.publicKey || !c.privateKey) return null;
      const apiUrl =
        own.mode === 'production'
          ? (options.productionApiUrl ?? 'https://ecartpay.com/api')
          : (options.sandboxApiUrl ?? 'https://sandbox.ecartpay.com/api');
      return {
        apiUrl,
        publicKey: c.publicKey,
        privateKey: c.privateKey,
        ...(c.webhookSecret ? { webhookSecret: c.webhookSecret } : {}),
      };
    }
    const { apiUrl, publicKey, privateKey, webhookSecret } = options;
    if (!publicKey || !privateKey || !apiUrl) return null;
    return { apiUrl, publicKey, privateKey, ...(webhookSecret ? { webhookSecret } : {}) };
  }

  async function checkCredentials(
    store: StoreContext,
  ): Promise<{ ok: true } | { ok: false; error: ProviderError }> {
    const creds = credentialsFor(store);
    if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
    const verified = await client.verifyCredentials(creds);
    return verified.ok ? { ok: true } : { ok: false, error: providerError(verified.error) };
  }

  async function createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
    const creds = credentialsFor(input.store);
    if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
    const total = input.payment.total;
    if (!isEcartPayCurrency(total.currency))
      return fail('rejected', `Ecart Pay does not take ${total.currency}`);

    const body = buildCreateOrderBody({
      total,
      order: input.order,
      lang: input.lang,
      returnUrl: input.returnUrl,
      notificationUrl: input.notificationUrl,
    });
    // Saved cards: the hosted pay page of an order for the customer, where the card may be kept.
    if (input.saveCardFor && CUSTOMER_ID_PATTERN.test(input.saveCardFor.customerId)) {
      body.customer_id = input.saveCardFor.customerId;
    }
    const created = await client.createOrder(creds, body);
    if (!created.ok) return { ok: false, error: providerError(created.error) };
    const order = created.value;

    // Ecart computes the totals from the items: never send the shopper to a different amount.
    if (!sameAmount(order, total)) {
      return fail(
        'amount_mismatch',
        `Ecart Pay computed ${String(order.totals.total)} ${order.currency} for a payment of ${formatMoney(total)}; shopper not sent (order ${order.id})`,
      );
    }
    const payLink = order.pay_link;
    if (!payLink || !isHttpUrl(payLink)) {
      return fail('invalid_response', `Ecart Pay order ${order.id} has no usable pay_link`);
    }
    // The pay_link exactly as returned (its shape has changed over time).
    return { ok: true, redirectUrl: payLink, providerReference: order.id };
  }

  async function fetchStatus(input: StatusInput): Promise<StatusResult> {
    const creds = credentialsFor(input.store);
    if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
    const orderId = input.payment.providerReference;
    if (!orderId) return fail('invalid_response', 'payment has no Ecart Pay order');
    const fetched = await client.getOrder(creds, orderId);
    if (!fetched.ok) return { ok: false, error: providerError(fetched.error) };
    if (fetched.value.id !== orderId)
      return fail('invalid_response', 'Ecart Pay answered with another order');
    const observed = observeOrder(fetched.value);
    if (!observed.ok) return fail('invalid_response', observed.message);
    return { ok: true, observation: observed.observation };
  }

  async function parseNotification(input: NotificationInput): Promise<NotificationResult> {
    const deadline = now() + budgetMs;
    let body: unknown;
    try {
      body = JSON.parse(input.rawBody.toString('utf8'));
    } catch {
      return { kind: 'reject', status: 400, reason: 'body is not JSON' };
    }
    const orderId = readOrderId(body);
    if (!orderId) return { kind: 'reject', status: 400, reason: 'no order id in the notification' };

    const found = input.paymentId
      ? await input.lookup.byId(input.paymentId)
      : await input.lookup.byProviderReference(orderId);
    if (!found) {
      // A saved-card order declined at the checkout step (its payment went back to it): acknowledged.
      if (input.paymentId && (await attemptByReference(options.db, input.paymentId, orderId))) {
        return { kind: 'ignore', reason: 'saved-card order no longer its payment’s order' };
      }
      return { kind: 'reject', status: 404, reason: 'no Ecart Pay payment here' };
    }
    const creds = credentialsFor(found.store);
    // Our configuration, not the sender's fault: 5xx so Ecart tries again once it is fixed.
    if (!creds) return { kind: 'retry', reason: 'Ecart Pay has no API keys for this store' };

    let receipt: string | null = null;
    if (creds.webhookSecret) {
      const check = verifyEcartSignature({
        secret: creds.webhookSecret,
        headers: input.headers,
        data: (body as { data?: unknown }).data,
        now: now(),
        toleranceMs,
      });
      if (!check.ok) return { kind: 'reject', status: 401, reason: `signature refused (${check.reason})` };
      receipt = check.webhookId;
    }
    // A saved-card charge whose answer never came: the order is not recorded yet. It is adopted only
    // if Ecart's own copy shows it is this payment's charge (its customer, our notify URL for it).
    if (found.payment.providerReference === null && found.payment.state === 'checkout_open') {
      const adopted = await adoptSavedCardOrder(found.payment.id, orderId, creds, deadline);
      if (adopted === 'retry') return { kind: 'retry', reason: 'Ecart Pay order unavailable' };
      if (adopted === 'adopted') found.payment.providerReference = orderId;
    }
    // The notification must be about this payment's own order (a signed notification for another
    // order, replayed to this URL, is refused).
    if (found.payment.providerReference !== orderId) {
      return { kind: 'reject', status: 409, reason: 'the order is not this payment’s Ecart Pay order' };
    }
    if (receipt !== null && !(await firstReceipt(options.db, ECARTPAY_ID, receipt))) {
      // Already received (a duplicate delivery or a replay): acknowledged, nothing done, nothing fetched.
      return { kind: 'ignore', reason: 'webhook id already received' };
    }

    // Never the notification's word: the order as Ecart's API has it now.
    const fetched = await client.getOrder(creds, orderId, { deadline });
    const problem = !fetched.ok
      ? fetched.error.message
      : fetched.value.id !== orderId
        ? 'Ecart Pay answered with another order'
        : null;
    if (problem !== null || !fetched.ok) {
      if (receipt !== null) await forgetReceipt(options.db, ECARTPAY_ID, receipt);
      return { kind: 'retry', reason: problem ?? 'Ecart Pay order unavailable' };
    }
    const observed = observeOrder(fetched.value, receipt ?? undefined);
    if (
      observed.ok &&
      ['failed', 'cancelled', 'expired'].includes(observed.observation.status) &&
      (await attemptByReference(options.db, found.payment.id, orderId))
    ) {
      // A saved-card order that ended unpaid leaves the payment to the checkout step: the charge's
      // answer, the shopper's return, polls and the reconciler handle it (docs/saved-cards.md).
      return { kind: 'ignore', reason: 'declined saved-card order: handled at the checkout step' };
    }
    if (!observed.ok) {
      if (observed.reason === 'bad_amount') {
        if (receipt !== null) await forgetReceipt(options.db, ECARTPAY_ID, receipt);
        return { kind: 'retry', reason: observed.message };
      }
      return { kind: 'ignore', reason: observed.message };
    }
    return {
      kind: 'observation',
      paymentId: found.payment.id,
      observation: observed.observation,
      ...(receipt !== null ? { receipt } : {}),
    };
  }

  async function refund(input: RefundInput): Promise<RefundResult> {
    const creds = credentialsFor(input.store);
    if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
    const { payment, amount } = input;
    const orderId = payment.providerReference;
    if (!orderId) return fail('rejected', 'payment has no Ecart Pay order');
    const refundable = payment.total.amount - payment.refundedAmount;
    if (
      amount.currency !== payment.total.currency ||
      !Number.isSafeInteger(amount.amount) ||
      amount.amount <= 0
    ) {
      return fail('rejected', 'refund amount must be a positive amount in the payment currency');
    }
    if (amount.amount > refundable)
      return fail('rejected', 'refund amount is more than what is left to refund');

    // No idempotency key at Ecart: never retried here (a timeout leaves the outcome unknown).
    const refunded = await client.refundOrder(creds, orderId, {
      amount: toEcartAmount(amount),
      reason: 'requested',
    });
    if (!refunded.ok) {
      const error = providerError(refunded.error);
      if (refunded.error.kind === 'unavailable') {
        error.message +=
          ' (the refund may or may not have been made: check the Ecart Pay dashboard before trying again)';
      }
      return { ok: false, error };
    }
    const refundedAmount = payment.refundedAmount + amount.amount;
    const full = refundedAmount === payment.total.amount;
    const fetched = await client.getOrder(creds, orderId);
    if (fetched.ok && fetched.value.id === orderId) {
      const observed = observeOrder(fetched.value);
      if (
        observed.ok &&
        (observed.observation.status === 'refunded' || observed.observation.status === 'partially_refunded')
      ) {
        return { ok: true, observation: { ...observed.observation, refundedAmount } };
      }
    }
    // Ecart accepted the refund (2xx); its order may show it a moment later.
    return {
      ok: true,
      observation: {
        status: full ? 'refunded' : 'partially_refunded',
        amount: payment.total,
        externalTransactionId: orderId,
        refundedAmount,
      },
    };
  }

  // ---------------------------------------------------------------- saved cards

  const noSavedCards: ProviderError = {
    kind: 'misconfigured',
    message: 'this Ecart Pay client does not make saved-card calls',
  };

  /** Adopts an unrecorded saved-card order named by a notification, if Ecart shows it is this payment's. */
  async function adoptSavedCardOrder(
    paymentId: string,
    orderId: string,
    creds: EcartCredentials,
    deadline: number,
  ): Promise<'adopted' | 'not_ours' | 'retry'> {
    // Already recorded by the charge itself (the notification raced its answer): ours.
    if (await attemptByReference(options.db, paymentId, orderId)) return 'adopted';
    const attempt = await inFlightAttempt(options.db, paymentId);
    if (!attempt || attempt.provider !== ECARTPAY_ID || attempt.providerReference !== null) return 'not_ours';
    const fetched = await client.getOrder(creds, orderId, { deadline });
    if (!fetched.ok) return 'retry';
    const order = fetched.value;
    const ours =
      order.id === orderId &&
      order.customer_id === attempt.providerCustomerId &&
      typeof order.notify_url === 'string' &&
      order.notify_url.endsWith(`/webhooks/${ECARTPAY_ID}/${paymentId}`);
    if (!ours) return 'not_ours';
    const recorded = await recordAttemptReference(options.db, attempt, orderId);
    log?.info({ paymentId, recorded }, 'saved-card order with a lost answer found through its notification');
    // Not recorded here: the charge's own answer may have recorded it meanwhile.
    return recorded || (await attemptByReference(options.db, paymentId, orderId)) ? 'adopted' : 'not_ours';
  }

  const savedCards: SavedCardsSupport = {
    accountOf(store) {
      const creds = credentialsFor(store);
      return creds ? `${creds.apiUrl.replace(/\/+$/, '')}\n${creds.publicKey}` : null;
    },

    async createCustomer({ store, order, reference }) {
      const creds = credentialsFor(store);
      if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
      if (!client.createCustomer) return { ok: false, error: noSavedCards };
      const person = buildCreateOrderBody({
        total: { amount: 0, currency: 'MXN' },
        order,
        lang: 'es',
        returnUrl: 'https://unused.invalid',
        notificationUrl: 'https://unused.invalid',
      });
      const created = await client.createCustomer(creds, {
        ...(person.first_name ? { first_name: person.first_name } : {}),
        ...(person.last_name ? { last_name: person.last_name } : {}),
        ...(person.email ? { email: person.email } : {}),
        ...(person.phone ? { phone: person.phone } : {}),
        user_id: `ecwid-${reference.storeId}-${reference.ecwidCustomerId}`.slice(0, 100),
      });
      return created.ok
        ? { ok: true, value: { customerId: created.value.id } }
        : { ok: false, error: providerError(created.error) };
    },

    async listCards(store, customerId) {
      const creds = credentialsFor(store);
      if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
      if (!client.listCards) return { ok: false, error: noSavedCards };
      const listed = await client.listCards(creds, customerId);
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

    async cardVerification(store, customerId) {
      const creds = credentialsFor(store);
      if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
      if (!client.createCustomerSession) return { ok: false, error: noSavedCards };
      let origin: string;
      try {
        origin = new URL(creds.apiUrl).origin;
      } catch {
        return fail('misconfigured', 'Ecart Pay API URL is not a URL');
      }
      const session = await client.createCustomerSession(creds, customerId);
      if (!session.ok) {
        return {
          ok: false,
          error: providerError(session.error),
          ...(session.error.kind === 'not_found' ? { notFound: true } : {}),
        };
      }
      // Ecart's documented script is {host}/sdk/pay.js beside {host}/api (docs.ecartpay.com/docs/tokenization).
      const site = creds.apiUrl.replace(/\/+$/, '').replace(/\/api$/, '');
      return { ok: true, value: { sessionId: session.value, scriptUrl: `${site}/sdk/pay.js`, origin } };
    },

    async deleteCard(store, customerId, cardId) {
      const creds = credentialsFor(store);
      if (!creds) return fail('misconfigured', 'Ecart Pay has no API keys for this store');
      if (!client.deleteCard) return { ok: false, error: noSavedCards };
      const deleted = await client.deleteCard(creds, customerId, cardId);
      if (deleted.ok) return { ok: true, value: true };
      return {
        ok: false,
        error: providerError(deleted.error),
        ...(deleted.error.kind === 'not_found' ? { notFound: true } : {}),
      };
    },
  };

  /**
   * Customer → card → token → order: a single-use token of the saved card (no CVC from here), then an
   * order for the customer paid with it. Ecart has no idempotency key and creates and charges the
   * order in one call, so its id is recorded as soon as it is known; if the answer is lost, the
   * order's notification (to this payment's URL) finds it. Never sent twice.
   */
  async function chargeSavedCard(input: SavedCardChargeInput): Promise<SavedCardChargeResult> {
    const creds = credentialsFor(input.store);
    if (!creds)
      return {
        kind: 'not_charged',
        error: { kind: 'misconfigured', message: 'Ecart Pay has no API keys for this store' },
      };
    const createCardToken = client.createCardToken?.bind(client);
    if (!createCardToken) return { kind: 'not_charged', error: noSavedCards };
    const total = input.payment.total;
    if (!isEcartPayCurrency(total.currency)) {
      return {
        kind: 'not_charged',
        error: { kind: 'rejected', message: `Ecart Pay does not take ${total.currency}` },
      };
    }
    // A token made by Ecart's component (the card verified there), else one asked for here.
    const token: EcartResult<string> = input.cardToken
      ? { ok: true, value: input.cardToken }
      : await createCardToken(creds, input.cardId);
    if (!token.ok) {
      if (token.error.kind === 'not_found') return { kind: 'card_gone', message: token.error.message };
      // Ecart wants the card's security code, typed in its own component (never on our pages).
      if (token.error.kind === 'rejected' && /\b(cvc|cvv|cvv2|security code)\b/i.test(token.error.message))
        return { kind: 'verification_required' };
      return { kind: 'not_charged', error: providerError(token.error) };
    }
    const body = {
      ...buildCreateOrderBody({
        total,
        order: input.order,
        lang: input.lang,
        returnUrl: input.returnUrl,
        notificationUrl: input.notificationUrl,
      }),
      customer_id: input.customerId,
      token: token.value,
    };
    const created = await client.createOrder(creds, body);
    if (!created.ok) {
      const e = created.error;
      // A timeout or a 5xx may hide a charged order: its notification tells; never sent again.
      if (e.kind === 'unavailable' || e.kind === 'invalid_response')
        return { kind: 'unknown', error: providerError(e) };
      if (e.kind === 'not_found') return { kind: 'card_gone', message: e.message };
      return { kind: 'not_charged', error: providerError(e) };
    }
    const order = created.value;
    await input.record(order.id);
    return answerOf(order, creds, token.value, input.returnUrl);
  }

  async function answerOf(
    order: EcartOrder,
    creds: EcartCredentials,
    token: string,
    returnUrl: string,
  ): Promise<SavedCardChargeResult> {
    const observed = observeOrder(order);
    if (!observed.ok)
      return { kind: 'unknown', error: { kind: 'invalid_response', message: observed.message } };
    const observation = observed.observation;
    if (observation.status !== 'open') return { kind: 'answered', observation };
    // Not paid, not declined: the bank asks for 3-D Secure (Ecart's 3DS flow: enrollment, redirect).
    if (!client.createThreeDSecure) return { kind: 'unknown', error: noSavedCards };
    const enrolled = await client.createThreeDSecure(creds, {
      order_id: order.id,
      token,
      redirect_url: returnUrl,
    });
    if (!enrolled.ok || !isHttpUrl(enrolled.value.url)) {
      return {
        kind: 'not_charged',
        error: enrolled.ok
          ? { kind: 'invalid_response', message: 'Ecart Pay 3-D Secure enrollment without a usable url' }
          : providerError(enrolled.error),
      };
    }
    return { kind: 'answered', observation, actionUrl: enrolled.value.url };
  }

  return {
    id: ECARTPAY_ID,
    displayName: 'Ecart Pay',
    savedCards,
    client,
    credentialsFor,
    supportsCurrency: (currency, store) => credentialsFor(store) !== null && isEcartPayCurrency(currency),
    createCheckout,
    fetchStatus,
    parseNotification,
    refund,
    checkCredentials,
  };
}

/** An Ecart card as a saved card (display data only). */
function toProviderCard(card: EcartCard): ProviderCard | null {
  const last4 = (card.last4 ?? '').trim();
  if (!/^\d{4}$/.test(last4)) return null;
  const month = Number(card.exp_month);
  const year = Number(card.exp_year);
  return {
    id: card.id,
    brand: (card.brand ?? 'card').slice(0, 30),
    last4,
    expMonth: Number.isInteger(month) && month >= 1 && month <= 12 ? month : null,
    expYear: Number.isInteger(year) && year > 0 ? (year < 100 ? 2000 + year : year) : null,
  };
}

/** The order id, read defensively: `data.id`, else `id`, else `order_id`. */
export function readOrderId(body: unknown): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  const data = b.data && typeof b.data === 'object' ? (b.data as Record<string, unknown>) : {};
  for (const candidate of [data.id, b.id, b.order_id]) {
    const text =
      typeof candidate === 'number' && Number.isSafeInteger(candidate) ? String(candidate) : candidate;
    if (typeof text === 'string' && ORDER_ID_PATTERN.test(text)) return text;
  }
  return null;
}

function providerError(error: EcartError): ProviderError {
  switch (error.kind) {
    case 'unavailable':
      return { kind: 'unavailable', message: error.message };
    case 'unauthorized':
      return { kind: 'misconfigured', message: error.message };
    case 'invalid_response':
      return { kind: 'invalid_response', message: error.message };
    case 'not_found':
    case 'rejected':
      return { kind: 'rejected', message: error.message };
  }
}

function fail(kind: ProviderError['kind'], message: string): { ok: false; error: ProviderError } {
  return { ok: false, error: { kind, message } };
}

function formatMoney(money: Money): string {
  return `${formatMajor(money)} ${money.currency}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
