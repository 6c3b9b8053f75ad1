import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { langFromHeader } from './i18n';
import { renderPage } from './render';

/** Requests per minute per client; 0 turns a limit off. */
export interface RateLimits {
  /** Shopper pages and Ecwid's payment form, per IP address (IPv6: per /56). */
  shopperPerMinute: number;
  /** Provider and Ecwid notifications, per provider and IP address. */
  webhookPerMinute: number;
}

/**
 * Defaults far above any legitimate traffic from one address: a shopper's whole journey is a dozen
 * requests plus a status poll every few seconds (and many shoppers can share a carrier's NAT); a
 * provider retries a notification a handful of times over hours. They stop floods, not customers.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = { shopperPerMinute: 1200, webhookPerMinute: 6000 };

const WINDOW_MS = 60_000;

/**
 * The counter's key for an address: IPv4 (also written IPv4-mapped, `::ffff:1.2.3.4`) as is, IPv6
 * per /56 through the library's helper (one subscriber usually holds a whole /56 or more).
 */
function clientKey(ip: string | undefined): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip ?? '');
  return v4 ? v4[1]! : ipKeyGenerator(ip ?? 'unknown');
}

/** A one-minute window of `perMinute` requests, announced in the standard RateLimit headers. */
function perMinuteWindow(perMinute: number) {
  return {
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Keys are built by clientKey (ipKeyGenerator for IPv6), which the library cannot see through.
    validate: { keyGeneratorIpFallback: false },
  } as const;
}

const TOO_MANY = {
  es: 'Demasiadas solicitudes desde tu conexión. Espera un momento y vuelve a intentarlo.',
  en: 'Too many requests from your connection. Wait a moment and try again.',
};

/**
 * Shopper routes (`POST /ecwid/payment`, `/pay/...`, `/return/...`, `/settings`): a plain page in the
 * shopper's language, JSON for the status poll. Every 429 carries Retry-After (seconds).
 */
export function shopperRateLimit(perMinute: number): RequestHandler | null {
  if (perMinute <= 0) return null;
  return rateLimit({
    ...perMinuteWindow(perMinute),
    keyGenerator: (req) => `shopper:${clientKey(req.ip)}`,
    handler: (req, res) => {
      req.log?.warn({ limit: perMinute }, 'shopper rate limit reached');
      if (/^\/pay\/[^/]+\/status$/.test(`${req.baseUrl}${req.path}`)) {
        res.status(429).set('Cache-Control', 'no-store').json({ error: 'rate_limited' });
        return;
      }
      const lang = langFromHeader(req.get('accept-language'));
      renderPage(res, 429, 'error', lang, { message: TOO_MANY[lang] });
    },
  });
}

/**
 * Notifications, counted per provider (the first path segment after /webhooks) and address, so one
 * provider's burst never uses up another's allowance. JSON answers; a provider treats 429 as "retry".
 */
export function webhookRateLimit(perMinute: number): RequestHandler | null {
  if (perMinute <= 0) return null;
  return rateLimit({
    ...perMinuteWindow(perMinute),
    keyGenerator: (req) => {
      const provider = /^\/([\w-]{1,40})/.exec(req.path)?.[1] ?? '-';
      return `webhook:${provider}:${clientKey(req.ip)}`;
    },
    handler: (req, res) => {
      req.log?.warn({ limit: perMinute }, 'webhook rate limit reached');
      res.status(429).json({ error: 'rate_limited' });
    },
  });
}
