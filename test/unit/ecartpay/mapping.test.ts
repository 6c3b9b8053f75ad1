import type { OrderDetails } from '../../../src/ecwid/paymentRequest';
import {
  buildCreateOrderBody,
  mapEcartStatus,
  observeOrder,
  sameAmount,
} from '../../../src/providers/ecartpay/mapping';
import { readOrderId } from '../../../src/providers/ecartpay/provider';
import type { EcartOrder } from '../../../src/providers/ecartpay/schemas';

const order = (over: Partial<EcartOrder> = {}): EcartOrder => ({
  id: '65b0565f7f9f32242108746a',
  status: 'paid',
  currency: 'MXN',
  totals: { total: 243.33 },
  ...over,
});

const ecwidOrder: OrderDetails = {
  ecwidOrderId: 'XJ12H',
  email: 'jorge@example.com',
  billingPerson: { name: 'Jorge Martínez López', phone: '+52 81 1485 4378' },
  items: [
    { name: 'Café', price: 100.11, quantity: 2 },
    { name: 'Taza', price: 43.11, quantity: 1 },
  ],
};

describe('Ecart Pay status mapping', () => {
  it.each([
    ['paid', 'paid'],
    ['PAID', 'paid'],
    ['refunded', 'refunded'],
    ['partially_refunded', 'partially_refunded'],
    ['created', 'open'],
    ['pending', 'open'],
    ['processing', 'open'],
    ['cancelled', 'cancelled'],
    ['canceled', 'cancelled'],
    ['expired', 'expired'],
    ['failed', 'failed'],
    ['declined', 'failed'],
    ['error', 'failed'],
  ])('%s → %s', (ecart, ours) => {
    expect(mapEcartStatus(ecart)).toBe(ours);
  });

  it('does not take undocumented statuses as money received', () => {
    for (const s of ['confirmed', 'completed', 'authorized', '']) expect(mapEcartStatus(s)).toBeNull();
  });
});

describe('observeOrder', () => {
  it('reports Ecart’s own amount and currency, the order id and a failure message', () => {
    expect(observeOrder(order(), 'hook_1')).toEqual({
      ok: true,
      observation: {
        status: 'paid',
        amount: { amount: 24333, currency: 'MXN' },
        externalTransactionId: '65b0565f7f9f32242108746a',
        eventKey: 'hook_1',
      },
    });
    const declined = observeOrder(order({ status: 'declined', currency: 'usd', totals: { total: '10.5' } }));
    expect(declined).toMatchObject({
      ok: true,
      observation: {
        status: 'failed',
        amount: { amount: 1050, currency: 'USD' },
        message: 'Ecart Pay: payment declined',
      },
    });
    expect(observeOrder(order({ status: 'refunded' }))).toMatchObject({
      ok: true,
      observation: { status: 'refunded', refundedAmount: 24333 },
    });
  });

  it('refuses an inexact total or an unknown status', () => {
    expect(observeOrder(order({ totals: { total: 243.335 } }))).toMatchObject({
      ok: false,
      reason: 'bad_amount',
    });
    expect(observeOrder(order({ currency: 'XXX' }))).toMatchObject({ ok: false, reason: 'bad_amount' });
    expect(observeOrder(order({ status: 'completed' }))).toMatchObject({
      ok: false,
      reason: 'unknown_status',
    });
  });

  it('sameAmount compares minor units and currency', () => {
    expect(sameAmount(order(), { amount: 24333, currency: 'MXN' })).toBe(true);
    expect(sameAmount(order({ totals: { total: 243.34 } }), { amount: 24333, currency: 'MXN' })).toBe(false);
    expect(sameAmount(order({ currency: 'USD' }), { amount: 24333, currency: 'MXN' })).toBe(false);
    expect(sameAmount(order({ totals: { total: 'n/a' } }), { amount: 24333, currency: 'MXN' })).toBe(false);
  });
});

describe('buildCreateOrderBody', () => {
  it('sends one line carrying the exact Ecwid total, the customer and our URLs', () => {
    const body = buildCreateOrderBody({
      total: { amount: 24333, currency: 'MXN' },
      order: ecwidOrder,
      lang: 'es',
      returnUrl: 'https://app.example/return/P1',
      notificationUrl: 'https://app.example/webhooks/ecartpay/P1',
    });
    expect(body).toEqual({
      currency: 'MXN',
      email: 'jorge@example.com',
      first_name: 'Jorge',
      last_name: 'Martínez López',
      phone: '528114854378',
      items: [{ name: 'Pedido XJ12H', quantity: 1, price: 243.33 }],
      notify_url: 'https://app.example/webhooks/ecartpay/P1',
      redirect_url: 'https://app.example/return/P1',
    });
    expect(JSON.stringify(body.items)).toContain('"price":243.33');
  });

  it('prefers firstName/lastName, falls back to the shipping person, and omits what is missing', () => {
    const body = buildCreateOrderBody({
      total: { amount: 15990, currency: 'CLP' },
      order: {
        ecwidOrderId: 'SALE-1',
        items: [],
        shippingPerson: { firstName: 'Ana', lastName: 'Pérez' },
        email: 'not-an-email',
      },
      lang: 'en',
      returnUrl: 'https://a/r',
      notificationUrl: 'https://a/n',
    });
    expect(body).toEqual({
      currency: 'CLP',
      first_name: 'Ana',
      last_name: 'Pérez',
      items: [{ name: 'Order SALE-1', quantity: 1, price: 15990 }],
      notify_url: 'https://a/n',
      redirect_url: 'https://a/r',
    });
  });
});

describe('readOrderId', () => {
  it('reads data.id, else id, else order_id', () => {
    expect(readOrderId({ event: 'orders.confirmation', data: { id: 'abc123', status: 'paid' } })).toBe(
      'abc123',
    );
    expect(readOrderId({ id: 'top', data: {} })).toBe('top');
    expect(readOrderId({ order_id: 'legacy' })).toBe('legacy');
    expect(readOrderId({ data: { id: 42 } })).toBe('42');
  });

  it('refuses anything that is not a plain id', () => {
    for (const body of [
      null,
      [],
      'x',
      {},
      { data: { id: '../orders/x' } },
      { id: 'a b' },
      { id: { $ne: 1 } },
      { id: 'x'.repeat(101) },
    ]) {
      expect(readOrderId(body)).toBeNull();
    }
  });
});
