import type { Payment } from '../../../src/payments/model';
import type { ConektaClient, ConektaResult } from '../../../src/providers/conekta/client';
import { createConektaProvider } from '../../../src/providers/conekta/provider';
import { ORDER_MARKER, type ConektaOrder } from '../../../src/providers/conekta/schemas';
import type { NotificationLookup, StoreContext } from '../../../src/providers/types';

const PAYMENT_ID = 'PAYMENTid0123456789abcd';
const NOW = 1_760_000_000_000;

const payment = (over: Partial<Payment> = {}): Payment => ({
  id: PAYMENT_ID,
  storeId: 1003,
  referenceTransactionId: 'transaction_1',
  ecwidOrderId: 'XJ12H',
  attempt: 1,
  total: { amount: 20015, currency: 'MXN' },
  state: 'checkout_open',
  lang: 'es',
  returnUrl: 'https://store.example/return',
  provider: 'conekta',
  providerReference: 'ord_known',
  providerSecretsSealed: null,
  checkoutUrl: null,
  externalTransactionId: null,
  refundedAmount: 0,
  attention: null,
  version: 1,
  createdAt: new Date(NOW),
  updatedAt: new Date(NOW),
  ...over,
});

const conektaOrder = (over: Partial<ConektaOrder> = {}): ConektaOrder => ({
  id: 'ord_known',
  amount: 20015,
  currency: 'MXN',
  livemode: false,
  payment_status: 'paid',
  metadata: { payment_id: PAYMENT_ID, ecwid_store_id: '1003', integration: ORDER_MARKER },
  charges: { data: [{ id: 'ch_1', status: 'paid', amount: 20015 }] },
  checkout: { url: 'https://pay.conekta.com/checkout/abc' },
  ...over,
});

/** A client whose answers the test sets; calls are counted. */
function stubClient(answers: { order?: () => ConektaResult<ConektaOrder> } = {}) {
  const calls: string[] = [];
  const ok = <T>(value: T): ConektaResult<T> => ({ ok: true, value });
  const client: ConektaClient = {
    async createOrder(call) {
      calls.push(`create:${call.privateKey}:${call.lang}`);
      return answers.order?.() ?? ok(conektaOrder({ payment_status: undefined }));
    },
    async getOrder(call, id) {
      calls.push(`get:${id}:${call.privateKey}`);
      return answers.order?.() ?? ok(conektaOrder());
    },
    async createRefund() {
      calls.push('refund');
      return ok(conektaOrder());
    },
    async listWebhooks() {
      calls.push('list');
      return ok([]);
    },
    async createWebhook(_call, url) {
      calls.push('createWebhook');
      return ok({ id: 'wh_1', url });
    },
  };
  return { client, calls };
}

const store: StoreContext = { storeId: 1003 };

function lookup(
  found: Payment | null,
  byId: Payment | null = null,
): NotificationLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async byProviderReference(ref) {
      calls.push(`ref:${ref}`);
      return found && found.providerReference === ref ? { payment: found, providerSecrets: {}, store } : null;
    },
    async byId(id) {
      calls.push(`id:${id}`);
      return byId && byId.id === id ? { payment: byId, providerSecrets: {}, store } : null;
    },
  };
}

const event = (over: Record<string, unknown> = {}, object: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      id: 'evt_1',
      object: 'event',
      type: 'order.paid',
      livemode: false,
      created_at: NOW / 1000,
      data: {
        object: { id: 'ord_known', object: 'order', payment_status: 'paid', ...object },
        previous_attributes: {},
      },
      ...over,
    }),
  );

