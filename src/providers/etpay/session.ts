import type { Payment } from '../../payments/model';

/** What the app keeps (sealed) about a payment's ETpay session. */
export interface EtpaySession {
  sessionToken: string;
  signatureToken: string;
  merchantOrderId: string;
}

/** The keys of CheckoutResult.providerSecrets, sealed at rest by the foundation. */
export const SECRET_KEYS = {
  signatureToken: 'signature_token',
  sessionToken: 'session_token',
  merchantOrderId: 'merchant_order_id',
} as const;

export function sessionSecrets(session: EtpaySession): Record<string, string> {
  return {
    [SECRET_KEYS.signatureToken]: session.signatureToken,
    [SECRET_KEYS.sessionToken]: session.sessionToken,
    [SECRET_KEYS.merchantOrderId]: session.merchantOrderId,
  };
}

/** The payment's ETpay session from its unsealed secrets; null when it never had one. */
export function sessionOf(payment: Payment, secrets: Record<string, string>): EtpaySession | null {
  const signatureToken = secrets[SECRET_KEYS.signatureToken];
  const sessionToken = secrets[SECRET_KEYS.sessionToken] ?? payment.providerReference ?? undefined;
  const merchantOrderId = secrets[SECRET_KEYS.merchantOrderId];
  if (!signatureToken || !sessionToken || !merchantOrderId) return null;
  return { signatureToken, sessionToken, merchantOrderId };
}
