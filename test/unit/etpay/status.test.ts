import { cancelledHint } from '../../../src/providers/etpay/provider';
import type { EtpayPayment } from '../../../src/providers/etpay/schemas';
import { observationOf, outcomeOf, summarizeAttempts } from '../../../src/providers/etpay/status';

const expected = { amount: 5000, currency: 'CLP' };
const attempt = (payment_status: string, over: Partial<EtpayPayment> = {}): EtpayPayment => ({
  payment_token: `pt_${payment_status}_${Math.random().toString(36).slice(2, 8)}`,
  session_token: 'sess',
  merchant_order_id: 'XJ12H-1-abc',
  merchant_amount: 5000,
  merchant_currency: 'CLP',
  payment_status,
  ...over,
});

describe('ETpay payment_status', () => {
  it('only the exact value "success" is paid', () => {
    expect(outcomeOf('success')).toBe('paid');
    for (const s of ['SUCCESS', 'Success', 'successful', 'paid', 'ok', 'approved', '']) {
      expect(outcomeOf(s)).not.toBe('paid');
    }
  });

  it('failure words are failed, cancellations cancelled, waiting pending, anything else unknown', () => {
    expect(outcomeOf('failed')).toBe('failed');
    expect(outcomeOf('REJECTED')).toBe('failed');
    expect(outcomeOf('canceled')).toBe('cancelled');
    expect(outcomeOf('expired')).toBe('expired');
    expect(outcomeOf('pending')).toBe('pending');
    expect(outcomeOf('something_new')).toBe('unknown');
  });

  it('an attempt becomes an observation: the payment_token identifies it; reason and code explain failures', () => {
    const paid = attempt('success', { payment_token: 'prNPfd' });
    expect(observationOf(paid)).toEqual({
      status: 'paid',
      amount: expected,
      eventKey: 'prNPfd',
      externalTransactionId: 'prNPfd',
    });
    const failed = attempt('failed', { payment_token: 'pt2', reason: 'Saldo insuficiente', code: '51' });
    expect(observationOf(failed)).toEqual({
      status: 'failed',
      amount: expected,
      eventKey: 'pt2',
      message: 'ETpay: transfer failed (Saldo insuficiente, code 51)',
    });
    expect(observationOf(attempt('brand_new'))?.status).toBe('open');
    expect(observationOf(attempt('success', { merchant_amount: 10.5 }))).toBeNull();
  });
});

describe('summarizing check_payment_status (several attempts per order)', () => {
  it('[] is open', () => {
    expect(summarizeAttempts([], expected, false)).toEqual({
      ok: true,
      observation: { status: 'open', amount: expected },
    });
  });

  it('a success wins whatever its position among failures', () => {
    const ok = attempt('success');
    for (const list of [
      [attempt('failed'), ok, attempt('failed')],
      [ok, attempt('failed')],
      [attempt('failed'), attempt('pending'), ok],
    ]) {
      const summary = summarizeAttempts(list, expected, true);
      expect(summary).toMatchObject({
        ok: true,
        observation: { status: 'paid', eventKey: ok.payment_token },
      });
    }
  });

  it('without a success: pending before failures; the latest failure otherwise', () => {
    expect(summarizeAttempts([attempt('failed'), attempt('pending')], expected, false)).toMatchObject({
      observation: { status: 'pending' },
    });
    const last = attempt('failed', { reason: 'second' });
    expect(summarizeAttempts([attempt('failed', { reason: 'first' }), last], expected, false)).toMatchObject({
      observation: {
        status: 'failed',
        eventKey: last.payment_token,
        message: 'ETpay: transfer failed (second)',
      },
    });
  });

  it('the cancellation hint can only lead to an unpaid outcome', () => {
    expect(summarizeAttempts([], expected, true)).toMatchObject({
      ok: true,
      observation: { status: 'cancelled', amount: expected },
    });
    expect(summarizeAttempts([attempt('failed')], expected, true)).toMatchObject({
      observation: { status: 'failed' },
    });
    expect(summarizeAttempts([attempt('mystery')], expected, true)).toMatchObject({
      observation: { status: 'cancelled' },
    });
    expect(summarizeAttempts([attempt('success')], expected, true)).toMatchObject({
      observation: { status: 'paid' },
    });
  });

  it('the chosen attempt keeps ETpay’s amount (the shared use case compares it to the payment)', () => {
    const cheaper = attempt('success', { merchant_amount: 10 });
    expect(summarizeAttempts([cheaper], expected, false)).toMatchObject({
      observation: { status: 'paid', amount: { amount: 10, currency: 'CLP' } },
    });
  });

  it('an unreadable amount makes the whole answer unusable', () => {
    const summary = summarizeAttempts([attempt('failed', { merchant_amount: 1.5 })], expected, false);
    expect(summary).toEqual({ ok: false, reason: 'ETpay reported an unreadable amount (1.5 CLP)' });
  });
});

describe('the cancellation return hint', () => {
  it('is read from the query the foundation passes', () => {
    expect(cancelledHint({ etpay: 'cancelled' })).toBe(true);
    expect(cancelledHint({ etpay: 'cancelled', jwt: 'x.y.z' })).toBe(true);
    // ETpay appending "?jwt=" despite concat.
    expect(cancelledHint({ etpay: 'cancelled?jwt=x.y.z' })).toBe(true);
    expect(cancelledHint({ etpay: ['completed', 'cancelled'] })).toBe(true);
  });

  it('is absent otherwise', () => {
    expect(cancelledHint(undefined)).toBe(false);
    expect(cancelledHint({})).toBe(false);
    expect(cancelledHint({ etpay: 'completed' })).toBe(false);
    expect(cancelledHint({ etpay: 'completed?jwt=a.b.c' })).toBe(false);
    expect(cancelledHint({ status: 'cancelled' })).toBe(false);
    expect(cancelledHint({ etpay: 'cancelledness' })).toBe(false);
  });
});
