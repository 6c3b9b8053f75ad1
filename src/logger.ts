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
    serializers: { err: pino.stdSerializers.err },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
