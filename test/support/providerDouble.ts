import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Money } from '../../src/money';
import type { PaymentProvider, ProviderObservation } from '../../src/providers/types';

export const DOUBLE_SIGNING_KEY = 'provider-double-signing-key';

export interface DoubleNotification {
  reference: string;
  status: ProviderObservation['status'];
  amount: number;
  currency: string;
  externalTransactionId?: string;
  eventKey?: string;
}

export function signDoubleNotification(body: string, key = DOUBLE_SIGNING_KEY): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/**
 * A provider double implementing the real interface: HMAC-signed notifications (a forged one is
 * refused), a status table the test controls for fetchStatus, and knobs for failures.
 */
export function createProviderDouble(
  opts: { id?: string; currencies?: string[]; key?: string; refunds?: boolean } = {},
) {
  const id = opts.id ?? 'double';
  const key = opts.key ?? DOUBLE_SIGNING_KEY;
  const statuses = new Map<
    string,
    { status: ProviderObservation['status']; amount: Money; externalTransactionId?: string }
  >();
  const calls = { createCheckout: 0, fetchStatus: 0 };
  const knobs = { failCheckout: false, refuseCheckout: false, failStatus: false, hangCheckout: false };

  const provider: PaymentProvider = {
    id,
    displayName: `Double ${id}`,
    supportsCurrency: (currency) => (opts.currencies ?? ['CLP', 'MXN', 'USD']).includes(currency),
    async createCheckout({ payment }) {
      calls.createCheckout++;
      if (knobs.hangCheckout) return new Promise(() => undefined);
      if (knobs.failCheckout) return { ok: false, error: { kind: 'unavailable', message: 'double is down' } };
      if (knobs.refuseCheckout) {
        return { ok: false, error: { kind: 'rejected', message: 'double cannot take this order' } };
      }
      const reference = `ref_${randomBytes(8).toString('hex')}`;
      statuses.set(reference, { status: 'open', amount: payment.total });
      return {
        ok: true,
        redirectUrl: `https://pay.double.example/checkout/${reference}?lang=${payment.lang}`,
        providerReference: reference,
        providerSecrets: { sessionSecret: `double-secret-${reference}` },
      };
    },
    async fetchStatus({ payment }) {
      calls.fetchStatus++;
      if (knobs.failStatus) return { ok: false, error: { kind: 'unavailable', message: 'double is down' } };
      const known = payment.providerReference ? statuses.get(payment.providerReference) : undefined;
      if (!known) return { ok: false, error: { kind: 'invalid_response', message: 'unknown reference' } };
      return { ok: true, observation: { ...known } };
    },
    async parseNotification({ headers, rawBody, paymentId, lookup }) {
      const given = Buffer.from(String(headers['x-double-signature'] ?? ''), 'hex');
      const expected = Buffer.from(signDoubleNotification(rawBody.toString('utf8'), key), 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { kind: 'reject', status: 401, reason: 'bad signature' };
      }
      let body: DoubleNotification;
      try {
        body = JSON.parse(rawBody.toString('utf8')) as DoubleNotification;
      } catch {
        return { kind: 'reject', status: 400, reason: 'not JSON' };
      }
      const found = await lookup.byProviderReference(String(body.reference));
      if (!found) return { kind: 'reject', status: 404, reason: 'unknown reference' };
      if (paymentId && found.payment.id !== paymentId)
        return { kind: 'reject', status: 409, reason: 'payment mismatch' };
      return {
        kind: 'observation',
        paymentId: found.payment.id,
        observation: {
          status: body.status,
          amount: { amount: body.amount, currency: body.currency },
          ...(body.externalTransactionId ? { externalTransactionId: body.externalTransactionId } : {}),
          ...(body.eventKey ? { eventKey: body.eventKey } : {}),
        },
      };
    },
  };

  if (opts.refunds) {
    // A provider with a refund API: refunds accumulate on the provider's side and come back as its answer.
    provider.refund = async ({ payment, amount }) => {
      const known = payment.providerReference ? statuses.get(payment.providerReference) : undefined;
      if (!known) return { ok: false, error: { kind: 'rejected', message: 'unknown order' } };
      const refunded = (refundedByReference.get(payment.providerReference!) ?? 0) + amount.amount;
      refundedByReference.set(payment.providerReference!, refunded);
      const status = refunded >= known.amount.amount ? 'refunded' : 'partially_refunded';
      statuses.set(payment.providerReference!, { ...known, status });
      return { ok: true, observation: { status, amount: known.amount, refundedAmount: refunded } };
    };
  }
  const refundedByReference = new Map<string, number>();

  return {
    provider,
    calls,
    knobs,
    /** What the provider will answer to fetchStatus for this reference. */
    setStatus(
      reference: string,
      status: ProviderObservation['status'],
      amount?: Money,
      externalTransactionId?: string,
    ) {
      const current = statuses.get(reference);
      if (!current) throw new Error(`unknown reference ${reference}`);
      statuses.set(reference, {
        status,
        amount: amount ?? current.amount,
        ...(externalTransactionId ? { externalTransactionId } : {}),
      });
    },
  };
}
