import axios, { type AxiosInstance } from 'axios';
import type { EcwidPaymentStatus } from '../payments/model';

export interface EcwidOrderUpdate {
  paymentStatus: EcwidPaymentStatus;
  externalTransactionId?: string;
  paymentMessage?: string;
}

export type EcwidUpdateResult =
  | { ok: true }
  /** 408/429/5xx/network: try again later (retryAfterMs from Ecwid's Retry-After when it sent one). */
  | { ok: false; retryable: true; status?: number; retryAfterMs?: number; message: string }
  /** 400/402/403/404/409: retrying will not help; the merchant must act (e.g. 403 = token revoked). */
  | { ok: false; retryable: false; status: number; message: string };

export interface EcwidClient {
  updateOrder(
    storeId: number,
    referenceTransactionId: string,
    token: string,
    update: EcwidOrderUpdate,
    opts?: { timeoutMs?: number },
  ): Promise<EcwidUpdateResult>;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createEcwidClient(apiUrl: string, defaultTimeoutMs = 10_000): EcwidClient {
  const http: AxiosInstance = axios.create({
    baseURL: apiUrl,
    timeout: defaultTimeoutMs,
    // Every status is an answer to classify, not an exception.
    validateStatus: () => true,
    maxRedirects: 0,
  });
  return {
    async updateOrder(storeId, referenceTransactionId, token, update, opts = {}) {
      try {
        const res = await http.put(
          `/${encodeURIComponent(storeId)}/orders/${encodeURIComponent(referenceTransactionId)}`,
          update,
          {
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
          },
        );
        if (res.status >= 200 && res.status < 300) return { ok: true };
        const message = describeError(res.status, res.data);
        if (RETRYABLE.has(res.status) || res.status >= 500) {
          return {
            ok: false,
            retryable: true,
            status: res.status,
            retryAfterMs: parseRetryAfter(res.headers['retry-after']),
            message,
          };
        }
        return { ok: false, retryable: false, status: res.status, message };
      } catch (error) {
        const code = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
        return { ok: false, retryable: true, message: `Ecwid unreachable (${code})` };
      }
    },
  };
}

function describeError(status: number, body: unknown): string {
  const data = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const detail = [data.errorCode, data.errorMessage].filter((v) => typeof v === 'string').join(': ');
  const hint =
    status === 403
      ? ' (the store token is invalid or revoked: the app may have been uninstalled)'
      : status === 402
        ? ' (the store plan does not allow API access)'
        : '';
  return `Ecwid answered ${status}${detail ? ` ${detail.slice(0, 300)}` : ''}${hint}`;
}

/**
 * Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds. Anything else is
 * ignored: V8's Date.parse reads junk such as "-5" or "5 2099" as dates, and Number() reads "0x10".
 */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"), asctime.
  if (!/^[A-Za-z]{3,9},? .*\d{2}:\d{2}:\d{2}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
