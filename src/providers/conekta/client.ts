import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import {
  CONEKTA_ACCEPT,
  chargeAnswerSchema,
  customerSchema,
  errorSchema,
  orderSchema,
  paymentSourceListSchema,
  paymentSourceSchema,
  webhookListSchema,
  webhookSchema,
  type ConektaCustomer,
  type ConektaOrder,
  type ConektaPaymentSource,
  type ConektaWebhook,
  type CustomerRequest,
  type OrderRequest,
  type RefundRequest,
  type SavedCardChargeRequest,
  type SavedCardOrderRequest,
} from './schemas';

/**
 * A small typed client for the five Conekta calls the app makes. No SDK: the official one turns TLS
 * certificate checks off by default. Every status is an answer to classify (never an exception),
 * every call has a timeout, and only GETs are retried (once).
 */

export type ConektaErrorKind =
  /** Network error, timeout, 408/429/5xx: try again later. */
  | 'unavailable'
  /** 401: the private key is wrong or revoked. */
  | 'unauthorized'
  /** 404: no such object for this key (another account or environment). */
  | 'not_found'
  /** 400/402/403/422/428: Conekta refused the request; its message says why. */
  | 'rejected'
  /** A 2xx whose body is not what the API documents. */
  | 'invalid_response';

export interface ConektaApiError {
  kind: ConektaErrorKind;
  status?: number;
  /** Conekta's error `type`, e.g. `parameter_validation_error`. */
  type?: string;
  code?: string;
  param?: string;
  /** Conekta's request id: what its support asks for. */
  logId?: string;
  /** Conekta's own words (scrubbed), e.g. a decline reason the shopper may see. */
  detail?: string;
  /** For logs and the merchant: Conekta's own message and log_id, never a key or personal data. */
  message: string;
}

export type ConektaResult<T> = { ok: true; value: T } | { ok: false; error: ConektaApiError };

/** Who is calling (the store's private key) and in which language Conekta should word its errors. */
export interface ConektaCall {
  privateKey: string;
  lang?: 'es' | 'en';
}

export interface ConektaClient {
  createOrder(
    call: ConektaCall,
    body: OrderRequest | SavedCardOrderRequest,
  ): Promise<ConektaResult<ConektaOrder>>;
  getOrder(call: ConektaCall, orderId: string): Promise<ConektaResult<ConektaOrder>>;
  createRefund(call: ConektaCall, orderId: string, body: RefundRequest): Promise<ConektaResult<ConektaOrder>>;
  /** Webhooks registered for the key's environment (filtered by URL when given). */
  listWebhooks(call: ConektaCall, url?: string): Promise<ConektaResult<ConektaWebhook[]>>;
  createWebhook(call: ConektaCall, url: string): Promise<ConektaResult<ConektaWebhook>>;
  // Saved cards ("cargo bajo demanda"): customers and their payment sources. Optional so that a
  // client double written for hosted checkouts only still fits; the HTTP client has them all.
  createCustomer?(call: ConektaCall, body: CustomerRequest): Promise<ConektaResult<ConektaCustomer>>;
  listPaymentSources?(call: ConektaCall, customerId: string): Promise<ConektaResult<ConektaPaymentSource[]>>;
  deletePaymentSource?(
    call: ConektaCall,
    customerId: string,
    sourceId: string,
  ): Promise<ConektaResult<ConektaPaymentSource>>;
  /** `POST /orders/{id}/cancel`: an unpaid order can no longer be charged (Conekta refuses a paid one). */
  cancelOrder?(call: ConektaCall, orderId: string): Promise<ConektaResult<ConektaOrder>>;
  /** Charges an existing order (a customer's payment source). Never retried: re-fetch the order instead. */
  createCharge?(
    call: ConektaCall,
    orderId: string,
    body: SavedCardChargeRequest,
  ): Promise<ConektaResult<{ id: string; status?: string | null }>>;
}

export interface ConektaClientOptions {
  /** `https://api.conekta.io` in production; the simulator's URL in demo mode and tests. */
  apiUrl: string;
  timeoutMs?: number;
  /** Pause before the one retry of a GET that met a network error or a 5xx. */
  retryDelayMs?: number;
}

