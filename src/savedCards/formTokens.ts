import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Secrets } from '../secrets';

/**
 * The signed, single-use tokens of the saved-card forms (pay with this card, remove this card). Each
 * names one payment, one card, an action, an expiry and a random nonce; the nonce is recorded when the
 * form is used (webhook_receipts), so a double click or a replayed form acts once. A token is worth
 * nothing for another payment, card or action.
 */

export type FormAction = 'pay' | 'remove' | 'verify';

export interface FormClaims {
  action: FormAction;
  paymentId: string;
  savedCardId: string;
  nonce: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** How long a rendered checkout step stays usable. */
export const FORM_TOKEN_TTL_MS = 30 * 60_000;

/** The receipts "provider" of used nonces (webhook_receipts.provider). */
export const FORM_RECEIPTS = 'saved-card-form';

const claimsSchema = z
  .object({
    k: z.enum(['sc-pay', 'sc-remove', 'sc-verify']),
    p: z.string().max(64),
    c: z.string().max(64),
    n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
    x: z.number().int().positive(),
  })
  .strict();

export function issueFormToken(
  secrets: Secrets,
  claims: { action: FormAction; paymentId: string; savedCardId: string },
  now = Date.now(),
): string {
  return secrets.sign(
    JSON.stringify({
      k: `sc-${claims.action}`,
      p: claims.paymentId,
      c: claims.savedCardId,
      n: randomBytes(16).toString('base64url'),
      x: now + FORM_TOKEN_TTL_MS,
    }),
  );
}

export type FormTokenCheck =
  { ok: true; claims: FormClaims } | { ok: false; reason: 'missing' | 'forged' | 'expired' | 'mismatch' };

/** Verifies a form token for this action and payment (signature, shape, expiry). Does not consume it. */
export function readFormToken(
  secrets: Secrets,
  token: unknown,
  expected: { action: FormAction; paymentId: string },
  now = Date.now(),
): FormTokenCheck {
  if (typeof token !== 'string' || token === '' || token.length > 2000)
    return { ok: false, reason: 'missing' };
  const payload = secrets.verify(token);
  if (payload === null) return { ok: false, reason: 'forged' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'forged' };
  }
  const parsed = claimsSchema.safeParse(json);
  // Other signed tokens of the app (e.g. the settings page's) have another shape: never accepted here.
  if (!parsed.success) return { ok: false, reason: 'forged' };
  const c = parsed.data;
  if (c.k !== `sc-${expected.action}` || c.p !== expected.paymentId) return { ok: false, reason: 'mismatch' };
  if (c.x <= now) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: { action: expected.action, paymentId: c.p, savedCardId: c.c, nonce: c.n, expiresAt: c.x },
  };
}
