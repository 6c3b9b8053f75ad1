import type { OrderDetails } from '../../../src/ecwid/paymentRequest';
import type { Payment } from '../../../src/payments/model';
import { describeError } from '../../../src/providers/conekta/client';
import {
  buildOrderRequest,
  checkOwnership,
  customerInfo,
  lineItems,
  lineName,
  normalisePhone,
  observeOrder,
} from '../../../src/providers/conekta/order';
import { ORDER_MARKER, type ConektaOrder } from '../../../src/providers/conekta/schemas';

const payment = (over: Partial<Payment> = {}): Payment => ({
  id: 'PAYMENTid0123456789abcd',
  storeId: 1003,
  referenceTransactionId: 'transaction_65306446',
  ecwidOrderId: 'XJ12H',
  attempt: 1,
  total: { amount: 147379, currency: 'MXN' },
  state: 'checkout_open',
  lang: 'es',
  returnUrl: 'https://store.example/return',
  provider: 'conekta',
  providerReference: 'ord_abc123',
  providerSecretsSealed: null,
  checkoutUrl: null,
  externalTransactionId: null,
  refundedAmount: 0,
  attention: null,
  version: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

const details = (over: Partial<OrderDetails> = {}): OrderDetails => ({
  ecwidOrderId: 'XJ12H',
  email: 'maria@example.com',
  billingPerson: { name: 'María José González', phone: '+52 55 1234 5678' },
  items: [
    { name: 'Chicles', price: 0.1, quantity: 3 },
    { name: 'Café de Chiapas 500 g', price: 19.99, quantity: 7 },
    { name: 'Molino de café', price: 1234.56, quantity: 1 },
  ],
  ...over,
});

const sum = (lines: { unit_price: number; quantity: number }[]) =>
  lines.reduce((s, l) => s + l.unit_price * l.quantity, 0);

describe('Conekta order request', () => {
  it('carries scalar metadata with the marker, the return URL twice and the checkout settings', () => {
    const body = buildOrderRequest({
      payment: payment(),
      order: details(),
      lang: 'es',
      returnUrl: 'https://app.example/return/PAYMENTid0123456789abcd',
      allowedPaymentMethods: ['card', 'cash'],
      expiresAt: 1_767_225_600,
      fallbackEmail: 'fallback@example.com',
      fallbackPhone: '5555555555',
    });
    expect(body.currency).toBe('MXN');
    expect(body.metadata).toEqual({
      integration: ORDER_MARKER,
      ecwid_store_id: '1003',
      ecwid_order_id: 'XJ12H',
      ecwid_reference_transaction_id: 'transaction_65306446',
      payment_id: 'PAYMENTid0123456789abcd',
    });
    expect(Object.values(body.metadata).every((v) => typeof v === 'string')).toBe(true);
    expect(body.checkout).toEqual({
      type: 'HostedPayment',
      name: 'Pedido XJ12H',
      allowed_payment_methods: ['card', 'cash'],
      success_url: 'https://app.example/return/PAYMENTid0123456789abcd',
      failure_url: 'https://app.example/return/PAYMENTid0123456789abcd',
      expires_at: 1_767_225_600,
      redirection_time: 4,
    });
    expect(body.customer_info).toEqual({
      name: 'María José González',
      email: 'maria@example.com',
      phone: '+525512345678',
    });
    expect(sum(body.line_items)).toBe(147379);
    expect(body).not.toHaveProperty('charges');
  });

  it('lists the items in exact centavos and puts what they leave in one more line', () => {
    // 0.1 × 3 is 0.30000000000000004 in floats; 19.99 × 100 is 1998.9999999999998.
    const lines = lineItems(details(), 147379, 'es');
    expect(lines.map((l) => [l.unit_price, l.quantity])).toEqual([
      [10, 3],
      [1999, 7],
      [123456, 1],
      [9900, 1],
    ]);
    expect(lines[3]!.name).toBe('Envío, impuestos y otros cargos');
    expect(sum(lines)).toBe(147379);
    expect(lines.every((l) => Number.isSafeInteger(l.unit_price))).toBe(true);
  });

  it('adds no extra line when the items are the whole total', () => {
    const lines = lineItems(
      details({ items: [{ name: 'Caja regalo', price: 2014.97, quantity: 1 }] }),
      201497,
      'en',
    );
    expect(lines).toEqual([{ name: 'Caja regalo', unit_price: 201497, quantity: 1 }]);
  });

  it('falls back to one line with the whole total on a discount, a sub-centavo price or no items', () => {
    const single = (total: number, lang: 'es' | 'en' = 'es') => [
      { name: lang === 'es' ? 'Pedido XJ12H' : 'Order XJ12H', unit_price: total, quantity: 1 },
    ];
    // Items worth more than the total: a coupon was applied.
    expect(lineItems(details(), 100000, 'es')).toEqual(single(100000));
    expect(
      lineItems(details({ items: [{ name: 'Tornillos', price: 0.333, quantity: 3 }] }), 5000, 'en'),
    ).toEqual(single(5000, 'en'));
    expect(lineItems(details({ items: [] }), 20015, 'es')).toEqual(single(20015));
    for (const total of [1, 20015, 99_999_999_99]) expect(sum(lineItems(details(), total, 'es'))).toBe(total);
  });

  it('keeps line names within Conekta’s 3–249 characters', () => {
    expect(lineName('Té', 'es')).toBe('Artículo: Té');
    expect(lineName('  ', 'en')).toBe('Item');
    expect(Array.from(lineName('é'.repeat(400), 'es'))).toHaveLength(249);
    expect(lineName('  Café   molido ', 'es')).toBe('Café molido');
  });

  it('fills customer_info when Ecwid lacks a name, an email or a phone', () => {
    expect(
      customerInfo(
        details({ email: undefined, billingPerson: undefined, shippingPerson: undefined }),
        'es',
        'x@example.com',
        '5555555555',
      ),
    ).toEqual({
      name: 'Cliente XJ12H',
      email: 'x@example.com',
      phone: '5555555555',
    });
    expect(
      customerInfo(
        details({
          email: 'not an email',
          billingPerson: { phone: '123' },
          shippingPerson: { firstName: 'Ana', lastName: 'Pérez', phone: '55 8765 4321' },
        }),
        'en',
        'x@example.com',
        '5555555555',
      ),
    ).toEqual({ name: 'Ana Pérez', email: 'x@example.com', phone: '5587654321' });
    expect(normalisePhone('+52 (55) 1234-5678')).toBe('+525512345678');
    expect(normalisePhone('12345')).toBeUndefined();
  });
});

const order = (over: Partial<ConektaOrder> = {}): ConektaOrder => ({
  id: 'ord_abc123',
  amount: 147379,
  currency: 'MXN',
  livemode: false,
  metadata: { payment_id: 'PAYMENTid0123456789abcd', ecwid_store_id: '1003', integration: ORDER_MARKER },
  ...over,
});

describe('Conekta order → observation', () => {
  it('a hosted order nobody used yet is open, even when Conekta says pending_payment', () => {
    expect(observeOrder(order()).status).toBe('open');
    expect(observeOrder(order({ payment_status: 'pending_payment', charges: { data: [] } })).status).toBe(
      'open',
    );
    // A card charge waiting for 3-D Secure is not an awaiting-payment voucher.
    const card = { id: 'ch_card', status: 'pending_payment', payment_method: { object: 'card_payment' } };
    expect(observeOrder(order({ payment_status: 'pending_payment', charges: { data: [card] } })).status).toBe(
      'open',
    );
  });

  it('an issued OXXO reference or SPEI CLABE is pending', () => {
    for (const method of [
      { object: 'cash_payment', type: 'oxxo' },
      { object: 'bank_transfer_payment', type: 'spei' },
    ]) {
      const o = observeOrder(
        order({
          payment_status: 'pending_payment',
          charges: {
            data: [{ id: 'ch_1', status: 'pending_payment', amount: 147379, payment_method: method }],
          },
        }),
        'evt_1',
      );
      expect(o).toEqual({
        status: 'pending',
        amount: { amount: 147379, currency: 'MXN' },
        eventKey: 'evt_1:ord_abc123:pending',
      });
    }
  });

  it('paid carries the charge id, and the charge amount is what is compared', () => {
    const paid = observeOrder(
      order({
        payment_status: 'paid',
        charges: {
          data: [
            { id: 'ch_declined', status: 'declined', amount: 147379 },
            { id: 'ch_paid', status: 'paid', amount: 147379, paid_at: 1 },
          ],
        },
      }),
    );
    expect(paid).toMatchObject({
      status: 'paid',
      externalTransactionId: 'ch_paid',
      amount: { amount: 147379 },
    });
    const short = observeOrder(
      order({ payment_status: 'paid', charges: { data: [{ id: 'ch_paid', status: 'paid', amount: 100 }] } }),
    );
    expect(short.amount).toEqual({ amount: 100, currency: 'MXN' });
  });

  it('declined, expired and canceled are unpaid ends with a message for the merchant', () => {
    expect(
      observeOrder(
        order({
          payment_status: 'declined',
          charges: { data: [{ id: 'ch_1', status: 'declined', failure_message: 'Fondos insuficientes.' }] },
        }),
      ),
    ).toMatchObject({ status: 'failed', message: 'Fondos insuficientes.' });
    expect(observeOrder(order({ payment_status: 'expired' })).status).toBe('expired');
    expect(observeOrder(order({ payment_status: 'canceled' })).status).toBe('cancelled');
  });

  it('refunds carry the refunded amount, and each new amount is a new event key', () => {
    const charge = { id: 'ch_paid', status: 'partially_refunded', amount: 147379 };
    const first = observeOrder(
      order({ payment_status: 'partially_refunded', amount_refunded: 1000, charges: { data: [charge] } }),
    );
    const second = observeOrder(
      order({ payment_status: 'partially_refunded', amount_refunded: 2500, charges: { data: [charge] } }),
    );
    expect(first).toMatchObject({
      status: 'partially_refunded',
      refundedAmount: 1000,
      externalTransactionId: 'ch_paid',
    });
    expect(second.refundedAmount).toBe(2500);
    expect(first.eventKey).not.toBe(second.eventKey);
    expect(observeOrder(order({ payment_status: 'refunded', amount_refunded: 147379 }))).toMatchObject({
      status: 'refunded',
      refundedAmount: 147379,
    });
  });

  it('statuses the app has no state for change nothing', () => {
    for (const s of ['charged_back', 'pre_authorized', 'voided', 'something_new']) {
      expect(observeOrder(order({ payment_status: s })).status).toBe('open');
    }
  });
});

describe('Conekta order ownership', () => {
  it('accepts the order of this payment and store in the store’s mode', () => {
    expect(checkOwnership(order(), payment(), false)).toBeNull();
  });
  it('refuses another mode, another payment, another store or another order id', () => {
    expect(checkOwnership(order({ livemode: true }), payment(), false)).toMatchObject({ status: 422 });
    expect(checkOwnership(order(), payment(), true)).toMatchObject({ status: 422 });
    expect(
      checkOwnership(
        order({ metadata: { payment_id: 'OTHERpayment0123456789', ecwid_store_id: '1003' } }),
        payment(),
        false,
      ),
    ).toMatchObject({ status: 409 });
    expect(
      checkOwnership(
        order({ metadata: { payment_id: 'PAYMENTid0123456789abcd', ecwid_store_id: '2002' } }),
        payment(),
        false,
      ),
    ).toMatchObject({ status: 409 });
    expect(checkOwnership(order({ metadata: null }), payment(), false)).toMatchObject({ status: 409 });
    expect(checkOwnership(order({ id: 'ord_other' }), payment(), false)).toMatchObject({ status: 409 });
  });
});

describe('Conekta errors', () => {
  it('keep Conekta’s message and log_id, classified by status', () => {
    const body = {
      object: 'error',
      type: 'parameter_validation_error',
      log_id: '641b1c2f8e0f4a0001a1b2c3',
      details: [
        {
          message: 'El parámetro line_items es inválido.',
          debug_message: 'x',
          param: 'line_items',
          code: 'c',
        },
      ],
    };
    const e = describeError(422, body, 'POST /orders');
    expect(e).toMatchObject({
      kind: 'rejected',
      status: 422,
      logId: '641b1c2f8e0f4a0001a1b2c3',
      param: 'line_items',
    });
    expect(e.message).toBe(
      'Conekta answered 422 parameter_validation_error to POST /orders: El parámetro line_items es inválido. (log_id 641b1c2f8e0f4a0001a1b2c3)',
    );
    expect(describeError(401, body, 'GET /orders/:id').kind).toBe('unauthorized');
    expect(describeError(404, body, 'GET /orders/:id').kind).toBe('not_found');
    expect(describeError(429, body, 'GET /orders/:id').kind).toBe('unavailable');
    expect(describeError(503, '<html>', 'GET /orders/:id')).toMatchObject({
      kind: 'unavailable',
      message: 'Conekta answered 503 to GET /orders/:id',
    });
  });

  it('never pass a key, an email or a phone number from Conekta’s text into the message', () => {
    const e = describeError(
      422,
      {
        details: [{ message: 'key_AbC123xyz no vale para ana@example.mx ni +52 55 1234 5678' }],
        log_id: 'l1',
      },
      'POST /orders',
    );
    expect(e.message).not.toMatch(/AbC123xyz|ana@example\.mx|1234 5678/);
    expect(e.message).toContain('key_[redacted]');
  });
});
