import type { OrderDetails } from '../../ecwid/paymentRequest';
import type { Money } from '../../money';
import type { ProviderObservation } from '../types';
import { fromEcartAmount, toEcartAmount } from './amounts';
import type { CreateOrderBody, EcartOrder } from './schemas';

type ObservedStatus = ProviderObservation['status'];

/**
 * Ecart order status → what it means for the payment. Documented: `created`, `paid`, `refunded`,
 * `partially_refunded`; Ecart's own integrations also use the others below. Only `paid` is certain
 * to mean money received, so `confirmed`/`completed` (which Ecart's Odoo module reads as paid) are
 * not taken as paid here: an unknown status changes nothing and is reported (null).
 */
export function mapEcartStatus(status: string): ObservedStatus | null {
  switch (status.trim().toLowerCase()) {
    case 'paid':
      return 'paid';
    case 'refunded':
      return 'refunded';
    case 'partially_refunded':
      return 'partially_refunded';
    case 'created':
    case 'pending':
    case 'processing':
      // Nothing decided yet: the shopper may still pay on Ecart's page.
      return 'open';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    case 'expired':
      return 'expired';
    case 'failed':
    case 'declined':
    case 'error':
      return 'failed';
    default:
      return null;
  }
}

export type Observed =
  | { ok: true; observation: ProviderObservation }
  | { ok: false; reason: 'unknown_status' | 'bad_amount'; message: string };

/** What a fetched Ecart order says, with its own amount and currency (the use case compares them). */
export function observeOrder(order: EcartOrder, eventKey?: string): Observed {
  const currency = order.currency.toUpperCase();
  const amount = fromEcartAmount(order.totals.total, currency);
  if (!amount) {
    return {
      ok: false,
      reason: 'bad_amount',
      message: `Ecart Pay order total is not an exact ${currency} amount`,
    };
  }
  const status = mapEcartStatus(order.status);
  if (!status) {
    return {
      ok: false,
      reason: 'unknown_status',
      message: `Ecart Pay order has a status the app does not act on (${order.status.slice(0, 50)})`,
    };
  }
  return {
    ok: true,
    observation: {
      status,
      amount,
      externalTransactionId: order.id,
      ...(status === 'refunded' ? { refundedAmount: amount.amount } : {}),
      ...(status === 'failed' || status === 'cancelled' || status === 'expired'
        ? { message: `Ecart Pay: payment ${order.status.slice(0, 50).toLowerCase()}` }
        : {}),
      ...(eventKey ? { eventKey } : {}),
    },
  };
}

/** Whether Ecart's computed order is exactly the payment (amount in minor units, currency). */
export function sameAmount(order: EcartOrder, total: Money): boolean {
  const amount = fromEcartAmount(order.totals.total, order.currency.toUpperCase());
  return amount !== null && amount.currency === total.currency && amount.amount === total.amount;
}

/**
 * The hosted order: one line carrying the Ecwid total (unit price in major units, quantity 1), so
 * Ecart's computed total is the Ecwid total to the cent whatever the cart's taxes, discounts and
 * shipping; customer fields from the Ecwid order when present; our notify and return URLs.
 */
export function buildCreateOrderBody(input: {
  total: Money;
  order: OrderDetails;
  lang: 'es' | 'en';
  returnUrl: string;
  notificationUrl: string;
}): CreateOrderBody {
  const { order } = input;
  const person = order.billingPerson ?? order.shippingPerson;
  const names = splitName(person);
  const email = order.email?.trim();
  const phone = (order.billingPerson?.phone ?? order.shippingPerson?.phone ?? '')
    .replace(/\D/g, '')
    .slice(0, 20);
  const label = `${input.lang === 'en' ? 'Order' : 'Pedido'} ${order.ecwidOrderId}`.slice(0, 200);
  return {
    currency: input.total.currency,
    ...(email && /^[^\s@]+@[^\s@]+$/.test(email) ? { email: email.slice(0, 320) } : {}),
    ...(names.first ? { first_name: names.first } : {}),
    ...(names.last ? { last_name: names.last } : {}),
    ...(phone.length >= 7 ? { phone } : {}),
    items: [{ name: label, quantity: 1, price: toEcartAmount(input.total) }],
    notify_url: input.notificationUrl,
    redirect_url: input.returnUrl,
  };
}

function splitName(person: OrderDetails['billingPerson']): { first?: string; last?: string } {
  if (!person) return {};
  const first = person.firstName?.trim();
  const last = person.lastName?.trim();
  if (first || last)
    return { first: first?.slice(0, 100) || undefined, last: last?.slice(0, 100) || undefined };
  const full = person.name?.trim().replace(/\s+/g, ' ');
  if (!full) return {};
  const space = full.indexOf(' ');
  return space < 0
    ? { first: full.slice(0, 100) }
    : { first: full.slice(0, space).slice(0, 100), last: full.slice(space + 1).slice(0, 100) };
}
