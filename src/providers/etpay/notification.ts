import { decodeJwt, jwtVerify } from 'jose';
import type { NotificationInput, NotificationResult } from '../types';
import { etpayPaymentSchema, notificationBodySchema } from './schemas';
import { observationOf } from './status';
import { sessionOf } from './session';

/** The only algorithm ETpay signs with; `none`, HS384, HS512, RSA and EC algorithms are refused. */
export const ETPAY_JWT_ALGORITHMS = ['HS256'];

/**
 * ETpay's notification: `{"payment": "<JWT>"}`, HS256-signed with the session's `signature_token`.
 * With the per-payment URL the key comes from the payment in the path; on an account-wide URL the
 * payload is decoded unverified only to find the payment by its session token, then verified with
 * that payment's key. After the signature, the session and order id must be this payment's; the
 * amount and currency are compared by the shared use case (422 and an audit event on a mismatch).
 */
export async function parseEtpayNotification(input: NotificationInput): Promise<NotificationResult> {
  let json: unknown;
  try {
    json = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return { kind: 'reject', status: 400, reason: 'body is not JSON' };
  }
  const body = notificationBodySchema.safeParse(json);
  if (!body.success) return { kind: 'reject', status: 400, reason: 'body has no "payment" JWT' };
  const jwt = body.data.payment;

  let found: Awaited<ReturnType<NotificationInput['lookup']['byId']>>;
  try {
    if (input.paymentId) {
      found = await input.lookup.byId(input.paymentId);
    } else {
      const reference = unverifiedSessionToken(jwt);
      if (!reference) return { kind: 'reject', status: 400, reason: 'JWT without a session_token' };
      found = await input.lookup.byProviderReference(reference);
    }
  } catch {
    // The payment could not be read (database down): ETpay must send it again.
    return { kind: 'retry', reason: 'payment lookup failed' };
  }
  if (!found) return { kind: 'reject', status: 404, reason: 'unknown payment' };
  const { payment, providerSecrets } = found;
  const session = sessionOf(payment, providerSecrets);
  if (!session) return { kind: 'reject', status: 409, reason: 'payment has no ETpay session' };

  let claims: unknown;
  try {
    const verified = await jwtVerify(jwt, new TextEncoder().encode(session.signatureToken), {
      algorithms: ETPAY_JWT_ALGORITHMS,
    });
    claims = verified.payload;
  } catch (error) {
    return { kind: 'reject', status: 401, reason: `JWT refused (${joseCode(error)})` };
  }

  const parsed = etpayPaymentSchema.safeParse(claims);
  if (!parsed.success) {
    return {
      kind: 'reject',
      status: 400,
      reason: `JWT claims malformed (${parsed.error.issues.map((i) => i.path.join('.') || 'payload').join(', ')})`,
    };
  }
  const p = parsed.data;
  if (p.session_token !== session.sessionToken) {
    return { kind: 'reject', status: 409, reason: 'session_token is not this payment’s' };
  }
  if (p.merchant_order_id !== session.merchantOrderId) {
    return { kind: 'reject', status: 409, reason: 'merchant_order_id is not this payment’s' };
  }
  const observation = observationOf(p);
  if (!observation) {
    return {
      kind: 'reject',
      status: 422,
      reason: `unreadable amount ${p.merchant_amount} ${p.merchant_currency}`,
    };
  }
  return { kind: 'observation', paymentId: payment.id, observation };
}

function unverifiedSessionToken(jwt: string): string | null {
  try {
    const claims = decodeJwt(jwt);
    return typeof claims.session_token === 'string' && claims.session_token.length <= 512
      ? claims.session_token
      : null;
  } catch {
    return null;
  }
}

/** jose's error code (e.g. ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JOSE_ALG_NOT_ALLOWED): no token content. */
function joseCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'invalid';
}
