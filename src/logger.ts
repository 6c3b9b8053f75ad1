import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Every key that may hold a secret or personal data, at the top level and one or two levels down.
 * pino replaces their values before anything is written.
 */
const SENSITIVE_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'secret',
  'clientSecret',
  'client_secret',
  'secretKey',
  'privateKey',
  'private_key',
  'publicKey',
  'apiKey',
  'password',
  'signature_token',
  'signatureToken',
  'merchant_api_token',
  'merchantApiToken',
  'webhookSecret',
  'email',
  'phone',
  'billingPerson',
  'shippingPerson',
  'ipAddress',
  'enc_data',
  'data',
  'payload',
  'returnUrl',
];

export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_]\w*$/.test(k) ? k : `["${k}"]`;
  const sep = key.startsWith('[') ? '' : '.';
  return [key, `*${sep}${key}`, `*.*${sep}${key}`];
});

/**
 * pino's error serializer copies every enumerable property, so an axios error would write its
 * `config.headers.Authorization` (Bearer token), request body and response body, three or more
 * levels down where the redact paths do not reach. Axios errors (also as a `cause`) keep only what
 * helps debugging: method, the URL's path (its query may carry keys) and the HTTP status.
 */
export function serializeError(err: unknown): unknown {
  return scrubAxiosErrors(pino.stdSerializers.err(err as Error), 0);
}

function scrubAxiosErrors(value: unknown, depth: number): unknown {
  if (!value || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => scrubAxiosErrors(v, depth + 1));
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(source)) {
    if (source.isAxiosError === true && (key === 'config' || key === 'request' || key === 'response'))
      continue;
    out[key] = scrubAxiosErrors(v, depth + 1);
  }
  if (source.isAxiosError === true) {
    const config = (source.config ?? {}) as { method?: unknown; url?: unknown; baseURL?: unknown };
    const response = source.response as { status?: unknown } | undefined;
    if (typeof config.method === 'string') out.method = config.method.toUpperCase();
    const url = urlPath(config.baseURL, config.url);
    if (url) out.url = url;
    if (out.status === undefined && typeof response?.status === 'number') out.status = response.status;
  }
  return out;
}

function urlPath(base: unknown, url: unknown): string | undefined {
  if (typeof url !== 'string' && typeof base !== 'string') return undefined;
  try {
    const joined =
      typeof base === 'string' && typeof url === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(url)
        ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
        : String(url ?? base);
    const parsed = new URL(joined, 'http://relative.invalid');
    const origin = parsed.host === 'relative.invalid' ? '' : parsed.origin;
    return `${origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

export interface LoggerOptions {
  level: string;
  pretty?: boolean;
  /** Where lines go (tests capture them); stdout by default. */
  destination?: DestinationStream;
}

export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'ecwid-latam-payments' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // `error` too: without a serializer an Error there is written as its enumerable properties only.
    serializers: { err: serializeError, error: serializeError },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
