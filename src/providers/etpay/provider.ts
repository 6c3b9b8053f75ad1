import type {
  CheckoutInput,
  CheckoutResult,
  PaymentProvider,
  ProviderError,
  StatusInput,
  StatusResult,
  StoreContext,
} from '../types';
import { toEtpayAmount } from './amount';
import { createEtpayClient, type EtpayClient, type EtpayError } from './client';
import { parseEtpayNotification } from './notification';
import { merchantOrderIdFor } from './orderId';
import type { EtpayMetadataEntry, SessionInitializeRequest } from './schemas';
import { sessionOf, sessionSecrets } from './session';
import { summarizeAttempts } from './status';

export const ETPAY_PROVIDER_ID = 'etpay';

/** Query parameter added to the cancellation URL, so the return can tell it from the completion. */
export const RETURN_HINT_PARAM = 'etpay';

/** The environment defaults (ETPAY_* variables): what a single-merchant deployment needs. */
export interface EtpayProviderOptions {
  /** ETPAY_MERCHANT_CODE, e.g. `cl_mitienda` (`mx_…` for Mexican accounts). */
  merchantCode?: string;
  /** ETPAY_MERCHANT_API_TOKEN (secret). */
  merchantApiToken?: string;
  /** ETPAY_API_URL, e.g. `https://api-sandbox.etpay.com`. */
  apiUrl?: string;
  /** ETPAY_PMT_URL, the funnel host, e.g. `https://pmt-sandbox.etpay.com`. */
  pmtUrl?: string;
  /** Session creation timeout, ms (default 10 000). */
  timeoutMs?: number;
  /** Status check timeout, ms (default 5 000): the shopper's return waits on it. */
  statusTimeoutMs?: number;
  /** Currencies the account takes; by default from the merchant code (`mx_` → MXN, otherwise CLP). */
  currencies?: string[];
}

/** Everything needed to talk to ETpay for one merchant account. */
export interface EtpayCredentials {
  merchantCode: string;
  merchantApiToken: string;
  apiUrl: string;
  pmtUrl: string;
  currencies: readonly string[];
}

export interface EtpayProvider extends PaymentProvider {
  /** The merchant account used for this store (environment defaults until per-store settings exist). */
  credentialsFor(store: StoreContext): EtpayCredentials | null;
}

/** Currencies an ETpay account takes: MXN for `mx_…` merchants, CLP otherwise (`cl_…`). */
export function currenciesForMerchant(merchantCode: string): string[] {
  return merchantCode.toLowerCase().startsWith('mx_') ? ['MXN'] : ['CLP'];
}

/**
 * ETpay (pay by bank transfer, Chile and Mexico): a session per payment attempt, the shopper sent
 * to ETpay's funnel, a per-payment JWT notification verified with the session's signature_token,
 * and `check_payment_status` for returns and reconciliation.
 */
