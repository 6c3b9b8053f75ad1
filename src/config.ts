import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  APP_URL: optionalUrl,
  ECWID_CLIENT_ID: optionalString,
  ECWID_CLIENT_SECRET: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters (its first 16 are the AES key)').optional(),
  ),
  ECWID_API_URL: optionalUrl,
  DEMO_MODE: z.enum(['true', 'false', '']).optional(),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  DATA_DIR: optionalString,
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
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
  ECARTPAY_PUBLIC_KEY: optionalString,
  ECARTPAY_PRIVATE_KEY: optionalString,
  ECARTPAY_API_URL: optionalUrl,
  ECARTPAY_WEBHOOK_SECRET: optionalString,
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
  conekta: { privateKey?: string; apiUrl: string };
  ecartpay: { publicKey?: string; privateKey?: string; apiUrl: string; webhookSecret?: string };
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
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
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
    secretKey ??= persistedDemoValue(dataDir, 'secret-key', 32);
    clientSecret ??= persistedDemoValue(dataDir, 'ecwid-client-secret', 16);
  } else if (!secretKey) {
    problems.push('SECRET_KEY: required outside demo mode (at least 32 characters)');
  }
  if (e.ECWID_CLIENT_SECRET && !e.ECWID_CLIENT_ID && !demo) {
    problems.push('ECWID_CLIENT_ID: required when ECWID_CLIENT_SECRET is set');
  }
  if (problems.length > 0) throw new ConfigError(problems);

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
    conekta: { privateKey: e.CONEKTA_PRIVATE_KEY, apiUrl: e.CONEKTA_API_URL ?? 'https://api.conekta.io' },
    ecartpay: {
      publicKey: e.ECARTPAY_PUBLIC_KEY,
      privateKey: e.ECARTPAY_PRIVATE_KEY,
      apiUrl: e.ECARTPAY_API_URL ?? 'https://ecartpay.com/api',
      webhookSecret: e.ECARTPAY_WEBHOOK_SECRET,
    },
    warnings,
  };
}

/** A random value generated once and kept in DATA_DIR so demo data survives restarts. */
function persistedDemoValue(dataDir: string, name: string, bytes: number): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(bytes).toString('base64url');
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}
