import { createHmac } from 'node:crypto';
import { ecartSignatureHex, verifyEcartSignature } from '../../../src/providers/ecartpay/signature';

const SECRET = 'whsec_unit_test_secret';
const NOW = 1_750_000_000_000;
const data = { id: '65b0565f7f9f32242108746a', status: 'paid' };

/** Computed independently of the code under test. */
function sign(timestamp: string, webhookId: string, payload: unknown, secret = SECRET): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.${webhookId}.${JSON.stringify(payload)}`)
    .digest('hex');
}

function headers(overrides: Record<string, string | undefined> = {}) {
  const timestamp = String(NOW - 1000);
  const webhookId = 'hook_abc123';
  return {
    'x-pay-timestamp': timestamp,
    'x-pay-webhook-id': webhookId,
    'x-pay-signature': `SHA256=${sign(timestamp, webhookId, data)}`,
    ...overrides,
  };
}

describe('Ecart Pay webhook signature', () => {
  it('accepts HMAC-SHA256 over "{timestamp}.{webhook_id}.{JSON(data)}" with the SHA256= prefix', () => {
    expect(verifyEcartSignature({ secret: SECRET, headers: headers(), data, now: NOW })).toEqual({
      ok: true,
      webhookId: 'hook_abc123',
      timestamp: NOW - 1000,
    });
    expect(ecartSignatureHex(SECRET, '1', 'hook_x', data)).toBe(sign('1', 'hook_x', data));
  });

  it('accepts the prefix and hex in either case', () => {
    const hex = sign(String(NOW - 1000), 'hook_abc123', data);
    const upper = headers({ 'x-pay-signature': `sha256=${hex.toUpperCase()}` });
    expect(verifyEcartSignature({ secret: SECRET, headers: upper, data, now: NOW }).ok).toBe(true);
  });

  it('refuses a signature made with another secret, over other data, or another webhook id', () => {
    const wrongSecret = headers({
      'x-pay-signature': `SHA256=${sign(String(NOW - 1000), 'hook_abc123', data, 'other')}`,
    });
    expect(verifyEcartSignature({ secret: SECRET, headers: wrongSecret, data, now: NOW })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(
      verifyEcartSignature({
        secret: SECRET,
        headers: headers(),
        data: { ...data, status: 'refunded' },
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: 'mismatch' });
    expect(
      verifyEcartSignature({
        secret: SECRET,
        headers: headers({ 'x-pay-webhook-id': 'hook_other' }),
        data,
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: 'mismatch' });
    // The whole body signed instead of `data` is not Ecart's scheme.
    const whole = headers({
      'x-pay-signature': `SHA256=${sign(String(NOW - 1000), 'hook_abc123', { event: 'orders.confirmation', data })}`,
    });
    expect(verifyEcartSignature({ secret: SECRET, headers: whole, data, now: NOW }).ok).toBe(false);
  });

  it('refuses missing or malformed headers', () => {
    for (const name of ['x-pay-signature', 'x-pay-timestamp', 'x-pay-webhook-id']) {
      expect(
        verifyEcartSignature({ secret: SECRET, headers: headers({ [name]: undefined }), data, now: NOW }),
      ).toEqual({
        ok: false,
        reason: 'missing_headers',
      });
    }
    for (const bad of [
      { 'x-pay-signature': sign(String(NOW - 1000), 'hook_abc123', data) }, // no prefix
      { 'x-pay-signature': 'SHA256=abcd' }, // too short
      { 'x-pay-signature': `SHA256=${'zz'.repeat(32)}` }, // not hex
      { 'x-pay-timestamp': '2024-01-01T00:00:00Z' },
      { 'x-pay-webhook-id': 'hook with spaces' },
    ]) {
      expect(verifyEcartSignature({ secret: SECRET, headers: headers(bad), data, now: NOW })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('refuses a correctly signed notification whose timestamp is more than 5 minutes away', () => {
    const at = (ts: number) =>
      headers({
        'x-pay-timestamp': String(ts),
        'x-pay-signature': `SHA256=${sign(String(ts), 'hook_abc123', data)}`,
      });
    expect(
      verifyEcartSignature({ secret: SECRET, headers: at(NOW - 5 * 60_000 + 1), data, now: NOW }).ok,
    ).toBe(true);
    expect(
      verifyEcartSignature({ secret: SECRET, headers: at(NOW - 5 * 60_000 - 1), data, now: NOW }),
    ).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(
      verifyEcartSignature({ secret: SECRET, headers: at(NOW + 5 * 60_000 + 1), data, now: NOW }),
    ).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(
      verifyEcartSignature({ secret: SECRET, headers: at(NOW - 2000), data, now: NOW, toleranceMs: 1000 }),
    ).toEqual({ ok: false, reason: 'stale' });
  });
});
