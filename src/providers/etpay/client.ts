import axios, { type AxiosInstance } from 'axios';
import type { z } from 'zod';
import {
  errorBodySchema,
  paymentStatusResponseSchema,
  sessionInitializeResponseSchema,
  type EtpayPayment,
  type PaymentStatusRequest,
  type SessionInitializeRequest,
  type SessionInitializeResponse,
} from './schemas';

export type EtpayErrorKind = 'unavailable' | 'rejected' | 'misconfigured' | 'invalid_response';

export interface EtpayError {
  kind: EtpayErrorKind;
  /** Plain words for logs and the merchant, with ETpay's own `message` when it sent one. Never a credential. */
  message: string;
  /** HTTP status ETpay answered, if it answered. */
  status?: number;
  /** ETpay's `message`, as sent (shortened, credentials removed). */
  etpayMessage?: string;
}

export type EtpayResult<T> = { ok: true; value: T } | { ok: false; error: EtpayError };

export interface EtpayClient {
  /** `POST /session/initialize`: never retried (ETpay has no idempotency key). */
  initializeSession(body: SessionInitializeRequest): Promise<EtpayResult<SessionInitializeResponse>>;
  /** `POST /merchant/check_payment_status`: every attempt ETpay knows for the key given (`[]` for none). */
  checkPaymentStatus(body: PaymentStatusRequest): Promise<EtpayResult<EtpayPayment[]>>;
}

export interface EtpayClientOptions {
  /** ETpay's `api_url` for the merchant's environment. */
  apiUrl: string;
  /** Timeout of session creation, ms. */
  timeoutMs?: number;
  /** Timeout of status checks, ms (a shopper's return waits on it). */
  statusTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_STATUS_TIMEOUT_MS = 5_000;
const MAX_MESSAGE = 300;

/**
 * A small typed client for ETpay's two server-to-server calls. Every HTTP answer is classified
 * (never thrown); network errors and timeouts become `unavailable`. Requests carry the merchant
 * API token in the body, so neither bodies nor axios errors are ever logged or returned.
 */
export function createEtpayClient(opts: EtpayClientOptions): EtpayClient {
  const http: AxiosInstance = axios.create({
    baseURL: opts.apiUrl.replace(/\/+$/, ''),
    // Every status is an answer to classify, not an exception.
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: 1_000_000,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  });

  async function post<S extends z.ZodType>(
    path: string,
    body: { merchant_api_token: string },
    schema: S,
    timeoutMs: number,
  ): Promise<EtpayResult<z.output<S>>> {
    const secret = body.merchant_api_token;
    let res;
    try {
      res = await http.post(path, body, { timeout: timeoutMs });
    } catch (error) {
      const code = axios.isAxiosError(error) ? error.code : undefined;
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      return {
        ok: false,
        error: {
          kind: 'unavailable',
          message: timedOut
            ? `ETpay did not answer ${path} within ${timeoutMs} ms`
            : `ETpay unreachable at ${path} (${code ?? 'network error'})`,
        },
      };
    }
    const etpayMessage = messageOf(res.data, secret);
    if (res.status < 200 || res.status >= 300) {
      return { ok: false, error: classify(path, res.status, etpayMessage) };
    }
    const parsed = schema.safeParse(res.data);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          kind: 'invalid_response',
          status: res.status,
          message: `ETpay answered ${path} with an unexpected body (${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
            .join('; ')})`,
        },
      };
    }
    return { ok: true, value: parsed.data };
  }

  return {
    initializeSession(body) {
      return post(
        '/session/initialize',
        body,
        sessionInitializeResponseSchema,
        opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      );
    },
    checkPaymentStatus(body) {
      return post(
        '/merchant/check_payment_status',
        body,
        paymentStatusResponseSchema,
        opts.statusTimeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS,
      );
    },
  };
}

function classify(path: string, status: number, etpayMessage: string | undefined): EtpayError {
  const said = etpayMessage ? `: ${etpayMessage}` : '';
  const base = { status, ...(etpayMessage ? { etpayMessage } : {}) };
  if (status === 401 || status === 403) {
    return {
      ...base,
      kind: 'misconfigured',
      message: `ETpay refused the merchant credentials at ${path} (HTTP ${status})${said}`,
    };
  }
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return { ...base, kind: 'unavailable', message: `ETpay answered ${path} with HTTP ${status}${said}` };
  }
  return { ...base, kind: 'rejected', message: `ETpay refused ${path} (HTTP ${status})${said}` };
}

/** ETpay's `message`, shortened, with the merchant API token cut out should ETpay ever echo it. */
function messageOf(data: unknown, secret: string): string | undefined {
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return undefined;
  const text = secret ? parsed.data.message.split(secret).join('[redacted]') : parsed.data.message;
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE) || undefined;
}
