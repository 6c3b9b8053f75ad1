import { issueAdminToken } from '../../../src/merchants/adminAuth';
import { FORM_TOKEN_TTL_MS, issueFormToken, readFormToken } from '../../../src/savedCards/formTokens';
import { brandName, shopperOf } from '../../../src/savedCards/service';
import { createSecrets } from '../../../src/secrets';

const secrets = createSecrets('unit-test-secret-key-for-saved-card-forms-0123');
const other = createSecrets('another-secret-key-for-saved-card-forms-99999');
const claims = { action: 'pay' as const, paymentId: 'A'.repeat(22), savedCardId: `sc_${'b'.repeat(22)}` };

describe('saved-card form tokens', () => {
  it('name one payment, one card and one action, with an expiry and a fresh nonce each time', () => {
    const now = 1_700_000_000_000;
    const a = issueFormToken(secrets, claims, now);
    const b = issueFormToken(secrets, claims, now);
    expect(a).not.toBe(b);
    const read = readFormToken(secrets, a, { action: 'pay', paymentId: claims.paymentId }, now);
    expect(read).toEqual({
      ok: true,
      claims: {
        action: 'pay',
        paymentId: claims.paymentId,
        savedCardId: claims.savedCardId,
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        expiresAt: now + FORM_TOKEN_TTL_MS,
      },
    });
  });

  it('are refused for another payment or action, once expired, altered, signed with another key or missing', () => {
    const now = 1_700_000_000_000;
    const token = issueFormToken(secrets, claims, now);
    const expect_ = (t: unknown, action: 'pay' | 'remove', paymentId: string, at = now) =>
      readFormToken(secrets, t, { action, paymentId }, at);
    expect(expect_(token, 'pay', 'B'.repeat(22))).toEqual({ ok: false, reason: 'mismatch' });
    expect(expect_(token, 'remove', claims.paymentId)).toEqual({ ok: false, reason: 'mismatch' });
    expect(expect_(token, 'pay', claims.paymentId, now + FORM_TOKEN_TTL_MS)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(
      expect_(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 'pay', claims.paymentId),
    ).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(expect_(issueFormToken(other, claims, now), 'pay', claims.paymentId)).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(expect_('', 'pay', claims.paymentId)).toEqual({ ok: false, reason: 'missing' });
    expect(expect_(undefined, 'pay', claims.paymentId)).toEqual({ ok: false, reason: 'missing' });
    expect(expect_(['a'], 'pay', claims.paymentId)).toEqual({ ok: false, reason: 'missing' });
  });

  it('another signed token of the app (the settings page’s) is never a saved-card form token', () => {
    const admin = issueAdminToken(secrets, { storeId: 1, lang: 'es' });
    expect(readFormToken(secrets, admin, { action: 'pay', paymentId: claims.paymentId })).toEqual({
      ok: false,
      reason: 'forged',
    });
  });
});

describe('who is a logged-in shopper', () => {
  it('needs an Ecwid customer id and an email; the email is kept only as an HMAC, case-insensitive', () => {
    const order = { ecwidOrderId: 'X1', items: [], customerId: '123', email: ' Ana@Example.com ' };
    const shopper = shopperOf(secrets, order);
    expect(shopper).toEqual({ ecwidCustomerId: '123', emailFingerprint: expect.any(String) });
    expect(shopper!.emailFingerprint).not.toContain('example');
    expect(shopperOf(secrets, { ...order, email: 'ana@example.com' })!.emailFingerprint).toBe(
      shopper!.emailFingerprint,
    );
    expect(shopperOf(secrets, { ...order, email: 'eve@example.com' })!.emailFingerprint).not.toBe(
      shopper!.emailFingerprint,
    );
    expect(shopperOf(secrets, { ...order, customerId: undefined })).toBeNull();
    expect(shopperOf(secrets, { ...order, email: undefined })).toBeNull();
    expect(shopperOf(secrets, { ...order, email: 'not an email' })).toBeNull();
    expect(shopperOf(secrets, { ...order, customerId: '../etc' })).toBeNull();
  });

  it('brands read for people', () => {
    expect(['visa', 'MASTERCARD', 'amex', 'carnet', 'elo', ''].map(brandName)).toEqual([
      'Visa',
      'Mastercard',
      'American Express',
      'Carnet',
      'Elo',
      'Card',
    ]);
  });
});
