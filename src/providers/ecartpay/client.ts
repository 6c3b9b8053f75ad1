import { createHash } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import {
  cardListSchema,
  cardTokenSchema,
  customerSchema,
  sessionSchema,
  errorBodySchema,
  orderSchema,
  threeDsSchema,
  tokenResponseSchema,
  type CreateCustomerBody,
  type CreateOrderBody,
  type EcartCard,
  type EcartOrder,
  type RefundBody,
} from './schemas';

/** One merchant's keys for one environment (sandbox and production have separate pairs). */
export interface EcartCredentials {
  /** e.g. `https://sandbox.ecartpay.com/api` or `https://ecartpay.com/api` (no trailing slash needed). */
  apiUrl: string;
  publicKey: string;
  privateKey: string;
}

export type EcartErrorKind =
  /** Network error, timeout, 408/425/429/5xx: try again later. */
  | 'unavailable'
  /** The keys were refused (token endpoint 400/401/403, or 401/403 again after a fresh token). */
  | 'unauthorized'
  | 'not_found'
  /** Another 4xx: Ecart refused the request as sent. */
  | 'rejected'
  /** A 2xx whose body is not what Ecart documents. */
  | 'invalid_response';

export interface EcartError {
  kind: EcartErrorKind;
  status?: number;
  /** Plain words for logs and the merchant; never a key or token. */
  message: string;
}

export type EcartResult<T> = { ok: true; value: T } | { ok: false; error: EcartError };

export interface CallOptions {
  /** Absolute time (ms since epoch) by which the whole call, token included, must be done. */
  deadline?: number;
}

export interface EcartPayClient {
  createOrder(
    creds: EcartCredentials,
    body: CreateOrderBody,
    opts?: CallOptions,
  ): Promise<EcartResult<EcartOrder>>;
  getOrder(creds: EcartCredentials, orderId: string, opts?: CallOptions): Promise<EcartResult<EcartOrder>>;
  /** Ecart's refund answer is not documented in detail: any 2xx is success (re-fetch the order after). */
  refundOrder(
    creds: EcartCredentials,
    orderId: string,
    body: RefundBody,
    opts?: CallOptions,
  ): Promise<EcartResult<unknown>>;
  /** Asks for a fresh token: proves the key pair works (settings page "check credentials"). */
  verifyCredentials(creds: EcartCredentials, opts?: CallOptions): Promise<EcartResult<true>>;
  /** Drops every cached token (key rotation, tests). */
  forgetTokens(): void;
  // Saved cards (customer → card → token → order). Optional: a client double for hosted checkouts
  // only still fits; the HTTP client has them all.
  createCustomer?(
    creds: EcartCredentials,
    body: CreateCustomerBody,
    opts?: CallOptions,
  ): Promise<EcartResult<{ id: string }>>;
  listCards?(
    creds: EcartCredentials,
    customerId: string,
    opts?: CallOptions,
  ): Promise<EcartResult<EcartCard[]>>;
  deleteCard?(
    creds: EcartCredentials,
    customerId: string,
    cardId: string,
    opts?: CallOptions,
  ): Promise<EcartResult<unknown>>;
  /** `POST /tokens {id}`: a single-use token of a saved card (no CVC from here: Ecart's page asks). */
  createCardToken?(creds: EcartCredentials, cardId: string, opts?: CallOptions): Promise<EcartResult<string>>;
  /** `POST /customers/{id}/session`: the session id that starts Ecart's browser component (pay.js). */
  createCustomerSession?(
    creds: EcartCredentials,
    customerId: string,
    opts?: CallOptions,
  ): Promise<EcartResult<string>>;
  /** `POST /three-d-secure`: the 3-D Secure enrollment of an order paid with a card token. */
  createThreeDSecure?(
    creds: EcartCredentials,
    body: { order_id: string; token: string; redirect_url: string },
    opts?: CallOptions,
  ): Promise<EcartResult<{ url: string }>>;
}

