import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Providers the app knows by name; the provider issues plug their implementations in. */
export const PROVIDER_IDS = ['etpay', 'conekta', 'ecartpay'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(httpUrl.optional())
  .optional();

/** Trims, lowercases and treats an empty value as unset, so `LOG_LEVEL=` or `PORT=` mean "the default". */
function blankAsUnset(lowercase: boolean) {
  return (v: unknown) => {
    if (typeof v !== 'string') return v;
    const t = lowercase ? v.trim().toLowerCase() : v.trim();
    return t === '' ? undefined : t;
  };
}

const envSchema = z.object({
  // Without the preprocess, `PORT=` (empty) was coerced to 0: a random port and APP_URL http://localhost:0.
  PORT: z.preprocess(blankAsUnset(false), z.coerce.number().int().min(0).max(65535).default(3000)),
  APP_URL: optionalUrl,
  ECWID_CLIENT_ID: optionalString,
  ECWID_CLIENT_SECRET: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters (its first 16 are the AES key)').optional(),
  ),
  ECWID_API_URL: optionalUrl,
  DEMO_MODE: z.preprocess(blankAsUnset(true), z.enum(['true', 'false']).optional()),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  DATA_DIR: optionalString,
  LOG_LEVEL: z.preprocess(blankAsUnset(true), z.enum(LOG_LEVELS).default('info')),
  SECRET_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  PAYMENT_PROVIDERS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(PROVIDER_IDS, { error: `must list only ${PROVIDER_IDS.join(', ')}` }))),
  ETPAY_MERCHANT_CODE: optionalString,
  ETPAY_MERCHANT_API_TOKEN: optionalString,
  ETPAY_API_URL: optionalUrl,
  ETPAY_PMT_URL: optionalUrl,
  CONEKTA_PRIVATE_KEY: optionalString,
  CONEKTA_API_URL: optionalUrl,
  CONEKTA_LIVEMODE: z.preprocess(blankAsUnset(true), z.enum(['true', 'false']).optional()),
  ECARTPAY_PUBLIC_KEY: optionalString,
  ECARTPAY_PRIVATE_KEY: optionalString,
  ECARTPAY_API_URL: optionalUrl,
  ECARTPAY_WEBHOOK_SECRET: optionalString,
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
  RECONCILE_MIN_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(600),
  RATE_LIMIT_SHOPPER_PER_MINUTE: z.preprocess(
    blankAsUnset(false),
    z.coerce.number().int().min(0).max(1_000_000_000).default(1200),
  ),
  RATE_LIMIT_WEBHOOK_PER_MINUTE: z.preprocess(
    blankAsUnset(false),
    z.coerce.number().int().min(0).max(1_000_000_000).default(6000),
  ),
  NODE_ENV: optionalString,
});

