import request from 'supertest';
import { signAttempt } from '../../src/sandbox/etpay/state';
import { testDatabases } from '../support/db';
import {
  clickFunnel,
  ETPAY_API_TOKEN,
  ETPAY_MERCHANT_CODE,
  followReturn,
  openFunnel,
  pathOf,
  simulatedEtpay,
  type EtpayHarness,
} from '../support/etpay';
import { eventually } from '../support/flow';
import { startHarness, type EcwidOrderRef } from '../support/harness';

describe.each(testDatabases())('ETpay payment journey over HTTP on %s', (kind) => {
  let h: EtpayHarness;

  beforeAll(async () => {
    h = await startHarness(kind, simulatedEtpay());
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
  });

  const delivered = (json: EcwidOrderRef, status: string) =>
    h
      .ecwidUpdates(json)
      .filter((u) => u.status === 200 && (u.body as { paymentStatus?: string }).paymentStatus === status);
  const transitions = (id: string) =>
    h.t.db.query<{ from_state: string; to_state: string; source: string }>(
      "SELECT from_state, to_state, source FROM payment_events WHERE payment_id = $1 AND kind = 'transition' ORDER BY id",
      [id],
    );

  it('pay: the session carries the order, one Ecwid PUT PAID, the shopper lands on returnUrl exactly', async () => {
    const { json, paymentId } = await h.flow.start({
      currency: 'CLP',
      total: 15990,
      orderId: 'SALE-G01ZG',
      email: 'comprador.unico@example.cl',
    });
    const { funnelUrl, session } = await openFunnel(h, paymentId);

    // What ETpay received.
    expect(session.request).toMatchObject({
      merchant_code: ETPAY_MERCHANT_CODE,
      order_amount: 15990,
      customer_email: 'comprador.unico@example.cl',
      metadata: [{ name: 'Pedido', value: 'SALE-G01ZG', show: true }],
      payment_webhook_url: `${h.app.url}/webhooks/etpay/${paymentId}`,
      payment_completed_url: `${h.app.url}/return/${paymentId}?etpay=completed`,
      payment_cancellation_url: `${h.app.url}/return/${paymentId}?etpay=cancelled`,
      concat: '&',
    });
    expect(session.merchantOrderId).toMatch(/^SALE-G01ZG-1-[a-z0-9]{8}$/);
    expect(session.orderAmount).toBe(15990);
    expect(Number.isInteger(session.request.order_amount)).toBe(true);

    // The funnel is a real page with the buttons browser tests click.
    const page = await request(h.sim.url).get(new URL(funnelUrl).pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Paga con transferencia bancaria');
    for (const id of ['etpay-approve', 'etpay-reject', 'etpay-cancel', 'etpay-bank-cl_bch']) {
      expect(page.text).toContain(`id="${id}"`);
    }
    expect(page.text).toContain('$15.990');
    expect(page.headers['content-security-policy']).toContain(`form-action 'self' ${h.app.url}`);

    const click = await clickFunnel(funnelUrl, 'approve');
    expect(click.status).toBe(303);
    expect(click.location).toMatch(
      new RegExp(`^${h.app.url}/return/${paymentId}\\?etpay=completed&jwt=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`),
    );
    // The notification reached the app (answered 200) before ETpay redirected the shopper.
    const [delivery] = h.sim.state.deliveriesFor(session.token);
    expect(delivery).toMatchObject({ status: 200, response: { ok: true, result: 'applied', state: 'paid' } });

    const back = await followReturn(h, click.location);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(json.returnUrl);

    expect(delivered(json, 'PAID')).toHaveLength(1);
    const attempt = session.attempts[0]!;
    expect(h.ecwidUpdates(json).map((u) => u.body)).toEqual([
      { paymentStatus: 'PAID', externalTransactionId: attempt.paymentToken },
    ]);
    expect(await h.paymentRow(paymentId)).toMatchObject({
      state: 'paid',
      provider: 'etpay',
      provider_reference: session.token,
      external_transaction_id: attempt.paymentToken,
    });
    // The Ecwid simulator accepts the return link it issued: the URL was used unchanged.
    const store = await request(h.ecwid.url).get(pathOf(json.returnUrl));
    expect(store.status).toBe(200);
    expect(store.text).toContain('data-order-status="PAID"');
  });

  it('reject: Ecwid INCOMPLETE with ETpay’s reason, the shopper back on returnUrl with errorMsg', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 8000, lang: 'en' });
    const { funnelUrl, session } = await openFunnel(h, paymentId);
    const click = await clickFunnel(funnelUrl, 'reject');
    expect(click.location).toMatch(new RegExp(`^${h.app.url}/return/${paymentId}\\?etpay=cancelled&jwt=`));
    expect(h.sim.state.deliveriesFor(session.token)[0]).toMatchObject({ status: 200 });

    const back = await followReturn(h, click.location);
    expect(back.status).toBe(303);
    const location = new URL(String(back.headers.location));
    const original = new URL(json.returnUrl);
    expect(location.origin + location.pathname).toBe(original.origin + original.pathname);
    for (const [k, v] of original.searchParams) expect(location.searchParams.get(k)).toBe(v);
    expect(location.searchParams.get('errorMsg')).toBe(
      'The payment was not completed. You can try again or choose another payment method.',
    );
    expect(h.ecwidUpdates(json).map((u) => u.body)).toEqual([
      {
        paymentStatus: 'INCOMPLETE',
        paymentMessage:
          'ETpay: transfer failed (Transferencia rechazada por el banco, code TRANSFER_REJECTED)',
      },
    ]);
    expect((await h.paymentRow(paymentId)).state).toBe('failed');
  });

  it('cancel without any attempt: the cancellation return ends the payment unpaid (no notification exists)', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 4100 });
    const { funnelUrl, session } = await openFunnel(h, paymentId);
    const click = await clickFunnel(funnelUrl, 'cancel');
    expect(click.location).toBe(`${h.app.url}/return/${paymentId}?etpay=cancelled`);
    expect(h.sim.state.deliveriesFor(session.token)).toEqual([]);

    const back = await followReturn(h, click.location);
    expect(back.status).toBe(303);
    expect(new URL(String(back.headers.location)).searchParams.get('errorMsg')).toContain(
      'El pago no se completó',
    );
    expect((await h.paymentRow(paymentId)).state).toBe('cancelled');
    await eventually(() => expect(delivered(json, 'INCOMPLETE')).toHaveLength(1));
  });

  it('the completion return with no attempt at ETpay yet shows the processing page, never paid', async () => {
    const { paymentId } = await h.flow.start({ currency: 'CLP', total: 2500 });
    const { session } = await openFunnel(h, paymentId);
    // A JWT correctly signed for this session claiming success, but ETpay knows no such attempt.
    const forged = await signAttempt(session, {
      paymentToken: 'no-such-attempt',
      status: 'success',
      bankCode: 'cl_bch',
      bankName: 'Banco de Chile',
      reason: '',
      code: '',
      paymentDate: '01-01-2030 10:00:00',
      amount: 2500,
      currency: 'CLP',
    });
    const res = await request(h.app.url).get(`/return/${paymentId}?etpay=completed&jwt=${forged}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Estamos confirmando tu pago');
    expect((await h.paymentRow(paymentId)).state).toBe('checkout_open');
    expect(h.sim.state.apiCalls.map((c) => c.path)).toContain('/merchant/check_payment_status');
  });

  it('lost notification: the shopper’s return asks check_payment_status and settles it', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 12345 });
    const { funnelUrl, session } = await openFunnel(h, paymentId);
    h.sim.state.notifications.drop = 1;
    const click = await clickFunnel(funnelUrl, 'approve');
    expect(h.sim.state.deliveriesFor(session.token)).toEqual([]);
    expect((await h.paymentRow(paymentId)).state).toBe('checkout_open');

    const back = await followReturn(h, click.location);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(json.returnUrl);
    expect(await transitions(paymentId)).toEqual([
      { from_state: 'checkout_open', to_state: 'paid', source: 'etpay:return' },
    ]);
    expect(delivered(json, 'PAID')).toHaveLength(1);
  });

  it('lost notification and no return: reconciliation settles it, once', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 7777 });
    const { funnelUrl } = await openFunnel(h, paymentId);
    const fresh = await h.flow.start({ currency: 'CLP', total: 1111 });
    await openFunnel(h, fresh.paymentId);
    h.sim.state.notifications.drop = 1;
    await clickFunnel(funnelUrl, 'approve'); // the shopper closes the tab: no return
    await h.t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id = $1", [
      paymentId,
    ]);

    expect(await h.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
    expect(await transitions(paymentId)).toEqual([
      { from_state: 'checkout_open', to_state: 'paid', source: 'etpay:reconcile' },
    ]);
    await eventually(() => expect(delivered(json, 'PAID')).toHaveLength(1));
    expect((await h.paymentRow(fresh.paymentId)).state).toBe('checkout_open');
  });

  it('reconciliation leaves a payment open while ETpay has no attempt ([]), and finds a later success among failures', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 5000 });
    const { session } = await openFunnel(h, paymentId);
    const age = () =>
      h.t.db.query(
        "UPDATE payments SET updated_at = now() - interval '1 hour', next_check_at = NULL WHERE id = $1",
        [paymentId],
      );
    await age();
    expect(await h.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 0 });
    expect((await h.paymentRow(paymentId)).state).toBe('checkout_open');

    // Two failed attempts and a success, none notified.
    h.sim.state.notifications.drop = 3;
    h.sim.state.addAttempt(session, { status: 'failed' });
    const paid = h.sim.state.addAttempt(session, { status: 'success' });
    h.sim.state.addAttempt(session, { status: 'failed' });
    await age();
    expect(await h.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
    expect(await h.paymentRow(paymentId)).toMatchObject({
      state: 'paid',
      external_transaction_id: paid.paymentToken,
    });
    await eventually(() => expect(delivered(json, 'PAID')).toHaveLength(1));
  });

  it('duplicate notifications (sent concurrently) apply once and update Ecwid once', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 3000 });
    const { funnelUrl, session } = await openFunnel(h, paymentId);
    h.sim.state.notifications.copies = 4;
    const click = await clickFunnel(funnelUrl, 'approve');
    const deliveries = h.sim.state.deliveriesFor(session.token);
    expect(deliveries).toHaveLength(5);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    expect(deliveries.filter((d) => (d.response as { result?: string }).result === 'applied')).toHaveLength(
      1,
    );
    // And once more later, as a replaying ETpay would: still 200, still nothing new.
    const again = await h.sim.state.resend(session, session.attempts[0]!);
    expect(again).toMatchObject({ status: 200, response: { result: 'unchanged', state: 'paid' } });

    expect((await followReturn(h, click.location)).headers.location).toBe(json.returnUrl);
    expect(await transitions(paymentId)).toHaveLength(1);
    await h.app.sync.runOnce();
    expect(h.ecwidUpdates(json)).toHaveLength(1);
  });

  it('out-of-order notifications: a failed attempt notified after the success changes nothing', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 6500 });
    const { session } = await openFunnel(h, paymentId);
    h.sim.state.notifications.hold = true;
    const failed = h.sim.state.addAttempt(session, { status: 'failed' });
    await h.sim.state.notify(session, failed);
    const paid = h.sim.state.addAttempt(session, { status: 'success' });
    await h.sim.state.notify(session, paid);
    expect(h.sim.state.heldNotifications).toBe(2);

    await h.sim.state.releaseNotifications({ reverse: true });
    const answers = h.sim.state
      .deliveriesFor(session.token)
      .map((d) => [d.paymentToken, d.status, (d.response as { result?: string }).result]);
    expect(answers).toEqual([
      [paid.paymentToken, 200, 'applied'],
      [failed.paymentToken, 200, 'unchanged'],
    ]);
    expect(await transitions(paymentId)).toEqual([
      { from_state: 'checkout_open', to_state: 'paid', source: 'etpay:notification' },
    ]);
    await eventually(() => expect(delivered(json, 'PAID')).toHaveLength(1));
    expect(
      h.ecwidUpdates(json).map((u) => (u.body as { paymentStatus: string }).paymentStatus),
    ).not.toContain('INCOMPLETE');
  });

  it('delayed notification: the return settles the payment first, the late notification changes nothing', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 9100 });
    const { funnelUrl, session } = await openFunnel(h, paymentId);
    h.sim.state.notifications.delayMs = 300;
    const click = await clickFunnel(funnelUrl, 'approve');
    expect(h.sim.state.deliveriesFor(session.token)).toEqual([]);
    expect((await followReturn(h, click.location)).headers.location).toBe(json.returnUrl);

    const late = await eventually(() => {
      const [d] = h.sim.state.deliveriesFor(session.token);
      expect(d?.status).toBe(200);
      return d!;
    });
    expect(late.response).toMatchObject({ result: 'unchanged', state: 'paid' });
    expect(await transitions(paymentId)).toHaveLength(1);
    expect(delivered(json, 'PAID')).toHaveLength(1);
  });

  it('a failed attempt then a successful one in the same session: money that arrives is recorded as paid', async () => {
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 4200 });
    const { funnelUrl } = await openFunnel(h, paymentId);
    await clickFunnel(funnelUrl, 'reject');
    expect((await h.paymentRow(paymentId)).state).toBe('failed');
    const click = await clickFunnel(funnelUrl, 'approve');
    expect((await h.paymentRow(paymentId)).state).toBe('paid');
    expect((await followReturn(h, click.location)).headers.location).toBe(json.returnUrl);
    await eventually(() =>
      expect(h.ecwidUpdates(json).map((u) => (u.body as { paymentStatus: string }).paymentStatus)).toEqual([
        'INCOMPLETE',
        'PAID',
      ]),
    );
    // The session takes no more transfers.
    expect((await clickFunnel(funnelUrl, 'approve')).status).toBe(409);
  });

  it('re-entry of an open payment reuses its ETpay session', async () => {
    const first = await h.flow.start({
      currency: 'CLP',
      total: 2000,
      referenceTransactionId: 'transaction_reentry',
    });
    const a = await openFunnel(h, first.paymentId);
    const again = await h.flow.start({
      currency: 'CLP',
      total: 2000,
      referenceTransactionId: 'transaction_reentry',
    });
    expect(again.paymentId).toBe(first.paymentId);
    const b = await openFunnel(h, again.paymentId);
    expect(b.funnelUrl).toBe(a.funnelUrl);
    expect(h.sim.state.apiCalls.filter((c) => c.path === '/session/initialize')).toHaveLength(1);
  });

  it('ETpay answering 500 at session creation: a clear retry page, the payment stays retryable, nothing half-written', async () => {
    const { paymentId } = await h.flow.start({ currency: 'CLP', total: 5500 });
    h.sim.state.failNext(1, 500);
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(502);
    expect(res.text).toContain('El medio de pago no respondió');
    expect(res.text).toContain(`id="retry" href="/pay/${paymentId}/checkout"`);
    expect(await h.paymentRow(paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
      provider_secrets_sealed: null,
      checkout_url: null,
    });
    expect(
      await h.t.db.query("SELECT 1 FROM payment_events WHERE payment_id = $1 AND kind = 'checkout_opened'", [
        paymentId,
      ]),
    ).toHaveLength(0);
    expect(h.app.logs.text).toContain('ETpay answered /session/initialize with HTTP 500: Simulated failure');

    // The retry link works once ETpay is back.
    const { funnelUrl } = await openFunnel(h, paymentId);
    expect(funnelUrl.startsWith(h.sim.pmtUrl)).toBe(true);
    expect((await h.paymentRow(paymentId)).state).toBe('checkout_open');
  });

  it('keeps the ETpay API token, signature tokens, session tokens and the store token out of the logs', async () => {
    const storeToken = 'secret_etpayLogProbe_5c2e9a7d1f';
    const { json, paymentId } = await h.flow.start({ currency: 'CLP', total: 4321, token: storeToken });
    const { funnelUrl } = await openFunnel(h, paymentId);
    h.sim.state.notifications.copies = 1;
    const click = await clickFunnel(funnelUrl, 'approve');
    await followReturn(h, click.location);
    // A refused notification and a failing status call log reasons too.
    await request(h.app.url)
      .post(`/webhooks/etpay/${paymentId}`)
      .set('Content-Type', 'application/json')
      .send({ payment: 'e30.e30.AAAA' });
    const other = await h.flow.start({ currency: 'CLP', total: 999 });
    await openFunnel(h, other.paymentId);
    h.sim.state.failNext(1, 503);
    await request(h.app.url).get(`/return/${other.paymentId}`);
    await eventually(() => expect(delivered(json, 'PAID')).toHaveLength(1));

    const logs = h.app.logs.text;
    expect(logs).toContain(paymentId);
    expect(logs).toContain('provider status unavailable');
    const jwts = h.sim.state.deliveries.map((d) => d.jwt);
    expect(jwts.length).toBeGreaterThan(0);
    const secrets = [
      ETPAY_API_TOKEN,
      storeToken,
      ...h.sim.state.sessions.flatMap((s) => [s.signatureToken, s.token]),
      ...jwts,
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