export interface EcartPayClientOptions {
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** How long a token is reused (default 55 min; Ecart's tokens live 1 hour). */
  tokenTtlMs?: number;
  /** Clock for the token cache (tests). */
  now?: () => number;
  /** Told when a token is fetched, for an info log (never receives the token). */
  onTokenIssued?: (info: { reason: 'missing' | 'expired' | 'rejected' }) => void;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOKEN_TTL_MS = 55 * 60_000;
const MAX_BODY_BYTES = 1024 * 1024;
const RETRYABLE = new Set([408, 425, 429]);

type Sent =
  | { kind: 'http'; status: number; data: unknown }
  | { kind: 'network'; message: string }
  | { kind: 'deadline' };

/**
 * A small typed client for Ecart Pay's REST API. Tokens (`POST /authorizations/token`, Basic
 * `public:private`) are cached per merchant (API URL + public key) for about 55 minutes, fetched by
 * one request at a time, and replaced once when a call answers 401. Later calls send the token raw
 * in `Authorization` (no `Bearer`). Every status is classified into a typed result; nothing throws.
 */
export function createEcartPayClient(options: EcartPayClientOptions = {}): EcartPayClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tokenTtlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
  const now = options.now ?? Date.now;
  const http: AxiosInstance = axios.create({
    timeout: timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: MAX_BODY_BYTES,
    maxBodyLength: MAX_BODY_BYTES,
    headers: { Accept: 'application/json' },
  });
  const cache = new Map<string, { token: string; expiresAt: number }>();
  const inflight = new Map<string, Promise<EcartResult<string>>>();

  // The private key is part of the key: a public key alone (it is public) must never reach another
  // merchant's cached token, and a corrected private key must not keep using the old token.
  const cacheKey = (c: EcartCredentials) =>
    `${base(c.apiUrl)}\n${c.publicKey}\n${createHash('sha256').update(c.privateKey).digest('base64url')}`;

  async function send(
    creds: EcartCredentials,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string>,
    body: unknown,
    opts: CallOptions,
  ): Promise<Sent> {
    const remaining = opts.deadline === undefined ? timeoutMs : opts.deadline - now();
    if (remaining <= 0) return { kind: 'deadline' };
    try {
      const res = await http.request({
        method,
        url: `${base(creds.apiUrl)}${path}`,
        headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { data: body }),
        timeout: Math.max(1, Math.min(timeoutMs, remaining)),
      });
      return { kind: 'http', status: res.status, data: res.data as unknown };
    } catch (error) {
      // Only the code: an axios error carries the request headers (the token, the Basic keys).
      const code = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      return {
        kind: 'network',
        message: timedOut ? 'Ecart Pay did not answer in time' : `Ecart Pay unreachable (${code})`,
      };
    }
  }

