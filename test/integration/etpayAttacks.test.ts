import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { attemptClaims, type SimAttempt, type SimSession } from '../../src/sandbox/etpay/state';
import { testDatabases } from '../support/db';
import { clickFunnel, openFunnel, simulatedEtpay, type EtpayHarness } from '../support/etpay';
import { startHarness } from '../support/harness';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(testDatabases())('ETpay notifications: bad input and attacks on %s', (kind) => {
  let h: EtpayHarness;

  beforeAll(async () => {
    h = await startHarness(kind, simulatedEtpay({ timeoutMs: 300 }));
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
  });

  /** An open ETpay payment with its session, ready to receive notifications. */
  async function openPayment(total = 10000) {
    const started = await h.flow.start({ currency: 'CLP', total });
    const { session, funnelUrl } = await openFunnel(h, started.paymentId);
    return { ...started, session, funnelUrl };
  }

  /** A plausible successful attempt of the session (what ETpay would sign). */
  function successClaims(session: SimSession, overrides: Record<string, unknown> = {}) {
    const attempt: SimAttempt = {
      paymentToken: `pt_${session.token.slice(0, 8)}`,
      status: 'success',
      bankCode: 'cl_bch',
      bankName: 'Banco de Chile',
      reason: '',
      code: '',
      paymentDate: '31-01-2030 18:07:34',
      amount: session.orderAmount,
      currency: session.currency,
    };
    return { ...attemptClaims(session, attempt), ...overrides };
  }

  const sign = (claims: Record<string, unknown>, key: string, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(key));

  const post = (paymentId: string | null, body: string | object, contentType = 'application/json') =>
    request(h.app.url)
      .post(paymentId ? `/webhooks/etpay/${paymentId}` : '/webhooks/etpay')
      .set('Content-Type', contentType)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  /** Nothing moved: still open, no transition, nothing for Ecwid. */
  async function expectUnchanged(paymentId: string) {
    const [row] = await h.t.db.query<{ state: string; external_transaction_id: string | null }>(
      'SELECT state, external_transaction_id FROM payments WHERE id = $1',
      [paymentId],
    );
    expect(row).toEqual({ state: 'checkout_open', external_transaction_id: null });
    expect(
      await h.t.db.query("SELECT 1 FROM payment_events WHERE payment_id = $1 AND kind = 'transition'", [
        paymentId,
      ]),
    ).toHaveLength(0);
    expect(await h.t.db.query('SELECT 1 FROM ecwid_updates WHERE payment_id = $1', [paymentId])).toHaveLength(
      0,
    );
  }

  it('control: a correctly signed notification is accepted (so the refusals below are about what they change)', async () => {
    const p = await openPayment();
    const res = await post(p.paymentId, {
      payment: await sign(successClaims(p.session), p.session.signatureToken),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'applied', state: 'paid' });
  });

  it('refuses a notification signed with another key (401)', async () => {
    const p = await openPayment();
    const jwt = await sign(successClaims(p.session), 'an-attacker-key-that-is-long-enough-0123456789');
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'notification_refused',
      reason: 'JWT refused (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)',
    });
    await expectUnchanged(p.paymentId);
  });

  it('refuses an unsigned JWT (alg: none)', async () => {
    const p = await openPayment();
    const jwt = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(successClaims(p.session))}.`;
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(401);
    await expectUnchanged(p.paymentId);
  });

  it('refuses HS512 even when signed with the right signature_token (algorithm pinned to HS256)', async () => {
    const p = await openPayment();
    const jwt = await sign(successClaims(p.session), p.session.signatureToken, 'HS512');
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe('JWT refused (ERR_JOSE_ALG_NOT_ALLOWED)');
    await expectUnchanged(p.paymentId);
  });

  it('refuses an RS256 JWT (an attacker’s key pair)', async () => {
    const p = await openPayment();
    const { privateKey } = await generateKeyPair('RS256');
    const jwt = await new SignJWT(successClaims(p.session))
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(privateKey);
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(401);
    await expectUnchanged(p.paymentId);
  });

  it('refuses a valid notification of another payment replayed to this payment’s URL', async () => {
    const paid = await openPayment(10000);
    const target = await openPayment(10000);
    await clickFunnel(paid.funnelUrl, 'approve');
    const [genuine] = h.sim.state.deliveriesFor(paid.session.token);
    expect(genuine).toMatchObject({ status: 200, response: { result: 'applied' } });

    const res = await post(target.paymentId, { payment: genuine!.jwt });
    expect(res.status).toBe(401);
    await expectUnchanged(target.paymentId);
  });

  it('refuses claims naming another session or order, even when signed with this payment’s key (409)', async () => {
    const p = await openPayment();
    const other = await openPayment();
    const otherSession = await post(p.paymentId, {
      payment: await sign(successClaims(other.session), p.session.signatureToken),
    });
    expect(otherSession.status).toBe(409);
    expect(otherSession.body.reason).toMatch(/session_token/);
    const otherOrder = await post(p.paymentId, {
      payment: await sign(
        successClaims(p.session, { merchant_order_id: other.session.merchantOrderId }),
        p.session.signatureToken,
      ),
    });
    expect(otherOrder.status).toBe(409);
    expect(otherOrder.body.reason).toMatch(/merchant_order_id/);
    await expectUnchanged(p.paymentId);
  });

  it('refuses a changed amount (422), recording the mismatch', async () => {
    const p = await openPayment(10000);
    const jwt = await sign(successClaims(p.session, { merchant_amount: 100 }), p.session.signatureToken);
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(422);
    await expectUnchanged(p.paymentId);
    const events = await h.t.db.query<{ detail: { reason: string } | string }>(
      "SELECT detail FROM payment_events WHERE payment_id = $1 AND kind = 'amount_mismatch'",
      [p.paymentId],
    );
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.detail)).toContain('provider reports 100 CLP, payment is 10000 CLP');
  });

  it('refuses a changed currency (422)', async () => {
    const p = await openPayment(10000);
    const jwt = await sign(successClaims(p.session, { merchant_currency: 'MXN' }), p.session.signatureToken);
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(422);
    await expectUnchanged(p.paymentId);
  });

  it('refuses an unknown payment id (404), well-formed or not', async () => {
    const p = await openPayment();
    const jwt = await sign(successClaims(p.session), p.session.signatureToken);
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not-a-payment-id']) {
      const res = await post(id, { payment: jwt });
      expect(res.status).toBe(404);
      expect(res.body.reason).toBe('unknown payment');
    }
    await expectUnchanged(p.paymentId);
  });

  it('refuses a body that is not JSON (400)', async () => {
    const p = await openPayment();
    const jwt = await sign(successClaims(p.session), p.session.signatureToken);
    const res = await post(p.paymentId, `payment=${jwt}`, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe('body is not JSON');
    await expectUnchanged(p.paymentId);
  });

  it('refuses a JSON body without "payment" (400)', async () => {
    const p = await openPayment();
    const jwt = await sign(successClaims(p.session), p.session.signatureToken);
    for (const body of [{}, { jwt }, { payment: 42 }, { payment: 'not a jwt' }, [jwt]]) {
      const res = await post(p.paymentId, body);
      expect(res.status).toBe(400);
    }
    await expectUnchanged(p.paymentId);
  });

  it('refuses malformed claims correctly signed (400)', async () => {
    const p = await openPayment();
    const jwt = await sign(
      { session_token: p.session.token, payment_status: 'success' },
      p.session.signatureToken,
    );
    const res = await post(p.paymentId, { payment: jwt });
    expect(res.status).toBe(400);
    await expectUnchanged(p.paymentId);
  });

  it('on the account-wide URL (no payment id) finds the payment by its session, then verifies with its key', async () => {
    const p = await openPayment();
    const forged = await post(null, {
      payment: await sign(successClaims(p.session), 'an-attacker-key-that-is-long-enough-0123456789'),
    });
    expect(forged.status).toBe(401);
    await expectUnchanged(p.paymentId);
    const unknown = await post(null, {
      payment: await sign(successClaims(p.session, { session_token: 'unknown' }), p.session.signatureToken),
    });
    expect(unknown.status).toBe(404);
    const genuine = await post(null, {
      payment: await sign(successClaims(p.session), p.session.signatureToken),
    });
    expect(genuine.status).toBe(200);
    expect(genuine.body).toMatchObject({ result: 'applied', state: 'paid' });
  });

  it('ETpay timing out at session creation: the retry page, the payment still retryable, nothing half-written', async () => {
    const { paymentId } = await h.flow.start({ currency: 'CLP', total: 5500, lang: 'en' });
    h.sim.state.delayMs = 1_000; // longer than the provider's 300 ms timeout
    const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(502);
    expect(res.text).toContain('The payment provider did not answer. You can try again in a moment.');
    expect(res.text).toContain(`id="retry" href="/pay/${paymentId}/checkout"`);
    const [row] = await h.t.db.query<Record<string, unknown>>(
      'SELECT state, provider, provider_reference, provider_secrets_sealed, checkout_url FROM payments WHERE id = $1',
      [paymentId],
    );
    expect(row).toEqual({
      state: 'created',
      provider: null,
      provider_reference: null,
      provider_secrets_sealed: null,
      checkout_url: null,
    });
    expect(h.app.logs.text).toContain('ETpay did not answer /session/initialize within 300 ms');

    h.sim.state.delayMs = 0;
    const retried = await openFunnel(h, paymentId);
    expect(retried.session.orderAmount).toBe(5500);
  });
});
