import type { OrderDetails } from '../../ecwid/paymentRequest';
import { toMinorUnits } from '../../money';
import type { Payment } from '../../payments/model';
import type { ProviderObservation } from '../types';
import {
  ORDER_MARKER,
  type ConektaCharge,
  type ConektaOrder,
  type ConektaPaymentMethod,
  type OrderRequest,
  type SavedCardOrderRequest,
} from './schemas';

/**
 * Pure translation between the app and Conekta: the `POST /orders` body built from an Ecwid order,
 * and a verified Conekta order read back as a provider observation. Amounts are integer centavos
 * on both sides (MXN has two decimals, as Conekta's cents), so the payment's minor units are sent
 * as they are; Ecwid's item prices (JSON floats) go through their decimal text, never `× 100`.
 */

export interface OrderBuildInput {
  payment: Payment;
  order: OrderDetails;
  lang: 'es' | 'en';
  /** `{APP_URL}/return/:paymentId`, used for both success_url and failure_url. */
  returnUrl: string;
  allowedPaymentMethods: readonly ConektaPaymentMethod[];
  /** Unix seconds. */
  expiresAt: number;
  fallbackEmail: string;
  fallbackPhone: string;
  /** Saved cards: the Conekta customer the hosted page is for, with card saving (on-demand) on. */
  customerId?: string;
}

const MAX_ITEMIZED_LINES = 100;
const NAME_MIN = 3;
const NAME_MAX = 249;

export function buildOrderRequest(input: OrderBuildInput): OrderRequest {
  const { payment, order, lang } = input;
  const label = lang === 'en' ? `Order ${order.ecwidOrderId}` : `Pedido ${order.ecwidOrderId}`;
  return {
    currency: 'MXN',
    customer_info: input.customerId
      ? { customer_id: input.customerId }
      : customerInfo(order, lang, input.fallbackEmail, input.fallbackPhone),
    line_items: lineItems(order, payment.total.amount, lang),
    metadata: orderMetadata(payment, order),
    checkout: {
      type: 'HostedPayment',
      name: lineName(label, lang),
      allowed_payment_methods: [...input.allowedPaymentMethods],
      success_url: input.returnUrl,
      failure_url: input.returnUrl,
      expires_at: input.expiresAt,
      redirection_time: 4,
      ...(input.customerId ? { on_demand_enabled: true } : {}),
    },
  };
}

function orderMetadata(payment: Payment, order: OrderDetails): Record<string, string> {
  return {
    integration: ORDER_MARKER,
    ecwid_store_id: String(payment.storeId),
    ecwid_order_id: order.ecwidOrderId.slice(0, 200),
    ecwid_reference_transaction_id: payment.referenceTransactionId.slice(0, 200),
    payment_id: payment.id,
  };
}

/** Marks saved-card charges (`metadata.saved_card`): their declines are handled at the checkout step. */
export const SAVED_CARD_MARKER = 'saved_card';

/**
 * A saved-card order ("cargo bajo demanda"): the same lines and metadata as a hosted order, for the
 * Conekta customer, with no checkout and no charge yet; 3-D Secure only when the bank asks for it
 * (`three_ds_mode: smart`), returning to `{APP_URL}/return/:paymentId`.
 */
export function buildSavedCardOrderRequest(input: {
  payment: Payment;
  order: OrderDetails;
  lang: 'es' | 'en';
  customerId: string;
  returnUrl: string;
}): SavedCardOrderRequest {
  return {
    currency: 'MXN',
    customer_info: { customer_id: input.customerId },
    line_items: lineItems(input.order, input.payment.total.amount, input.lang),
    metadata: { ...orderMetadata(input.payment, input.order), [SAVED_CARD_MARKER]: 'true' },
    three_ds_mode: 'smart',
    return_url: input.returnUrl,
  };
}

/**
 * Line items whose Σ unit_price × quantity is exactly `total` centavos. The Ecwid items are listed
 * when every price converts exactly and they do not exceed the total; what the items leave (shipping,
 * handling, taxes not in the prices) becomes one more line. A discount, or anything that does not
 * convert exactly, falls back to one line carrying the whole total.
 */
export function lineItems(order: OrderDetails, total: number, lang: 'es' | 'en'): OrderRequest['line_items'] {
  const single = [
    {
      name: lineName(lang === 'en' ? `Order ${order.ecwidOrderId}` : `Pedido ${order.ecwidOrderId}`, lang),
      unit_price: total,
      quantity: 1,
    },
  ];
  const items = order.items ?? [];
  if (items.length === 0 || items.length >= MAX_ITEMIZED_LINES) return single;
  const lines: OrderRequest['line_items'] = [];
  let sum = 0;
  for (const item of items) {
    const price = toMinorUnits(item.price, 'MXN');
    if (!price.ok || !Number.isSafeInteger(item.quantity) || item.quantity < 1) return single;
    sum += price.money.amount * item.quantity;
    if (!Number.isSafeInteger(sum) || sum > total) return single;
    lines.push({
      name: lineName(item.name, lang),
      unit_price: price.money.amount,
      quantity: item.quantity,
      ...(item.sku ? { sku: item.sku.slice(0, 100) } : {}),
    });
  }
  const rest = total - sum;
  if (rest > 0) {
    lines.push({
      name: lang === 'en' ? 'Shipping, taxes and other charges' : 'Envío, impuestos y otros cargos',
      unit_price: rest,
      quantity: 1,
    });
  }
  return lines;
}