  async function fetchToken(creds: EcartCredentials, opts: CallOptions): Promise<EcartResult<string>> {
    const basic = Buffer.from(`${creds.publicKey}:${creds.privateKey}`, 'utf8').toString('base64');
    const sent = await send(
      creds,
      'POST',
      '/authorizations/token',
      { Authorization: `Basic ${basic}` },
      undefined,
      opts,
    );
    if (sent.kind !== 'http') return failure(sent);
    if (sent.status === 400 || sent.status === 401 || sent.status === 403) {
      return {
        ok: false,
        error: {
          kind: 'unauthorized',
          status: sent.status,
          message: `Ecart Pay refused the API keys (${sent.status}${detail(sent.data, creds)}): check ECARTPAY_PUBLIC_KEY/ECARTPAY_PRIVATE_KEY and the environment (sandbox or production)`,
        },
      };
    }
    if (sent.status < 200 || sent.status >= 300) return classifyError(sent.status, sent.data, creds);
    const parsed = tokenResponseSchema.safeParse(sent.data);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          kind: 'invalid_response',
          status: sent.status,
          message: 'Ecart Pay token answer without a token',
        },
      };
    }
    const token = parsed.data.token;
    const at = now();
    const expiresAt = at + Math.min(tokenTtlMs, usableLifetime(token, at));
    if (expiresAt > at) cache.set(cacheKey(creds), { token, expiresAt });
    return { ok: true, value: token };
  }

  /** The cached token, or a new one (one request per merchant at a time). `stale`: the token a 401 refused. */
  async function token(
    creds: EcartCredentials,
    opts: CallOptions & { stale?: string },
  ): Promise<EcartResult<string>> {
    const key = cacheKey(creds);
    const cached = cache.get(key);
    let reason: 'missing' | 'expired' | 'rejected' = 'missing';
    if (cached && opts.stale !== undefined && cached.token === opts.stale) {
      cache.delete(key);
      reason = 'rejected';
    } else if (cached && cached.expiresAt > now()) {
      return { ok: true, value: cached.token };
    } else if (cached) {
      cache.delete(key);
      reason = 'expired';
    } else if (opts.stale !== undefined) {
      reason = 'rejected';
    }
    let flight = inflight.get(key);
    if (!flight) {
      options.onTokenIssued?.({ reason });
      flight = fetchToken(creds, opts).finally(() => inflight.delete(key));
      inflight.set(key, flight);
    }
    return withDeadline(flight, opts.deadline, now);
  }

  async function call<T>(
    creds: EcartCredentials,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    parse: (data: unknown) => T | null,
    opts: CallOptions,
  ): Promise<EcartResult<T>> {
    const first = await token(creds, opts);
    if (!first.ok) return first;
    let used = first.value;
    let sent = await send(creds, method, path, { Authorization: used }, body, opts);
    if (sent.kind === 'http' && sent.status === 401) {
      // Expired or revoked before our cache said so: one new token, one retry (a 401 created nothing).
      const fresh = await token(creds, { ...opts, stale: used });
      if (!fresh.ok) return fresh;
      used = fresh.value;
      sent = await send(creds, method, path, { Authorization: used }, body, opts);
    }
    if (sent.kind !== 'http') return failure(sent);
    if (sent.status < 200 || sent.status >= 300) return classifyError(sent.status, sent.data, creds, used);
    const value = parse(sent.data);
    if (value === null) {
      return {
        ok: false,
        error: {
          kind: 'invalid_response',
          status: sent.status,
          message: `Ecart Pay answered ${method} ${pathOnly(path)} with an unexpected body`,
        },
      };
    }
    return { ok: true, value };
  }

  const parseOrder = (data: unknown): EcartOrder | null => {
    const parsed = orderSchema.safeParse(data);
    return parsed.success ? parsed.data : null;
  };

  return {
    createOrder: (creds, body, opts = {}) => call(creds, 'POST', '/orders', body, parseOrder, opts),
    getOrder: (creds, orderId, opts = {}) =>
      call(creds, 'GET', `/orders/${encodeURIComponent(orderId)}`, undefined, parseOrder, opts),
    refundOrder: (creds, orderId, body, opts = {}) =>
      call(creds, 'POST', `/orders/${encodeURIComponent(orderId)}/refund`, body, (data) => data ?? {}, opts),
    verifyCredentials: async (creds, opts = {}) => {
      const fresh = await fetchToken(creds, opts);
      return fresh.ok ? { ok: true, value: true } : fresh;
    },
    forgetTokens: () => cache.clear(),
    createCustomer: (creds, body, opts = {}) =>
      call(creds, 'POST', '/customers', body, (data) => parsed(customerSchema, data), opts),
    listCards: (creds, customerId, opts = {}) =>
      call(
        creds,
        'GET',
        `/customers/${encodeURIComponent(customerId)}/cards`,
        undefined,
        (data) => parsed(cardListSchema, data),
        opts,
      ),
    deleteCard: (creds, customerId, cardId, opts = {}) =>
      call(
        creds,
        'DELETE',
        `/customers/${encodeURIComponent(customerId)}/cards/${encodeURIComponent(cardId)}`,
        undefined,
        (data) => data ?? {},
        opts,
      ),
    createCardToken: (creds, cardId, opts = {}) =>
      call(
        creds,
        'POST',
        '/tokens',
        { id: cardId },
        (data) => parsed(cardTokenSchema, data)?.token ?? null,
        opts,
      ),
    createCustomerSession: (creds, customerId, opts = {}) =>
      call(
        creds,
        'POST',
        `/customers/${encodeURIComponent(customerId)}/session`,
        undefined,
        (data) => {
          // The answer's shape is not documented: `id`, `session_id` or `session` are accepted.
          const d = parsed(sessionSchema, data);
          const id = d?.id ?? d?.session_id ?? d?.session ?? null;
          return typeof id === 'string' && /^[A-Za-z0-9_.-]{8,500}$/.test(id) ? id : null;
        },
        opts,
      ),
    createThreeDSecure: (creds, body, opts = {}) =>
      call(creds, 'POST', '/three-d-secure', body, (data) => parsed(threeDsSchema, data), opts),
  };
}

