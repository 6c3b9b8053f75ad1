import request from 'supertest';
import { createLogger } from '../../src/logger';
import { findPayment } from '../../src/payments/repository';
import { LogCapture } from '../support/app';
import { testDatabases } from '../support/db';
import { simulatedEcartPay, type EcartPayHarness } from '../support/ecartpay';
import { eventually } from '../support/flow';
import { startHarness, type EcwidOrderRef } from '../support/harness';

const KEYS = {
  publicKey: 'pub_flow_test_9f8e7d6c',
  privateKey: 'prv_flow_test_5b4a3c2d1e',
  webhookSecret: 'whsec_flow_test_0a1b2c3d',
};

describe.each(testDatabases())(
  'Ecart Pay journey through the Ecart Pay and Ecwid simulators on %s',
  (kind) => {
    let h: EcartPayHarness;
    const providerLogs = new LogCapture();

    beforeAll(async () => {
      h = await startHarness(
        kind,
        simulatedEcartPay({ ...KEYS, logger: createLogger({ level: 'debug', destination: providerLogs }) }),
      );
    });
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      await h.reset();
      h.sim.state.retryDelaysMs = [50, 50, 50];
      h.provider.client.forgetTokens();
    });

    /** The shopper follows the loading page: the app creates the Ecart order and 303s to its pay_link. */
    async function openEcart(paymentId: string) {
      const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
      expect(res.status).toBe(303);
      const location = String(res.headers.location);
      const orderId = new URL(location).searchParams.get('id')!;
      const order = h.sim.state.getOrder(orderId);
      if (!order) throw new Error(`no Ecart order behind ${location}`);
      return { location, orderId, order };
    }

    /** The shopper clicks a button on Ecart's page; returns where Ecart sends them. */
    async function clickOnEcart(orderId: string, action: 'approve' | 'decline' | 'cancel') {
      const res = await request(h.sim.url)
        .post(`/checkout/${orderId}`)
        .type('form')
        .send({ action, lang: 'es' });
      expect(res.status).toBe(303);
      return String(res.headers.location);
    }

    /** Ecart's redirect lands on the app's /return/:paymentId; the app answers with the way back. */
    async function followReturn(location: string) {
      const url = new URL(location);
      expect(url.origin).toBe(h.app.url);
      return request(h.app.url).get(url.pathname + url.search);
    }

    const paymentState = async (paymentId: string) => (await findPayment(h.t.db, paymentId))!.state;
    const ecwidOrder = (json: EcwidOrderRef) => h.ecwidOrder(json)!;
    const ecwidUpdates = (json: EcwidOrderRef) =>
      h
        .ecwidUpdates(json)
        .filter((u) => u.status === 200)
        .map((u) => u.body);

    it('pays: exact one-line order, shopper on pay_link as returned, signed notification → PAID, return → exact returnUrl', async () => {
      // A guest: a logged-in shopper's order is for an Ecart customer (saved cards).
      const { json, paymentId } = await h.flow.start({
        currency: 'MXN',
        total: 1234.56,
        lang: 'es',
        customerId: null,
      });
      const { location, orderId, order } = await openEcart(paymentId);
      expect(location).toBe(order.pay_link);

      const [created] = h.sim.state.callsTo('createOrder');
      expect(created!.body).toEqual({
        currency: 'MXN',
        email: json.cart.order.email,
        first_name: json.cart.order.billingPerson!.firstName,
        last_name: json.cart.order.billingPerson!.lastName,
        phone: json.cart.order.billingPerson!.phone!.replace(/\D/g, ''),
        items: [{ name: `Pedido ${json.cart.order.id}`, quantity: 1, price: 1234.56 }],
        notify_url: `${h.app.url}/webhooks/ecartpay/${paymentId}`,
        redirect_url: `${h.app.url}/return/${paymentId}`,
      });
      expect(order.totals.total).toBe(1234.56);

      const page = await request(h.sim.url).get(new URL(location).pathname + new URL(location).search);
      expect(page.text).toContain('id="ecartpay-approve"');

      const back = await clickOnEcart(orderId, 'approve');
      expect(back).toBe(`${h.app.url}/return/${paymentId}`);
      await eventually(() =>
        expect(h.sim.state.notificationsFor(orderId)).toMatchObject([
          { outcome: 'delivered', httpStatus: 200, responseBody: { result: 'applied', state: 'paid' } },
        ]),
      );
      // The notification was acted upon only after asking Ecart.
      expect(h.sim.state.callsTo('getOrder').map((c) => c.path)).toContain(`/orders/${orderId}`);

      const ret = await followReturn(back);
      expect(ret.status).toBe(303);
      expect(ret.headers.location).toBe(json.returnUrl);
      expect(ecwidOrder(json)).toMatchObject({ paymentStatus: 'PAID', externalTransactionId: orderId });
      expect(ecwidUpdates(json)).toEqual([{ paymentStatus: 'PAID', externalTransactionId: orderId }]);
    });

    it('declined on Ecart’s page: INCOMPLETE in Ecwid, shopper back to returnUrl with a localised errorMsg', async () => {
      const { json, paymentId } = await h.flow.start({ currency: 'USD', total: 49.9, lang: 'en' });
      const { orderId } = await openEcart(paymentId);
      const back = await clickOnEcart(orderId, 'decline');
      await eventually(async () => expect(await paymentState(paymentId)).toBe('failed'));
      const ret = await followReturn(back);
      expect(ret.status).toBe(303);
      const location = new URL(String(ret.headers.location));
      expect(location.searchParams.get('errorMsg')).toBe(
        'The payment was not completed. You can try again or choose another payment method.',
      );
      const original = new URL(json.returnUrl);
      location.searchParams.delete('errorMsg');
      expect(location.toString()).toBe(original.toString());
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('INCOMPLETE'));
      expect(ecwidUpdates(json)).toEqual([
        {
          paymentStatus: 'INCOMPLETE',
          externalTransactionId: orderId,
          paymentMessage: 'Ecart Pay: payment declined',
        },
      ]);
    });

    it('cancelled on Ecart’s page: the payment is cancelled, Ecwid INCOMPLETE', async () => {
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 10 });
      const { orderId } = await openEcart(paymentId);
      const back = await clickOnEcart(orderId, 'cancel');
      const ret = await followReturn(back);
      expect(ret.status).toBe(303);
      expect(new URL(String(ret.headers.location)).searchParams.get('errorMsg')).toContain(
        'El pago no se completó',
      );
      expect(await paymentState(paymentId)).toBe('cancelled');
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('INCOMPLETE'));
    });

    it('a duplicated notification (same webhook id) applies once: one transition, one Ecwid PAID', async () => {
      h.sim.state.duplicateNextNotifications(1);
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 250 });
      const { orderId } = await openEcart(paymentId);
      await clickOnEcart(orderId, 'approve');
      const deliveries = await eventually(() => {
        const sent = h.sim.state.notificationsFor(orderId);
        expect(sent.map((n) => n.outcome)).toEqual(['delivered', 'delivered']);
        return sent;
      });
      expect(deliveries[0]!.webhookId).toBe(deliveries[1]!.webhookId);
      const results = deliveries.map((d) => d.responseBody as { result?: string; ignored?: string });
      expect(results).toEqual(
        expect.arrayContaining([
          { ok: true, result: 'applied', state: 'paid' },
          { ok: true, ignored: 'webhook id already received' },
        ]),
      );
      await eventually(() =>
        expect(ecwidUpdates(json)).toEqual([{ paymentStatus: 'PAID', externalTransactionId: orderId }]),
      );
      expect(await h.t.db.query("SELECT * FROM payment_events WHERE kind = 'transition'")).toHaveLength(1);
      await h.app.sync.runOnce();
      expect(h.ecwidUpdates(json)).toHaveLength(1);
    });

    it('a lost notification is resolved by the shopper’s return: Ecart is asked, Ecwid PAID before the redirect', async () => {
      h.sim.state.loseNextNotifications(1);
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 777.77 });
      const { orderId } = await openEcart(paymentId);
      const back = await clickOnEcart(orderId, 'approve');
      expect(h.sim.state.notificationsFor(orderId)).toMatchObject([{ outcome: 'lost' }]);
      expect(await paymentState(paymentId)).toBe('checkout_open');
      await h.app.sync.stop(); // only the return's own delivery can update Ecwid
      try {
        const ret = await followReturn(back);
        expect(ret.status).toBe(303);
        expect(ret.headers.location).toBe(json.returnUrl);
        expect(ecwidOrder(json).paymentStatus).toBe('PAID');
      } finally {
        h.app.sync.start();
      }
    });

    it('a lost notification is resolved by reconciliation when the shopper never comes back', async () => {
      h.sim.state.loseNextNotifications(1);
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 88.8 });
      const fresh = await h.flow.start({ currency: 'MXN', total: 99.9 });
      const { orderId } = await openEcart(paymentId);
      await openEcart(fresh.paymentId);
      await clickOnEcart(orderId, 'approve');
      await h.t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id = $1", [
        paymentId,
      ]);
      expect(await h.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
      expect(await paymentState(paymentId)).toBe('paid');
      expect(await paymentState(fresh.paymentId)).toBe('checkout_open');
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('PAID'));
      // The shopper's late return goes straight to the store.
      const ret = await request(h.app.url).get(`/return/${paymentId}`);
      expect(ret.headers.location).toBe(json.returnUrl);
    });

    it('a delayed notification after the return changes nothing more', async () => {
      h.sim.state.notificationDelayMs = 300;
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 321 });
      const { orderId } = await openEcart(paymentId);
      const back = await clickOnEcart(orderId, 'approve');
      const ret = await followReturn(back);
      expect(ret.headers.location).toBe(json.returnUrl);
      await eventually(() =>
        expect(h.sim.state.notificationsFor(orderId)).toMatchObject([
          { outcome: 'delivered', responseBody: { result: 'unchanged', state: 'paid' } },
        ]),
      );
      await eventually(() => expect(ecwidUpdates(json)).toHaveLength(1));
    });

    it('an expired token mid-flow is replaced transparently (notification re-fetch and return)', async () => {
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 150 });
      const { orderId } = await openEcart(paymentId);
      expect(h.sim.state.callsTo('token')).toHaveLength(1);
      h.sim.state.expireAllTokens();
      const back = await clickOnEcart(orderId, 'approve');
      await eventually(async () => expect(await paymentState(paymentId)).toBe('paid'));
      expect(h.sim.state.callsTo('token')).toHaveLength(2);
      expect(h.sim.state.callsTo('getOrder').map((c) => [c.auth, c.status])).toEqual([
        ['expired', 401],
        ['ok', 200],
      ]);
      // Again before the return: its status pull also refreshes and goes on.
      h.sim.state.expireAllTokens();
      const ret = await followReturn(back);
      expect(ret.headers.location).toBe(json.returnUrl);
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('PAID'));
    });

    it('Ecart’s API down when the notification comes: 503 (never 4xx), Ecart retries with the same webhook id, the retry applies', async () => {
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 640 });
      const { orderId } = await openEcart(paymentId);
      h.sim.state.failNext(1, 502, 'getOrder');
      await clickOnEcart(orderId, 'approve');
      const sent = await eventually(() => {
        const n = h.sim.state.notificationsFor(orderId);
        expect(n.map((x) => [x.outcome, x.httpStatus])).toEqual([
          ['error', 503],
          ['delivered', 200],
        ]);
        return n;
      });
      expect(sent[0]!.webhookId).toBe(sent[1]!.webhookId);
      expect(sent[1]!.responseBody).toMatchObject({ result: 'applied', state: 'paid' });
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('PAID'));
    });

    it('a second "Go to Payment" reuses the open Ecart order and pay_link', async () => {
      const first = await h.flow.start({
        currency: 'MXN',
        total: 55,
        referenceTransactionId: 'transaction_ecart_again',
      });
      const a = await openEcart(first.paymentId);
      const again = await h.flow.start({
        currency: 'MXN',
        total: 55,
        referenceTransactionId: 'transaction_ecart_again',
      });
      expect(again.paymentId).toBe(first.paymentId);
      const b = await openEcart(again.paymentId);
      expect(b.location).toBe(a.location);
      expect(h.sim.state.callsTo('createOrder')).toHaveLength(1);
      // The shopper pays and lands on the latest returnUrl.
      const back = await clickOnEcart(b.orderId, 'approve');
      await eventually(async () => expect(await paymentState(first.paymentId)).toBe('paid'));
      expect((await followReturn(back)).headers.location).toBe(again.json.returnUrl);
    });

    it('refund: the provider refunds at Ecart; Ecart’s notification moves the payment and Ecwid', async () => {
      const { json, paymentId } = await h.flow.start({ currency: 'MXN', total: 500 });
      const { orderId } = await openEcart(paymentId);
      await clickOnEcart(orderId, 'approve');
      await eventually(async () => expect(await paymentState(paymentId)).toBe('paid'));
      const payment = (await findPayment(h.t.db, paymentId))!;

      const partial = await h.provider.refund({
        payment,
        providerSecrets: {},
        store: { storeId: payment.storeId },
        amount: { amount: 12_345, currency: 'MXN' },
      });
      expect(partial).toEqual({
        ok: true,
        observation: {
          status: 'partially_refunded',
          amount: { amount: 50_000, currency: 'MXN' },
          externalTransactionId: orderId,
          refundedAmount: 12_345,
        },
      });
      expect(h.sim.state.callsTo('refund')[0]!.body).toEqual({ amount: 123.45, reason: 'requested' });
      await eventually(async () => expect(await paymentState(paymentId)).toBe('partially_refunded'));
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('PARTIALLY_REFUNDED'));

      const tooMuch = await h.provider.refund({
        payment,
        providerSecrets: {},
        store: { storeId: payment.storeId },
        amount: { amount: 50_001, currency: 'MXN' },
      });
      expect(tooMuch).toMatchObject({ ok: false, error: { kind: 'rejected' } });
      const rest = await h.provider.refund({
        payment: { ...payment, refundedAmount: 12_345 },
        providerSecrets: {},
        store: { storeId: payment.storeId },
        amount: { amount: 37_655, currency: 'MXN' },
      });
      expect(rest).toMatchObject({ ok: true, observation: { status: 'refunded', refundedAmount: 50_000 } });
      await eventually(() => expect(ecwidOrder(json).paymentStatus).toBe('REFUNDED'));
    });

    it('keeps the Ecart keys, tokens, webhook secret and Ecwid store token out of every log line', async () => {
      const storeToken = 'secret_ecartLogProbe7f3a9';
      // A paid flow with a token expiry, a decline, an API failure and a forged notification.
      const paid = await h.flow.start({ currency: 'MXN', total: 432.1, token: storeToken });
      const a = await openEcart(paid.paymentId);
      h.sim.state.expireAllTokens();
      h.sim.state.failNext(1, 500, 'getOrder');
      await clickOnEcart(a.orderId, 'approve');
      await eventually(async () => expect(await paymentState(paid.paymentId)).toBe('paid'));
      await followReturn(`${h.app.url}/return/${paid.paymentId}`);

      const declined = await h.flow.start({ currency: 'MXN', total: 12.34, token: storeToken });
      const b = await openEcart(declined.paymentId);
      await clickOnEcart(b.orderId, 'decline');
      await eventually(async () => expect(await paymentState(declined.paymentId)).toBe('failed'));
      const forged = await request(h.app.url)
        .post(`/webhooks/ecartpay/${declined.paymentId}`)
        .set('Content-Type', 'application/json')
        .set('x-pay-signature', `SHA256=${'ab'.repeat(32)}`)
        .set('x-pay-timestamp', String(Date.now()))
        .set('x-pay-webhook-id', 'hook_forged')
        .send(JSON.stringify({ data: { id: b.orderId, status: 'paid' } }));
      expect(forged.status).toBe(401);
      h.sim.state.failNext(1, 500, 'createOrder');
      const third = await h.flow.start({ currency: 'MXN', total: 1, token: storeToken });
      expect((await request(h.app.url).get(`/pay/${third.paymentId}/checkout`)).status).toBe(502);
      await eventually(() => expect(ecwidOrder(paid.json).paymentStatus).toBe('PAID'));

      const secrets = [
        KEYS.publicKey,
        KEYS.privateKey,
        Buffer.from(`${KEYS.publicKey}:${KEYS.privateKey}`).toString('base64'),
        KEYS.webhookSecret,
        storeToken,
        ...h.sim.state.issuedTokens,
        ...h.sim.state.issuedTokens.map((tok) => tok.split('.')[2]!),
      ];
      expect(h.sim.state.issuedTokens.length).toBeGreaterThanOrEqual(2);
      const logs = `${h.app.logs.text}\n${providerLogs.text}`;
      expect(logs).toContain(paid.paymentId);
      expect(providerLogs.text).toContain('requesting an Ecart Pay API token');
      expect(logs).toContain('signature refused (mismatch)');
      for (const secret of secrets) expect(logs).not.toContain(secret);
      // Nor in any URL the shopper was sent to.
      for (const order of h.sim.state.listOrders()) {
        for (const secret of secrets)
          expect(order.pay_link + (order.notify_url ?? '') + (order.redirect_url ?? '')).not.toContain(
            secret,
          );
      }
    });
  },
);