describe('Conekta provider: credentials', () => {
  it('uses the environment defaults, and is not offered without a key or outside MXN', () => {
    const p = createConektaProvider({ privateKey: 'key_env', client: stubClient().client });
    expect(p.credentialsFor(store)).toEqual({
      privateKey: 'key_env',
      livemode: false,
      allowedPaymentMethods: ['card', 'cash', 'bank_transfer'],
      checkoutLifetimeSeconds: 86_400,
      source: 'environment',
    });
    expect(p.supportsCurrency('MXN', store)).toBe(true);
    expect(p.supportsCurrency('USD', store)).toBe(false);
    const none = createConektaProvider({ client: stubClient().client });
    expect(none.credentialsFor(store)).toBeNull();
    expect(none.supportsCurrency('MXN', store)).toBe(false);
  });

  it('a store’s own settings win over the defaults; incomplete ones mean "not offered"', () => {
    const p = createConektaProvider({ privateKey: 'key_env', client: stubClient().client });
    const own: StoreContext = {
      storeId: 7,
      providers: {
        conekta: {
          mode: 'production',
          credentials: { privateKey: 'key_store' },
          currencies: [],
          options: { allowedMethods: ['card'], checkoutLifetimeHours: 48 },
        },
      },
    };
    expect(p.credentialsFor(own)).toEqual({
      privateKey: 'key_store',
      livemode: true,
      allowedPaymentMethods: ['card'],
      checkoutLifetimeSeconds: 48 * 3600,
      source: 'store',
    });
    const incomplete: StoreContext = {
      storeId: 7,
      providers: { conekta: { mode: 'sandbox', credentials: null, currencies: [], options: {} } },
    };
    expect(p.credentialsFor(incomplete)).toBeNull();
    expect(p.supportsCurrency('MXN', incomplete)).toBe(false);
  });

  it('refuses settings Conekta cannot use', () => {
    expect(() => createConektaProvider({ checkoutLifetimeSeconds: 60 })).toThrow(/checkoutLifetimeSeconds/);
    expect(() => createConektaProvider({ allowedPaymentMethods: [] })).toThrow(/allowedPaymentMethods/);
  });
});

describe('Conekta provider: checkout answer checks', () => {
  const input = {
    payment: payment({ state: 'created', providerReference: null }),
    order: { ecwidOrderId: 'XJ12H', items: [] },
    store,
    returnUrl: `https://app.example/return/${PAYMENT_ID}`,
    notificationUrl: 'unused',
    lang: 'en' as const,
  };

  it('sends the shopper’s language and the key, and redirects to checkout.url as returned', async () => {
    const stub = stubClient();
    const p = createConektaProvider({ privateKey: 'key_env', client: stub.client, now: () => NOW });
    const result = await p.createCheckout(input);
    expect(result).toEqual({
      ok: true,
      redirectUrl: 'https://pay.conekta.com/checkout/abc',
      providerReference: 'ord_known',
    });
    expect(stub.calls).toEqual(['create:key_env:en']);
  });

  it('refuses an order Conekta created for another amount, mode or payment, or without a URL', async () => {
    const cases: [Partial<ConektaOrder>, string][] = [
      [{ amount: 20000 }, 'amount_mismatch'],
      [{ currency: 'USD' }, 'amount_mismatch'],
      [{ livemode: true }, 'misconfigured'],
      [{ metadata: { payment_id: 'someoneElse', ecwid_store_id: '1003' } }, 'invalid_response'],
      [{ checkout: { url: 'javascript:alert(1)' } }, 'invalid_response'],
      [{ checkout: null }, 'invalid_response'],
    ];
    for (const [over, kind] of cases) {
      const p = createConektaProvider({
        privateKey: 'key_env',
        client: stubClient({ order: () => ({ ok: true, value: conektaOrder(over) }) }).client,
      });
      const result = await p.createCheckout(input);
      expect(result.ok ? 'ok' : result.error.kind).toBe(kind);
    }
  });

  it('does not call Conekta without a key or for another currency', async () => {
    const stub = stubClient();
    const none = createConektaProvider({ client: stub.client });
    expect(await none.createCheckout(input)).toMatchObject({ ok: false, error: { kind: 'misconfigured' } });
    const p = createConektaProvider({ privateKey: 'key_env', client: stub.client });
    const usd = { ...input, payment: payment({ total: { amount: 100, currency: 'USD' } }) };
    expect(await p.createCheckout(usd)).toMatchObject({ ok: false, error: { kind: 'rejected' } });
    expect(stub.calls).toEqual([]);
  });
});