export function createEtpayProvider(options: EtpayProviderOptions): EtpayProvider {
  const clients = new Map<string, EtpayClient>();
  const clientFor = (apiUrl: string): EtpayClient => {
    let client = clients.get(apiUrl);
    if (!client) {
      client = createEtpayClient({
        apiUrl,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.statusTimeoutMs !== undefined ? { statusTimeoutMs: options.statusTimeoutMs } : {}),
      });
      clients.set(apiUrl, client);
    }
    return client;
  };

  /**
   * The one place that decides which ETpay account a store uses: the store's own settings (its live
   * environment) when it saved some, else the environment defaults.
   */
  function credentialsFor(store: StoreContext): EtpayCredentials | null {
    const own = store.providers?.[ETPAY_PROVIDER_ID];
    const source = own
      ? (own.credentials ?? {})
      : {
          merchantCode: options.merchantCode,
          merchantApiToken: options.merchantApiToken,
          apiUrl: options.apiUrl,
          pmtUrl: options.pmtUrl,
        };
    const { merchantCode, merchantApiToken, apiUrl, pmtUrl } = source as Partial<Record<string, string>>;
    if (!merchantCode || !merchantApiToken || !apiUrl || !pmtUrl) return null;
    return {
      merchantCode,
      merchantApiToken,
      apiUrl: apiUrl.replace(/\/+$/, ''),
      pmtUrl: pmtUrl.replace(/\/+$/, ''),
      currencies: own
        ? currenciesForMerchant(merchantCode)
        : (options.currencies ?? currenciesForMerchant(merchantCode)),
    };
  }

  /** A harmless authenticated call: the status of a session that does not exist (`[]` when the code and token are good). */
  async function checkCredentials(
    store: StoreContext,
  ): Promise<{ ok: true } | { ok: false; error: ProviderError }> {
    const creds = credentialsFor(store);
    if (!creds)
      return { ok: false, error: { kind: 'misconfigured', message: 'ETpay credentials are incomplete' } };
    const answer = await clientFor(creds.apiUrl).checkPaymentStatus({
      merchant_code: creds.merchantCode,
      merchant_api_token: creds.merchantApiToken,
      session_token: 'credentials-check',
    });
    return answer.ok
      ? { ok: true }
      : { ok: false, error: { kind: answer.error.kind, message: answer.error.message } };
  }

  async function createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
    const { payment, order, store } = input;
    const creds = credentialsFor(store);
    if (!creds) return failure('misconfigured', 'ETpay is not configured for this store');
    if (!creds.currencies.includes(payment.total.currency)) {
      return failure('rejected', `this ETpay account does not take ${payment.total.currency}`);
    }
    const amount = toEtpayAmount(payment.total);
    if (!amount.ok) return failure('rejected', amount.reason);

    const merchantOrderId = merchantOrderIdFor(payment.ecwidOrderId, payment.attempt);
    const body: SessionInitializeRequest = {
      merchant_code: creds.merchantCode,
      merchant_api_token: creds.merchantApiToken,
      merchant_order_id: merchantOrderId,
      order_amount: amount.amount,
      ...(order.email && isEmail(order.email) ? { customer_email: order.email } : {}),
      metadata: metadataFor(payment.ecwidOrderId, input.lang),
      payment_webhook_url: input.notificationUrl,
      // Both return URLs carry a query, so `concat: "&"` is right for each of them.
      payment_completed_url: withHint(input.returnUrl, 'completed'),
      payment_cancellation_url: withHint(input.returnUrl, 'cancelled'),
      concat: '&',
    };
    const created = await clientFor(creds.apiUrl).initializeSession(body);
    if (!created.ok) return { ok: false, error: providerError(created.error) };
    const session = {
      sessionToken: created.value.token,
      signatureToken: created.value.signature_token,
      merchantOrderId,
    };
    return {
      ok: true,
      redirectUrl: `${creds.pmtUrl}/session/${encodeURIComponent(session.sessionToken)}`,
      providerReference: session.sessionToken,
      providerSecrets: sessionSecrets(session),
    };
  }

  async function fetchStatus(input: StatusInput): Promise<StatusResult> {
    const { payment } = input;
    const creds = credentialsFor(input.store);
    if (!creds) return failure('misconfigured', 'ETpay is not configured for this store');
    const session = sessionOf(payment, input.providerSecrets);
    if (!session) return failure('invalid_response', 'the payment has no ETpay session');

    const answer = await clientFor(creds.apiUrl).checkPaymentStatus({
      merchant_code: creds.merchantCode,
      merchant_api_token: creds.merchantApiToken,
      session_token: session.sessionToken,
    });
    if (!answer.ok) return { ok: false, error: providerError(answer.error) };
    // Only this session's attempts count, whatever else ETpay sends back.
    const ours = answer.value.filter((a) =>
      a.session_token !== undefined
        ? a.session_token === session.sessionToken
        : a.merchant_order_id === session.merchantOrderId,
    );
    const summary = summarizeAttempts(ours, payment.total, cancelledHint(input.returnQuery));
    if (!summary.ok) return failure('invalid_response', summary.reason);
    return { ok: true, observation: summary.observation };
  }

  return {
    id: ETPAY_PROVIDER_ID,
    displayName: 'ETpay',
    supportsCurrency(currency, store) {
      const creds = credentialsFor(store);
      return creds !== null && creds.currencies.includes(currency);
    },
    createCheckout,
    fetchStatus,
    parseNotification: parseEtpayNotification,
    checkCredentials,
    credentialsFor,
  };
}

function failure(kind: ProviderError['kind'], message: string): { ok: false; error: ProviderError } {
  return { ok: false, error: { kind, message } };
}

function providerError(error: EtpayError): ProviderError {
  return { kind: error.kind, message: error.message };
}

function withHint(returnUrl: string, hint: 'completed' | 'cancelled'): string {
  const url = new URL(returnUrl);
  url.searchParams.set(RETURN_HINT_PARAM, hint);
  return url.toString();
}

/**
 * Whether the shopper came back through the cancellation URL. Tolerates ETpay appending its `jwt`
 * with `?` despite `concat` (`etpay=cancelled?jwt=…`). A hint only: it can never make a payment paid.
 */
export function cancelledHint(query: Record<string, unknown> | undefined): boolean {
  const value = query?.[RETURN_HINT_PARAM];
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => typeof v === 'string' && /^cancell?ed(\?|$)/.test(v));
}

function metadataFor(ecwidOrderId: string, lang: 'es' | 'en'): EtpayMetadataEntry[] {
  return [{ name: lang === 'en' ? 'Order' : 'Pedido', value: ecwidOrderId.slice(0, 200), show: true }];
}

function isEmail(value: string): boolean {
  return value.length <= 320 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}