export const DEFAULT_CONEKTA_TIMEOUT_MS = 10_000;

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createConektaClient(opts: ConektaClientOptions): ConektaClient {
  const http: AxiosInstance = axios.create({
    baseURL: opts.apiUrl.replace(/\/+$/, ''),
    timeout: opts.timeoutMs ?? DEFAULT_CONEKTA_TIMEOUT_MS,
    validateStatus: () => true,
    maxRedirects: 0,
    // Parse the body ourselves: a proxy's HTML error page must not become an exception.
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
  });
  const retryDelayMs = opts.retryDelayMs ?? 200;

  async function send<T>(
    call: ConektaCall,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    params?: Record<string, string>,
  ): Promise<ConektaResult<T>> {
    const attempts = method === 'GET' ? 2 : 1;
    let last: ConektaResult<T> | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, retryDelayMs));
      last = await once(call, method, path, schema, body, params);
      if (last.ok || last.error.kind !== 'unavailable') return last;
    }
    return last!;
  }

  async function once<T>(
    call: ConektaCall,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: z.ZodType<T>,
    body: unknown,
    params: Record<string, string> | undefined,
  ): Promise<ConektaResult<T>> {
    let res: AxiosResponse<string>;
    try {
      res = await http.request<string>({
        method,
        url: path,
        ...(params ? { params } : {}),
        ...(body === undefined ? {} : { data: JSON.stringify(body) }),
        headers: {
          Authorization: `Bearer ${call.privateKey}`,
          Accept: CONEKTA_ACCEPT,
          'Accept-Language': call.lang ?? 'es',
          'Content-Type': 'application/json',
          'User-Agent': 'ecwid-latam-payments',
        },
      });
    } catch (error) {
      // Only the error code: an axios error carries the request headers (the private key).
      const code = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
      return fail({
        kind: 'unavailable',
        message: `Conekta unreachable (${code}) on ${method} ${route(path)}`,
      });
    }
    const json = parseJson(res.data);
    if (res.status >= 200 && res.status < 300) {
      const parsed = schema.safeParse(json);
      if (parsed.success) return { ok: true, value: parsed.data };
      return fail({
        kind: 'invalid_response',
        status: res.status,
        message: `Conekta answered ${res.status} to ${method} ${route(path)} with an unexpected body (${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ')})`,
      });
    }
    return fail(describeError(res.status, json, `${method} ${route(path)}`));
  }

  return {
    createOrder: (call, body) => send(call, 'POST', '/orders', orderSchema, body),
    getOrder: (call, orderId) => send(call, 'GET', `/orders/${encodeURIComponent(orderId)}`, orderSchema),
    createRefund: (call, orderId, body) =>
      send(call, 'POST', `/orders/${encodeURIComponent(orderId)}/refunds`, orderSchema, body),
    async listWebhooks(call, url) {
      const listed = await send(
        call,
        'GET',
        '/webhooks',
        webhookListSchema,
        undefined,
        url ? { url } : undefined,
      );
      if (!listed.ok) return listed;
      // The filter is applied here too, in case the API ignores the query parameter.
      return { ok: true, value: listed.value.data.filter((w) => url === undefined || w.url === url) };
    },
    createWebhook: (call, url) => send(call, 'POST', '/webhooks', webhookSchema, { url }),
    createCustomer: (call, body) => send(call, 'POST', '/customers', customerSchema, body),
    async listPaymentSources(call, customerId) {
      const listed = await send(
        call,
        'GET',
        `/customers/${encodeURIComponent(customerId)}/payment_sources`,
        paymentSourceListSchema,
      );
      return listed.ok ? { ok: true, value: listed.value.data } : listed;
    },
    deletePaymentSource: (call, customerId, sourceId) =>
      send(
        call,
        'DELETE',
        `/customers/${encodeURIComponent(customerId)}/payment_sources/${encodeURIComponent(sourceId)}`,
        paymentSourceSchema,
      ),
    cancelOrder: (call, orderId) =>
      send(call, 'POST', `/orders/${encodeURIComponent(orderId)}/cancel`, orderSchema, {}),
    createCharge: (call, orderId, body) =>
      send(call, 'POST', `/orders/${encodeURIComponent(orderId)}/charges`, chargeAnswerSchema, body),
  };
}

function fail(error: ConektaApiError): { ok: false; error: ConektaApiError } {
  return { ok: false, error };
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `/orders/ord_x/refunds` → `/orders/:id/refunds` (ids are fine in logs, but keep lines groupable). */
function route(path: string): string {
  return path.replace(/\/(ord|cus|src)_[A-Za-z0-9]+/g, '/:id');
}

/** Maps Conekta's error shape to a typed error that keeps its message and log_id. */
export function describeError(status: number, body: unknown, what: string): ConektaApiError {
  const parsed = errorSchema.safeParse(body);
  const data = parsed.success ? parsed.data : {};
  const detail = data.details?.find((d) => d.message || d.debug_message);
  const text = scrub(detail?.message ?? detail?.debug_message ?? '');
  const logId = data.log_id ?? undefined;
  const kind: ConektaErrorKind =
    status === 401
      ? 'unauthorized'
      : status === 404
        ? 'not_found'
        : RETRYABLE.has(status) || status >= 500
          ? 'unavailable'
          : 'rejected';
  const message =
    `Conekta answered ${status}${data.type ? ` ${data.type}` : ''} to ${what}` +
    `${text ? `: ${text.slice(0, 300)}` : ''}${logId ? ` (log_id ${logId})` : ''}` +
    (status === 401 ? ' (check the Conekta private key and its environment)' : '');
  return {
    kind,
    status,
    message,
    ...(data.type ? { type: data.type } : {}),
    ...(detail?.code ? { code: detail.code } : {}),
    ...(detail?.param ? { param: detail.param } : {}),
    ...(logId ? { logId } : {}),
    ...(text ? { detail: text.slice(0, 300) } : {}),
  };
}

/** Conekta's messages may quote what was sent: never let a key or an email through to a log. */
function scrub(text: string): string {
  return text
    .replace(/key_[A-Za-z0-9_-]+/g, 'key_[redacted]')
    .replace(/[^\s@"'<>]+@[^\s@"'<>]+\.[^\s@"'<>]+/g, '[email]')
    .replace(/\+?\d[\d\s-]{8,}\d/g, '[number]');
}
