import type { Queryable } from '../../db';
import type { Logger } from '../../logger';
import { formatMajor, type Money } from '../../money';
import { firstReceipt, forgetReceipt } from '../../payments/webhookReceipts';
import type {
  CheckoutInput,
  CheckoutResult,
  NotificationInput,
  NotificationResult,
  PaymentProvider,
  ProviderError,
  RefundInput,
  RefundResult,
  StatusInput,
  StatusResult,
  StoreContext,
} from '../types';
import { isEcartPayCurrency, toEcartAmount } from './amounts';
import { createEcartPayClient, type EcartCredentials, type EcartError, type EcartPayClient } from './client';
import { buildCreateOrderBody, observeOrder, sameAmount } from './mapping';
import { ORDER_ID_PATTERN } from './schemas';
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
    if (!found) return { kind: 'reject', status: 404, reason: 'no Ecart Pay payment here' };
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

  return {
    id: ECARTPAY_ID,
    displayName: 'Ecart Pay',
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
