import {
  canTransition,
  ecwidStatusFor,
  isPaidOrAfter,
  isSettledForShopper,
  isUnpaidEnd,
  OPEN_STATES,
  PAYMENT_STATES,
  type PaymentState,
} from '../../src/payments/model';

/**
 * The whole table, written out here on purpose (not derived from the module): every pair not listed
 * must be refused. DESIGN.md: created → checkout_open → pending → paid; failed / expired / cancelled
 * end unpaid paths; refunds only after paid; a late "failed" never overwrites paid.
 */
const ALLOWED: Record<PaymentState, PaymentState[]> = {
  created: ['checkout_open', 'pending', 'paid', 'failed', 'expired', 'cancelled'],
  checkout_open: ['pending', 'paid', 'failed', 'expired', 'cancelled'],
  pending: ['paid', 'failed', 'expired', 'cancelled'],
  failed: ['paid'],
  expired: ['paid'],
  cancelled: ['paid'],
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
};

const ALL_PAIRS = PAYMENT_STATES.flatMap((from) => PAYMENT_STATES.map((to) => [from, to] as const));

describe('canTransition', () => {
  it('knows exactly the nine states', () => {
    expect([...PAYMENT_STATES].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it.each(ALL_PAIRS)('%s → %s matches the table', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED[from].includes(to));
  });

  it('paid never goes back to failed, pending or any earlier or unpaid state', () => {
    for (const to of ['created', 'checkout_open', 'pending', 'failed', 'expired', 'cancelled'] as const) {
      expect(canTransition('paid', to)).toBe(false);
    }
  });

  it('paid is not applied twice (a second paid attempt is flagged, not silently applied)', () => {
    expect(canTransition('paid', 'paid')).toBe(false);
  });

  it('money arriving after failed, expired or cancelled is still recorded as paid', () => {
    for (const from of ['failed', 'expired', 'cancelled'] as const) {
      expect(canTransition(from, 'paid')).toBe(true);
      // …but an unpaid end never reopens the attempt.
      expect(canTransition(from, 'pending')).toBe(false);
      expect(canTransition(from, 'checkout_open')).toBe(false);
    }
  });

  it('refunded is terminal', () => {
    for (const to of PAYMENT_STATES) expect(canTransition('refunded', to)).toBe(false);
  });

  it('refunds only follow a payment', () => {
    for (const from of PAYMENT_STATES) {
      const allowed = canTransition(from, 'refunded') || canTransition(from, 'partially_refunded');
      expect(allowed).toBe(isPaidOrAfter(from) && from !== 'refunded');
    }
  });

  it('no state moves back to created, and nothing re-enters checkout_open once pending', () => {
    for (const from of PAYMENT_STATES) expect(canTransition(from, 'created')).toBe(false);
    expect(canTransition('pending', 'checkout_open')).toBe(false);
  });

  it('never allows a step from a paid state into an unpaid one (monotonic)', () => {
    const paidSide = PAYMENT_STATES.filter(isPaidOrAfter);
    const unpaidSide = PAYMENT_STATES.filter((s) => !isPaidOrAfter(s));
    for (const from of paidSide) for (const to of unpaidSide) expect(canTransition(from, to)).toBe(false);
  });
});

describe('ecwidStatusFor', () => {
  it.each([
    ['created', null],
    ['checkout_open', null],
    ['pending', 'AWAITING_PAYMENT'],
    ['paid', 'PAID'],
    ['failed', 'INCOMPLETE'],
    ['expired', 'INCOMPLETE'],
    ['cancelled', 'INCOMPLETE'],
    ['refunded', 'REFUNDED'],
    ['partially_refunded', 'PARTIALLY_REFUNDED'],
  ] as const)('%s → %p', (state, status) => {
    expect(ecwidStatusFor(state)).toBe(status);
  });

  it('never uses CANCELLED (Ecwid advises INCOMPLETE for failures)', () => {
    for (const state of PAYMENT_STATES) expect(ecwidStatusFor(state)).not.toBe('CANCELLED');
  });
});

describe('state groups', () => {
  it('open states are the ones before an outcome', () => {
    expect([...OPEN_STATES].sort()).toEqual(['checkout_open', 'created', 'pending']);
  });

  it.each(PAYMENT_STATES)('%s belongs to exactly one of open / unpaid end / paid side', (state) => {
    const groups = [OPEN_STATES.includes(state), isUnpaidEnd(state), isPaidOrAfter(state)];
    expect(groups.filter(Boolean)).toHaveLength(1);
  });

  it('the shopper goes back to the store once there is an outcome or a pending async payment', () => {
    expect(PAYMENT_STATES.filter(isSettledForShopper).sort()).toEqual(
      ['cancelled', 'expired', 'failed', 'paid', 'partially_refunded', 'pending', 'refunded'].sort(),
    );
  });
});
