import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { decryptEcwidPayload } from '../ecwid/crypto';
import { pageLanguage } from '../ecwid/paymentRequest';
import type { Secrets } from '../secrets';

/**
 * Who is using the settings page. Ecwid opens it with `?payload=` (AES-128-CBC, same key rule as
 * payment requests); from then on the page carries a signed, short-lived token in its forms, so it
 * works inside a cross-site iframe where the browser may block cookies.
 */
const payloadSchema = z.object({
  store_id: z.number().int().positive(),
  access_token: z.string().min(1).max(1000),
  lang: z.string().max(20).optional().catch(undefined),
  view_mode: z.string().max(50).optional().catch(undefined),
  public_token: z.string().max(1000).optional().catch(undefined),
});

export interface AdminPayload {
  storeId: number;
  accessToken: string;
  lang: 'es' | 'en';
}

export function readSettingsPayload(
  payload: unknown,
  clientSecret: string,
): { ok: true; admin: AdminPayload } | { ok: false; reason: string } {
  if (typeof payload !== 'string' || payload === '') return { ok: false, reason: 'missing payload' };
  const decrypted = decryptEcwidPayload(payload, clientSecret, 'cbc');
  if (!decrypted.ok) return { ok: false, reason: `payload ${decrypted.error}` };
  let json: unknown;
  try {
    json = JSON.parse(decrypted.plaintext);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'payload fields invalid' };
  return {
    ok: true,
    admin: {
      storeId: parsed.data.store_id,
      accessToken: parsed.data.access_token,
      lang: pageLanguage(parsed.data.lang),
    },
  };
}

export const ADMIN_TOKEN_TTL_MS = 2 * 60 * 60_000;

export interface AdminSession {
  storeId: number;
  lang: 'es' | 'en';
}

const tokenSchema = z.object({
  p: z.literal('settings'),
  s: z.number().int().positive(),
  l: z.enum(['es', 'en']),
  e: z.number(),
});

export function issueAdminToken(secrets: Secrets, session: AdminSession, now = Date.now()): string {
  return secrets.sign(
    JSON.stringify({
      p: 'settings',
      s: session.storeId,
      l: session.lang,
      e: now + ADMIN_TOKEN_TTL_MS,
      n: randomBytes(6).toString('base64url'),
    }),
  );
}

export function verifyAdminToken(
  secrets: Secrets,
  token: unknown,
  now = Date.now(),
): { ok: true; session: AdminSession } | { ok: false; reason: 'invalid' | 'expired' } {
  if (typeof token !== 'string' || token.length > 1000) return { ok: false, reason: 'invalid' };
  const body = secrets.verify(token);
  if (body === null) return { ok: false, reason: 'invalid' };
  let parsed;
  try {
    parsed = tokenSchema.safeParse(JSON.parse(body));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  if (parsed.data.e <= now) return { ok: false, reason: 'expired' };
  return { ok: true, session: { storeId: parsed.data.s, lang: parsed.data.l } };
}
