import type { Money } from '../money';

/** See DESIGN.md: monotonic, with unpaid ends and refunds after paid. */
export const PAYMENT_STATES = [
  'created',
  'checkout_open',
  'pending',
  'paid',
  'failed',
  'expired',
  'cancelled',
  'refunded',
  'partially_refunded',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

export type EcwidPaymentStatus =
  'AWAITING_PAYMENT' | 'PAID' | 'CANCELLED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'INCOMPLETE';

export interface Payment {
  id: string;
  storeId: number;
  referenceTransactionId: string;
  ecwidOrderId: string;
  attempt: number;
  total: Money;
  state: PaymentState;
  lang: 'es' | 'en';
  returnUrl: string;
  provider: string | null;
  providerReference: string | null;
  providerSecretsSealed: string | null;
  checkoutUrl: string | null;
  externalTransactionId: string | null;
  refundedAmount: number;
  attention: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** States in which the shopper can still complete this attempt. */
export const OPEN_STATES: readonly PaymentState[] = ['created', 'checkout_open', 'pending'];

/** Where a verified provider answer may move a payment. Anything else is ignored (never a step back). */
const NEXT: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  created: ['checkout_open', 'pending', 'paid', 'failed', 'expired', 'cancelled'],
  checkout_open: ['pending', 'paid', 'failed', 'expired', 'cancelled'],
  pending: ['paid', 'failed', 'expired', 'cancelled'],
  // Money that arrives after a decline or expiry is still money: record it (Ecwid goes to PAID).
  failed: ['paid'],
  expired: ['paid'],
  cancelled: ['paid'],
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
};

export function canTransition(from: PaymentState, to: PaymentState): boolean {
  return NEXT[from].includes(to);
}

/** The Ecwid order status a payment state should show, if any. */
export function ecwidStatusFor(state: PaymentState): EcwidPaymentStatus | null {
  switch (state) {
    case 'paid':
      return 'PAID';
    case 'pending':
      return 'AWAITING_PAYMENT';
    case 'failed':
    case 'expired':
    case 'cancelled':
      // Ecwid advises INCOMPLETE for failures: the shopper goes back to checkout with the cart intact.
      return 'INCOMPLETE';
    case 'refunded':
      return 'REFUNDED';
    case 'partially_refunded':
      return 'PARTIALLY_REFUNDED';
    default:
      return null;
  }
}

/** States after which the shopper's browser can go back to the store. */
export function isSettledForShopper(state: PaymentState): boolean {
  return state !== 'created' && state !== 'checkout_open';
}

export function isUnpaidEnd(state: PaymentState): boolean {
  return state === 'failed' || state === 'expired' || state === 'cancelled';
}

export function isPaidOrAfter(state: PaymentState): boolean {
  return state === 'paid' || state === 'refunded' || state === 'partially_refunded';
}