describe('Conekta provider: notifications', () => {
  const provider = (stub = stubClient()) =>
    createConektaProvider({ privateKey: 'key_env', client: stub.client, now: () => NOW });

  it('acknowledges a webhook_ping and events it does not use, without calling Conekta', async () => {
    const stub = stubClient();
    const p = provider(stub);
    const l = lookup(payment());
    const ping = await p.parseNotification({
      headers: {},
      rawBody: event({ type: 'webhook_ping', data: {} }),
      lookup: l,
    });
    expect(ping).toEqual({ kind: 'ignore', reason: 'webhook_ping' });
    const charge = await p.parseNotification({
      headers: {},
      rawBody: event({ type: 'charge.paid' }),
      lookup: l,
    });
    expect(charge.kind).toBe('ignore');
    expect(stub.calls).toEqual([]);
    expect(l.calls).toEqual([]);
  });

  it('refuses bodies that are not a Conekta order event', async () => {
    const p = provider();
    const l = lookup(payment());
    for (const raw of [
      '{"type":',
      '[]',
      '{"no":"type"}',
      JSON.stringify({ type: 'order.paid', data: { object: { id: '../x' } } }),
    ]) {
      const r = await p.parseNotification({ headers: {}, rawBody: Buffer.from(raw), lookup: l });
      expect(r).toMatchObject({ kind: 'reject', status: 400 });
    }
  });

  it('acts only on the re-fetched order, with the store’s key', async () => {
    const stub = stubClient({
      order: () => ({ ok: true, value: conektaOrder({ payment_status: 'declined', charges: { data: [] } }) }),
    });
    const r = await provider(stub).parseNotification({
      headers: {},
      rawBody: event(),
      lookup: lookup(payment()),
    });
    expect(r).toMatchObject({
      kind: 'observation',
      paymentId: PAYMENT_ID,
      observation: { status: 'failed' },
    });
    expect(stub.calls).toEqual(['get:ord_known:key_env']);
  });

  it('asks for a retry when Conekta cannot be asked or the lookup fails', async () => {
    const down = stubClient({
      order: () => ({ ok: false, error: { kind: 'unavailable', message: 'Conekta unreachable' } }),
    });
    expect(
      await provider(down).parseNotification({ headers: {}, rawBody: event(), lookup: lookup(payment()) }),
    ).toMatchObject({
      kind: 'retry',
    });
    const broken: NotificationLookup = {
      byId: async () => null,
      byProviderReference: async () => {
        throw new Error('database is down');
      },
    };
    expect(await provider().parseNotification({ headers: {}, rawBody: event(), lookup: broken })).toEqual({
      kind: 'retry',
      reason: 'payment lookup failed: database is down',
    });
  });

  describe('orders not recorded here', () => {
    const ours = {
      id: 'ord_unknown',
      metadata: { integration: ORDER_MARKER, payment_id: PAYMENT_ID },
      created_at: NOW / 1000 - 5,
    };

    it('without the app’s marker: acknowledged, nobody asked', async () => {
      const stub = stubClient();
      const r = await provider(stub).parseNotification({
        headers: {},
        rawBody: event({}, { id: 'ord_unknown', metadata: { shop: 'another' } }),
        lookup: lookup(payment()),
      });
      expect(r.kind).toBe('ignore');
      expect(stub.calls).toEqual([]);
    });

    it('with the marker, fresh, for a payment not yet recorded with it: retried (503)', async () => {
      const r = await provider().parseNotification({
        headers: {},
        rawBody: event({}, ours),
        lookup: lookup(null, null),
      });
      expect(r.kind).toBe('retry');
    });

    it('with the marker but naming a payment that has another order: acknowledged', async () => {
      const r = await provider().parseNotification({
        headers: {},
        rawBody: event({}, ours),
        lookup: lookup(null, payment({ providerReference: 'ord_known' })),
      });
      expect(r).toMatchObject({ kind: 'ignore', reason: expect.stringContaining('not the Conekta order') });
    });

    it('with the marker but older than the retry window: acknowledged', async () => {
      const old = { ...ours, created_at: NOW / 1000 - 2 * 3600 };
      const r = await provider().parseNotification({
        headers: {},
        rawBody: event({}, old),
        lookup: lookup(null),
      });
      expect(r.kind).toBe('ignore');
    });
  });
});

describe('Conekta provider: webhook registration', () => {
  it('creates the webhook once and reports an existing one', async () => {
    const registered: string[] = [];
    const stub = stubClient();
    stub.client.listWebhooks = async (_call, url) => ({
      ok: true,
      value: registered.filter((u) => u === url).map((u) => ({ id: 'wh', url: u })),
    });
    stub.client.createWebhook = async (_call, url) => {
      registered.push(url);
      return { ok: true, value: { id: 'wh', url } };
    };
    const p = createConektaProvider({ privateKey: 'key_env', client: stub.client });
    expect(await p.registerWebhook(store, 'https://app.example/webhooks/conekta')).toEqual({
      ok: true,
      created: true,
    });
    expect(await p.registerWebhook(store, 'https://app.example/webhooks/conekta')).toEqual({
      ok: true,
      created: false,
    });
    expect(registered).toEqual(['https://app.example/webhooks/conekta']);
  });
});
