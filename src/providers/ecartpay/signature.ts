import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How far a notification's `x-pay-timestamp` may be from our clock (either way). */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export type SignatureCheck =
  | { ok: true; webhookId: string; timestamp: number }
  | { ok: false; reason: 'missing_headers' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Verifies Ecart Pay's optional webhook signature:
 * `x-pay-signature: SHA256=<hex>` where hex = HMAC-SHA256(secret, `{x-pay-timestamp}.{x-pay-webhook-id}.{JSON.stringify(body.data)}`),
 * `x-pay-timestamp` in milliseconds. Ecart's own webhook guide signs `body.data` (not the whole body).
 * The digest is compared in constant time; a timestamp further than `toleranceMs` from now is refused
 * even when the signature is right (a captured notification cannot be replayed later).
 */
export function verifyEcartSignature(input: {
  secret: string;
  headers: IncomingHttpHeaders;
  /** The parsed body's `data` (what Ecart signs). */
  data: unknown;
  now: number;
  toleranceMs?: number;
}): SignatureCheck {
  const signature = header(input.headers, 'x-pay-signature');
  const timestampText = header(input.headers, 'x-pay-timestamp');
  const webhookId = header(input.headers, 'x-pay-webhook-id');
  if (!signature || !timestampText || !webhookId) return { ok: false, reason: 'missing_headers' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match || !/^\d{1,16}$/.test(timestampText) || !/^[\w.:-]{1,200}$/.test(webhookId)) {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  const expected = Buffer.from(ecartSignatureHex(input.secret, timestampText, webhookId, input.data), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  const timestamp = Number(timestampText);
  if (Math.abs(input.now - timestamp) > (input.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS)) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true, webhookId, timestamp };
}

/** The hex HMAC Ecart puts after `SHA256=`. */
export function ecartSignatureHex(
  secret: string,
  timestamp: string,
  webhookId: string,
  data: unknown,
): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.${webhookId}.${JSON.stringify(data) ?? ''}`, 'utf8')
    .digest('hex');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}
