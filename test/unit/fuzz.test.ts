/**
 * Properties of the pure pieces every request goes through: they never throw on hostile input, and
 * their conversions round-trip. FUZZ_SEED (printed with any failure) replays a run.
 */
import fc from 'fast-check';
import { decryptEcwidPayload, encryptEcwidPayload } from '../../src/ecwid/crypto';
import { readPaymentRequest } from '../../src/ecwid/paymentRequest';
import { ecwidWebhookSchema, verifyEcwidWebhookSignature } from '../../src/ecwid/webhooks';
import { formatMajor, SUPPORTED_CURRENCIES, toMinorUnits } from '../../src/money';
import { canTransition, isPaidOrAfter, PAYMENT_STATES } from '../../src/payments/model';
import { fromEcartAmount, toEcartAmount } from '../../src/providers/ecartpay/amounts';
import { readOrderId } from '../../src/providers/ecartpay/provider';
import { verifyEcartSignature } from '../../src/providers/ecartpay/signature';
import { fromEtpayAmount, toEtpayAmount } from '../../src/providers/etpay/amount';

const SEED = Number(process.env.FUZZ_SEED ?? 20251123);
const runs = (n: number) => ({ numRuns: n, seed: SEED });
const SECRET = 'unit-fuzz-client-secret-0123456789';

const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 })
    .map((a) => Buffer.from(a).toString('base64')),
);

describe('properties of the request path’s pure functions', () => {
  // (An empty plaintext is refused as too short: no Ecwid request is empty.)
  it('decryptEcwidPayload never throws, and decrypts exactly what was encrypted', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('gcm', 'cbc') as fc.Arbitrary<'gcm' | 'cbc'>, (input, cipher) => {
        const result = decryptEcwidPayload(input, SECRET, cipher);
        expect(typeof result.ok).toBe('boolean');
      }),
      runs(500),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 500 }),
        fc.constantFrom('gcm', 'cbc') as fc.Arbitrary<'gcm' | 'cbc'>,
        (plain, cipher) => {
          expect(decryptEcwidPayload(encryptEcwidPayload(plain, SECRET, cipher), SECRET, cipher)).toEqual({
            ok: true,
            plaintext: plain,
          });
        },
      ),
      runs(300),
    );
  });

  it('readPaymentRequest never throws, whatever the form and whatever decrypts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ enc_data: fc.anything(), data: fc.anything() }, { requiredKeys: [] }),
          fc.jsonValue({ maxDepth: 4 }).map((json) => ({
            enc_data: encryptEcwidPayload(JSON.stringify(json) ?? 'null', SECRET, 'gcm'),
          })),
          // Authentic but not JSON (or JSON cut short).
          fc.string({ minLength: 1, maxLength: 200 }).map((plain) => ({
            data: encryptEcwidPayload(plain, SECRET, 'cbc'),
          })),
        ),
        (form) => {
          const result = readPaymentRequest(form as { enc_data?: unknown; data?: unknown }, SECRET);
          if (result.ok) {
            expect(Number.isSafeInteger(result.request.total.amount)).toBe(true);
            expect(result.request.total.amount).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      runs(500),
    );
  });

  it('toMinorUnits never throws; what it accepts is a safe non-negative integer that prints back', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0.1 + 0.2, 2014.97, 1e21, 5e-324, -0)),
        fc.oneof(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.string({ maxLength: 4 })),
        (major, currency) => {
          const result = toMinorUnits(major, currency);
          if (!result.ok) return;
          expect(Number.isSafeInteger(result.money.amount)).toBe(true);
          expect(result.money.amount).toBeGreaterThanOrEqual(0);
          // Within a minor unit of what was sent (float noise only).
          expect(Math.abs(Number(formatMajor(result.money)) - major)).toBeLessThan(1);
        },
      ),
      runs(1000),
    );
  });

  it('provider amount conversions round-trip exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.constantFrom('MXN', 'USD', 'CLP', 'COP', 'PEN'),
        (amount, currency) => {
          expect(fromEcartAmount(toEcartAmount({ amount, currency }), currency)).toEqual({
            amount,
            currency,
          });
          expect(fromEcartAmount(String(toEcartAmount({ amount, currency })), currency)).toEqual({
            amount,
            currency,
          });
        },
      ),
      runs(500),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e12 }), fc.constantFrom('CLP', 'MXN'), (amount, currency) => {
        const sent = toEtpayAmount({ amount, currency });
        if (!sent.ok) return;
        expect(fromEtpayAmount(sent.amount, currency)).toEqual({ amount, currency });
      }),
      runs(500),
    );
    fc.assert(
      fc.property(fc.anything(), fc.string({ maxLength: 4 }), (value, currency) => {
        const result = fromEcartAmount(value, currency);
        if (result) expect(Number.isSafeInteger(result.amount)).toBe(true);
      }),
      runs(300),
    );
  });

  it('signature checks never throw and never accept a random header', () => {
    const headers = fc.dictionary(
      fc.constantFrom('x-pay-signature', 'x-pay-timestamp', 'x-pay-webhook-id', 'x-other'),
      fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 })),
    );
    fc.assert(
      fc.property(headers, fc.jsonValue({ maxDepth: 2 }), (given, data) => {
        const check = verifyEcartSignature({ secret: 'whsec', headers: given, data, now: Date.now() });
        expect(check.ok).toBe(false);
      }),
      runs(500),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.anything(), (body, header) => {
        const parsed = ecwidWebhookSchema.safeParse(body);
        if (parsed.success) expect(verifyEcwidWebhookSignature(SECRET, parsed.data, header)).toBe(false);
      }),
      runs(300),
    );
    fc.assert(
      fc.property(fc.anything(), (body) => {
        const id = readOrderId(body);
        if (id !== null) expect(typeof id).toBe('string');
      }),
      runs(300),
    );
  });

  it('the state machine never leaves a paid payment for an unpaid state', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PAYMENT_STATES), { maxLength: 20 }), (observed) => {
        let state: (typeof PAYMENT_STATES)[number] = 'created';
        let wasPaid = false;
        for (const to of observed) {
          if (canTransition(state, to)) state = to;
          wasPaid ||= isPaidOrAfter(state);
          if (wasPaid) expect(isPaidOrAfter(state)).toBe(true);
        }
      }),
      runs(1000),
    );
  });
});