export interface Config {
  port: number;
  /** Public base URL, no trailing slash. */
  appUrl: string;
  /** Demo mode: simulators mounted under /sandbox, generated keys. Never on with a real client secret. */
  demo: boolean;
  ecwid: { clientId: string; clientSecret: string; apiUrl: string };
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Pretty logs for humans in development; JSON everywhere else. */
  prettyLogs: boolean;
  secretKey: string;
  defaultProviders: ProviderId[];
  etpay: { merchantCode?: string; merchantApiToken?: string; apiUrl?: string; pmtUrl?: string };
  /** livemode: whether CONEKTA_PRIVATE_KEY is a live key (Conekta keys do not say; objects carry livemode). */
  conekta: { privateKey?: string; apiUrl: string; livemode: boolean };
  ecartpay: { publicKey?: string; privateKey?: string; apiUrl: string; webhookSecret?: string };
  /** How often open payments are checked with their provider, and from what age. */
  reconcile: { intervalMs: number; minAgeMs: number };
  /** Requests per minute per client on public routes (0 = no limit). */
  rateLimits: { shopperPerMinute: number; webhookPerMinute: number };
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The client id Ecwid would give a demo app; the storefront simulator uses it in returnUrl. */
export const DEMO_CLIENT_ID = 'demo-latam-payments';

/**
 * Reads the environment into one typed object. Fails with every problem at once, each naming its
 * variable. In demo mode, generates and keeps the secret key and the demo client secret in DATA_DIR.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`);
  // Cross-field rules, checked on the raw values so every problem is reported in one go.
  const given = (name: string) => (env[name] ?? '').trim() !== '';
  const demoRequested = !given('ECWID_CLIENT_SECRET') || env.DEMO_MODE?.trim().toLowerCase() === 'true';
  if (!demoRequested && !given('SECRET_KEY')) {
    problems.push('SECRET_KEY: required outside demo mode (at least 32 characters)');
  }
  if (!demoRequested && !given('ECWID_CLIENT_ID')) {
    problems.push('ECWID_CLIENT_ID: required when ECWID_CLIENT_SECRET is set');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const warnings: string[] = [];

  const demo = !e.ECWID_CLIENT_SECRET || e.DEMO_MODE === 'true';
  const dataDir = path.resolve(e.DATA_DIR ?? './data');
  const appUrl = e.APP_URL ?? `http://localhost:${e.PORT}`;
  if (appUrl.startsWith('http://')) {
    warnings.push(`APP_URL is plain http (${appUrl}): fine for local runs, use https in production`);
  }

  let secretKey = e.SECRET_KEY;
  let clientSecret = e.ECWID_CLIENT_SECRET;
  if (demo) {
    if (e.ECWID_CLIENT_SECRET) {
      warnings.push('DEMO_MODE=true with a real ECWID_CLIENT_SECRET: demo simulators are mounted');
    }
    secretKey ??= persistedDemoValue(dataDir, 'secret-key', 32, 32);
    clientSecret ??= persistedDemoValue(dataDir, 'ecwid-client-secret', 16, 16);
  }

  return {
    port: e.PORT,
    appUrl,
    demo,
    ecwid: {
      clientId: e.ECWID_CLIENT_ID ?? DEMO_CLIENT_ID,
      clientSecret: clientSecret!,
      apiUrl: e.ECWID_API_URL ?? (demo ? `${appUrl}/sandbox/ecwid/api/v3` : 'https://app.ecwid.com/api/v3'),
    },
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dataDir },
    dataDir,
    logLevel: e.LOG_LEVEL,
    prettyLogs: e.NODE_ENV === 'development',
    secretKey: secretKey!,
    defaultProviders: [...new Set(e.PAYMENT_PROVIDERS)],
    etpay: {
      merchantCode: e.ETPAY_MERCHANT_CODE,
      merchantApiToken: e.ETPAY_MERCHANT_API_TOKEN,
      apiUrl: e.ETPAY_API_URL,
      pmtUrl: e.ETPAY_PMT_URL,
    },
    conekta: {
      privateKey: e.CONEKTA_PRIVATE_KEY,
      apiUrl: e.CONEKTA_API_URL ?? 'https://api.conekta.io',
      // Production deployments take live keys unless told otherwise; demo mode never does.
      livemode: e.CONEKTA_LIVEMODE ? e.CONEKTA_LIVEMODE === 'true' : !demo,
    },
    ecartpay: {
      publicKey: e.ECARTPAY_PUBLIC_KEY,
      privateKey: e.ECARTPAY_PRIVATE_KEY,
      apiUrl: e.ECARTPAY_API_URL ?? 'https://ecartpay.com/api',
      webhookSecret: e.ECARTPAY_WEBHOOK_SECRET,
    },
    reconcile: {
      intervalMs: e.RECONCILE_INTERVAL_SECONDS * 1000,
      minAgeMs: e.RECONCILE_MIN_AGE_SECONDS * 1000,
    },
    rateLimits: {
      shopperPerMinute: e.RATE_LIMIT_SHOPPER_PER_MINUTE,
      webhookPerMinute: e.RATE_LIMIT_WEBHOOK_PER_MINUTE,
    },
    warnings,
  };
}

/**
 * A random value generated once and kept in DATA_DIR so demo data survives restarts. Creation is
 * atomic (write a temporary file, then hard-link it into place, which fails if the file exists), so
 * two processes starting together on one DATA_DIR end up with the same value, and an empty file
 * left by a crash is never taken as the key.
 */
function persistedDemoValue(dataDir: string, name: string, bytes: number, minLength: number): string {
  const file = path.join(dataDir, name);
  const existing = readKept(file, minLength);
  if (existing !== undefined) return existing;
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(bytes).toString('base64url');
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, value, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return value;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another process won the race: use its value. An empty leftover is replaced below.
    const kept = code === 'EEXIST' ? readKept(file, minLength) : undefined;
    if (kept !== undefined) return kept;
    if (code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // No hard links on this file system (or an empty leftover): a plain write.
    writeFileSync(file, value, { mode: 0o600 });
    return value;
  } finally {
    unlinkSync(temp);
  }
}

/** The kept value, undefined when absent or empty; a value too short to be a key is an error. */
function readKept(file: string, minLength: number): string | undefined {
  if (!existsSync(file)) return undefined;
  const value = readFileSync(file, 'utf8').trim();
  if (value === '') return undefined;
  if (value.length < minLength) {
    throw new ConfigError([`${file}: the kept demo value is shorter than ${minLength} characters`]);
  }
  return value;
}