/** Conekta wants 3–249 characters. */
export function lineName(name: string, lang: 'es' | 'en'): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  if (chars.length >= NAME_MIN) return chars.slice(0, NAME_MAX).join('');
  const prefix = lang === 'en' ? 'Item' : 'Artículo';
  return clean ? `${prefix}: ${clean}` : prefix;
}

/** Conekta requires name, email and phone; Ecwid may lack any of them (guest checkout, no billing). */
export function customerInfo(
  order: OrderDetails,
  lang: 'es' | 'en',
  fallbackEmail: string,
  fallbackPhone: string,
): { name: string; email: string; phone: string } {
  const people = [order.billingPerson, order.shippingPerson];
  const name =
    people
      .flatMap((p) => [p?.name, [p?.firstName, p?.lastName].filter(Boolean).join(' ')])
      .map((n) => n?.replace(/\s+/g, ' ').trim())
      .find((n): n is string => Boolean(n)) ??
    (lang === 'en' ? `Customer ${order.ecwidOrderId}` : `Cliente ${order.ecwidOrderId}`);
  const email = order.email?.trim();
  const phone = people.map((p) => normalisePhone(p?.phone)).find((p): p is string => p !== undefined);
  return {
    name: Array.from(name).slice(0, 250).join(''),
    email: email && email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : fallbackEmail,
    phone: phone ?? fallbackPhone,
  };
}

/** `+52 55 1234-5678` → `+525512345678`; undefined when it is not 10–15 digits. */
export function normalisePhone(phone: string | undefined): string | undefined {
  if (!phone) return undefined;
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 10 || digits.length > 15) return undefined;
  return phone.trim().startsWith('+') ? `+${digits}` : digits;
}

/** Why a fetched order cannot be trusted for this payment, or null when it can. */
export type OwnershipProblem = { status: 409 | 422; reason: string };

export function checkOwnership(
  order: ConektaOrder,
  payment: Payment,
  livemode: boolean,
): OwnershipProblem | null {
  if (order.livemode !== livemode) {
    return {
      status: 422,
      reason: `Conekta order is ${order.livemode ? 'live' : 'test'}-mode but the store is in ${livemode ? 'live' : 'test'} mode`,
    };
  }
  if (payment.providerReference && order.id !== payment.providerReference) {
    return { status: 409, reason: 'Conekta answered with another order than the one recorded' };
  }
  const meta = order.metadata ?? {};
  if (meta.payment_id !== payment.id || meta.ecwid_store_id !== String(payment.storeId)) {
    return { status: 409, reason: 'Conekta order metadata does not point at this payment and store' };
  }
  return null;
}

const PENDING_METHODS = new Set([
  'cash',
  'cash_payment',
  'oxxo',
  'bank_transfer',
  'bank_transfer_payment',
  'spei',
]);

function isVoucher(charge: ConektaCharge): boolean {
  const m = charge.payment_method;
  return PENDING_METHODS.has(m?.object ?? '') || PENDING_METHODS.has(m?.type ?? '');
}

/**
 * What a verified order says about the payment. `pending_payment` means "awaiting payment" only
 * once a cash voucher or SPEI reference was issued; a hosted checkout nobody has used yet is open.
 * `eventId` (a notification's) goes into the idempotency key.
 */
export function observeOrder(order: ConektaOrder, eventId?: string | null): ProviderObservation {
  const charges = order.charges?.data ?? [];
  const paidCharge =
    charges.find((c) => c.status === 'paid') ??
    charges.find((c) => c.status === 'refunded' || c.status === 'partially_refunded');
  const base = { currency: order.currency.toUpperCase(), amount: order.amount };
  const key = (status: string, extra = '') => `${eventId ?? 'order'}:${order.id}:${status}${extra}`;

  switch (order.payment_status) {
    case 'paid': {
      // The charge is what moved the money: its amount must be the order's too.
      const amount = paidCharge?.amount ?? order.amount;
      return {
        status: 'paid',
        amount: { amount, currency: base.currency },
        externalTransactionId: paidCharge?.id ?? order.id,
        eventKey: key('paid'),
      };
    }
    case 'pending_payment': {
      const voucher = charges.find((c) => c.status === 'pending_payment' && isVoucher(c));
      return voucher
        ? { status: 'pending', amount: money(base), eventKey: key('pending') }
        : { status: 'open', amount: money(base) };
    }
    case 'declined': {
      const declined = [...charges].reverse().find((c) => c.status === 'declined');
      return {
        status: 'failed',
        amount: money(base),
        message: declined?.failure_message ?? 'Conekta declined the payment',
        eventKey: key('declined'),
      };
    }
    case 'expired':
      return {
        status: 'expired',
        amount: money(base),
        message: 'The Conekta checkout expired without a payment',
        eventKey: key('expired'),
      };
    case 'canceled':
    case 'cancelled':
      return {
        status: 'cancelled',
        amount: money(base),
        message: 'The Conekta order was cancelled',
        eventKey: key('canceled'),
      };
    case 'refunded':
    case 'partially_refunded': {
      const status = order.payment_status;
      const refunded = order.amount_refunded ?? (status === 'refunded' ? order.amount : 0);
      return {
        status,
        amount: money(base),
        refundedAmount: refunded,
        ...(paidCharge ? { externalTransactionId: paidCharge.id } : {}),
        eventKey: key(status, `:${refunded}`),
      };
    }
    default:
      // No status yet (fresh hosted order), pre-authorised, voided, charged back…: nothing to apply.
      return { status: 'open', amount: money(base) };
  }
}

function money(base: { currency: string; amount: number }) {
  return { amount: base.amount, currency: base.currency };
}