function base(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '');
}

function pathOnly(path: string): string {
  return path
    .replace(/\/orders\/[^/]+/, '/orders/{id}')
    .replace(/\/customers\/[^/]+/, '/customers/{id}')
    .replace(/\/cards\/[^/]+/, '/cards/{id}');
}

function parsed<T>(
  schema: { safeParse(data: unknown): { success: true; data: T } | { success: false } },
  data: unknown,
): T | null {
  const result = schema.safeParse(data);
  return result.success ? result.data : null;
}

function failure(sent: Exclude<Sent, { kind: 'http' }>): { ok: false; error: EcartError } {
  return {
    ok: false,
    error: {
      kind: 'unavailable',
      message: sent.kind === 'deadline' ? 'Ecart Pay call not attempted: time budget spent' : sent.message,
    },
  };
}

function classifyError(
  status: number,
  data: unknown,
  creds: EcartCredentials,
  token?: string,
): { ok: false; error: EcartError } {
  const text = `Ecart Pay answered ${status}${detail(data, creds, token)}`;
  if (status === 401 || status === 403)
    return {
      ok: false,
      error: { kind: 'unauthorized', status, message: `${text} (the API keys or token were refused)` },
    };
  if (status === 404) return { ok: false, error: { kind: 'not_found', status, message: text } };
  if (RETRYABLE.has(status) || status >= 500)
    return { ok: false, error: { kind: 'unavailable', status, message: text } };
  return { ok: false, error: { kind: 'rejected', status, message: text } };
}

/** Ecart's `{message, statusCode}` (or `error`), short, with anything secret scrubbed out. */
function detail(data: unknown, creds: EcartCredentials, token?: string): string {
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return '';
  const raw = Array.isArray(parsed.data.message)
    ? parsed.data.message.join('; ')
    : (parsed.data.message ?? parsed.data.error);
  if (!raw) return '';
  let text = raw.slice(0, 300);
  for (const secret of [creds.privateKey, creds.publicKey, token]) {
    if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  return `: ${text.replace(/[\r\n]+/g, ' ')}`;
}

/**
 * How long a token can be used, read from its JWT `exp` (a hint, not verified: Ecart checks it),
 * minus a margin; unlimited when it is not a readable JWT (the TTL then decides).
 */
export function usableLifetime(token: string, at: number): number {
  const payload = token.split('.')[1];
  if (!payload) return Number.POSITIVE_INFINITY;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return Number.POSITIVE_INFINITY;
    const lifetime = exp * 1000 - at;
    return lifetime - Math.min(60_000, Math.max(0, lifetime) / 10);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

async function withDeadline<T>(
  promise: Promise<EcartResult<T>>,
  deadline: number | undefined,
  now: () => number,
): Promise<EcartResult<T>> {
  if (deadline === undefined) return promise;
  const remaining = deadline - now();
  if (remaining <= 0) return failure({ kind: 'deadline' });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<EcartResult<T>>((resolve) => {
    timer = setTimeout(
      () => resolve(failure({ kind: 'network', message: 'Ecart Pay did not answer in time' })),
      remaining,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
