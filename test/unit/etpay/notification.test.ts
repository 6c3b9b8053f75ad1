import { SignJWT } from 'jose';
import type { Payment } from '../../../src/payments/model';
import { parseEtpayNotification } from '../../../src/providers/etpay/notification';
import type { NotificationLookup } from '../../../src/providers/types';

const SIGNATURE_TOKEN = 'sig-token-for-unit-tests-0123456789abcdef0123456789abcdef';
const payment = {
  id: 'PAYMENTPAYMENTPAYMENT1',
  provider: 'etpay',
  providerReference: 'sess-1',
  total: { amount: 5000, currency: 'CLP' },
} as Payment;
const secrets = {
  signature_token: SIGNATURE_TOKEN,
  session_token: 'sess-1',
  merchant_order_id: 'XJ12H-1-abc',
};
const claims = (over: Record<string, unknown> = {}) => ({
  payment_token: 'pt-1',
  session_token: 'sess-1',
  merchant_order_id: 'XJ12H-1-abc',
  merchant_amount: 5000,
  merchant_currency: 'CLP',
  payment_status: 'success',
  reason: '',
  code: '',
  ...over,
});
const sign = (c: Record<string, unknown>, key = SIGNATURE_TOKEN) =>
  new SignJWT(c).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key));

function lookup(overrides: Partial<NotificationLookup> = {}): NotificationLookup & { calls: string[] } {
  const calls: string[] = [];
  const found = { payment, providerSecrets: secrets, store: { storeId: 1 } };
  return {
    calls,
    byId: async (id) => {
      calls.push(`id:${id}`);
      return id === payment.id ? found : null;
    },
    byProviderReference: async (ref) => {
      calls.push(`ref:${ref}`);
      return ref === 'sess-1' ? found : null;
    },
    ...overrides,
  };
}

const parse = async (body: unknown, opts: { paymentId?: string | null; l?: NotificationLookup } = {}) =>
  parseEtpayNotification({
    headers: { 'content-type': 'application/json' },
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    ...(opts.paymentId === null ? {} : { paymentId: opts.paymentId ?? payment.id }),
    lookup: opts.l ?? lookup(),
  });

describe('ETpay notification parsing', () => {
  it('success → paid, with payment_token as the external id and the idempotency key', async () => {
    const result = await parse({ payment: await sign(claims()) });
    expect(result).toEqual({
      kind: 'observation',
      paymentId: payment.id,
      observation: {
        status: 'paid',
        amount: { amount: 5000, currency: 'CLP' },
        eventKey: 'pt-1',
        externalTransactionId: 'pt-1',
      },
    });
  });

  it('a failure says why; an unknown status changes nothing (open)', async () => {
    const failed = await parse({
      payment: await sign(claims({ payment_status: 'failed', reason: 'Cuenta bloqueada', code: 'E12' })),
    });
    expect(failed).toMatchObject({
      kind: 'observation',
      observation: { status: 'failed', message: 'ETpay: transfer failed (Cuenta bloqueada, code E12)' },
    });
    expect(failed.kind === 'observation' && failed.observation.externalTransactionId).toBeUndefined();
    const unknown = await parse({ payment: await sign(claims({ payment_status: 'en_revision' })) });
    expect(unknown).toMatchObject({ kind: 'observation', observation: { status: 'open' } });
  });

  it('tolerates extra claims and a numeric string amount', async () => {
    const result = await parse({
      payment: await sign(claims({ merchant_amount: '5000', user_bank: 'Banco de prueba', extra: [1] })),
      also: 'ignored',
    });
    expect(result).toMatchObject({ kind: 'observation', observation: { amount: { amount: 5000 } } });
  });

  it('could not read the payment (database down) → retry, so ETpay sends it again', async () => {
    const l = lookup({
      byId: async () => {
        throw new Error('connection refused');
      },
    });
    expect(await parse({ payment: await sign(claims()) }, { l })).toEqual({
      kind: 'retry',
      reason: 'payment lookup failed',
    });
  });

  it('a payment without an ETpay session cannot be notified (409)', async () => {
    const l = lookup({
      byId: async () => ({
        payment: { ...payment, providerReference: null },
        providerSecrets: {},
        store: { storeId: 1 },
      }),
    });
    expect(await parse({ payment: await sign(claims()) }, { l })).toMatchObject({
      kind: 'reject',
      status: 409,
    });
  });

  it('refuses before any lookup when the body is not a notification', async () => {
    const l = lookup();
    expect(await parse('not json', { l })).toMatchObject({ kind: 'reject', status: 400 });
    expect(await parse({ payment: '' }, { l })).toMatchObject({ kind: 'reject', status: 400 });
    expect(await parse({ payment: 'a.b' }, { l })).toMatchObject({ kind: 'reject', status: 400 });
    expect(l.calls).toEqual([]);
  });

  it('refuses a wrong key, a changed algorithm and an expired token', async () => {
    expect(
      await parse({ payment: await sign(claims(), 'another-key-another-key-another-key-1234') }),
    ).toMatchObject({
      kind: 'reject',
      status: 401,
    });
    const hs384 = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS384' })
      .sign(new TextEncoder().encode(SIGNATURE_TOKEN));
    expect(await parse({ payment: hs384 })).toMatchObject({ kind: 'reject', status: 401 });
    const expired = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SIGNATURE_TOKEN));
    expect(await parse({ payment: expired })).toMatchObject({ kind: 'reject', status: 401 });
  });

  it('without a payment id, finds the payment by the (unverified) session token, then verifies', async () => {
    const l = lookup();
    const ok = await parse({ payment: await sign(claims()) }, { paymentId: null, l });
    expect(ok).toMatchObject({ kind: 'observation', paymentId: payment.id });
    expect(l.calls).toEqual(['ref:sess-1']);
    const forged = await parse({ payment: await sign(claims(), 'x'.repeat(40)) }, { paymentId: null });
    expect(forged).toMatchObject({ kind: 'reject', status: 401 });
    const noSession = await parse({ payment: await sign(claims({ session_token: 7 })) }, { paymentId: null });
    expect(noSession).toMatchObject({ kind: 'reject', status: 400 });
  });

  it('an unreadable amount is refused (422)', async () => {
    expect(await parse({ payment: await sign(claims({ merchant_amount: 10.5 })) })).toMatchObject({
      kind: 'reject',
      status: 422,
    });
    expect(await parse({ payment: await sign(claims({ merchant_currency: 'ZZZ' })) })).toMatchObject({
      kind: 'reject',
      status: 422,
    });
  });
});
