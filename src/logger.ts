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

const SENSITIVE = new Set(SENSITIVE_KEYS.map((k) => k.toLowerCase()));
const CENSOR = '[redacted]';
/** Deeper than anything the app logs; a cycle or a huge structure stops here. */
const MAX_DEPTH = 6;

/**
 * A copy of `value` with every sensitive key's value replaced, at any depth up to MAX_DEPTH, in
 * objects and arrays; `value` itself when there is nothing to hide (the usual case: no copy).
 * Case-insensitive on keys. Replaces pino's `redact` paths: with wildcards (`*.*.token`) pino ran
 * them on every key of every line, ~170 µs per request for a safety net that costs ~2 µs this way.
 */
export function redactSensitive<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactSensitive(item, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    }
    return (copy ?? value) as T;
  }
  // Plain data only: class instances (pino-http's raw req/res, sockets, buffers, dates) are left to
  // their serializers; walking them would cost more than the whole request.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !(value instanceof Error)) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const item = source[key];
    const redacted =
      SENSITIVE.has(key.toLowerCase()) && item !== undefined ? CENSOR : redactSensitive(item, depth + 1);
    if (redacted === item) continue;
    if (!copy) {
      copy = { ...source };
      // An Error's message and stack are not enumerable: keep them in the copy.
      if (value instanceof Error)
        Object.assign(copy, { type: value.name, message: value.message, stack: value.stack });
    }
    copy[key] = redacted;
  }
  return (copy ?? value) as T;
}

/** The object of a log call. `err`/`error` are left whole for serializeError, which redacts its output. */
function redactLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const { err, error, ...rest } = object;
  if (err === undefined && error === undefined) return redactSensitive(object);
  const redacted = redactSensitive(rest);
  if (redacted === rest) return object;
  return { ...redacted, ...(err !== undefined ? { err } : {}), ...(error !== undefined ? { error } : {}) };
}

/**
 * pino's error serializer copies every enumerable property, so an axios error would write its
 * `config.headers.Authorization` (Bearer token), request body and response body, three or more
 * levels down where the redact paths do not reach. Axios errors (also as a `cause`) keep only what
 * helps debugging: method, the URL's path (its query may carry keys) and the HTTP status.
 */
export function serializeError(err: unknown): unknown {
  return redactSensitive(scrubAxiosErrors(pino.stdSerializers.err(err as Error), 0));
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
    // What is logged (before serializers) and errors (after theirs) pass through redactSensitive;
    // child bindings too, below.
    formatters: { log: redactLogObject },
    // `error` too: without a serializer an Error there is written as its enumerable properties only.
    serializers: { err: serializeError, error: serializeError },
  };
  const logger = destination
    ? pino(options, destination)
    : pretty
      ? pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
      : pino(options);
  return withRedactedBindings(logger);
}

/**
 * pino gives child loggers no bindings formatter of their own, so `child` itself redacts them.
 * Children inherit from their parent's object: the override reaches grandchildren too.
 */
function withRedactedBindings(logger: Logger): Logger {
  const original = Object.getPrototypeOf(logger).child as Logger['child'];
  logger.child = function (this: Logger, bindings, options) {
    return original.call(this, redactSensitive(bindings), options);
  } as Logger['child'];
  return logger;
}
