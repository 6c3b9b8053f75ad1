import type { AddressInfo } from 'node:net';
import express from 'express';
import { createEtpayClient } from '../../src/providers/etpay/client';
import { createEtpayProvider } from '../../src/providers/etpay/provider';
import type { SessionInitializeRequest } from '../../src/providers/etpay/schemas';
import type { Payment } from '../../src/payments/model';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../src/sandbox/etpay/server';

const CODE = 'cl_cliente_pruebas';
const TOKEN = 'client-test-api-token-Zx81Lq0';

const sessionBody = (over: Partial<SessionInitializeRequest> = {}): SessionInitializeRequest => ({
  merchant_code: CODE,
  merchant_api_token: TOKEN,
  merchant_order_id: 'XJ12H-1-abc12345',
  order_amount: 15990,
  ...over,
});

/** A stand-in ETpay answering whatever a test needs (bodies the simulator never sends). */
async function fakeEtpay(answer: (req: express.Request, res: express.Response) => void) {
  const app = express();
  app.use(express.json());
  app.post(/.*/, answer);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('ETpay client against the simulator', () => {
  let sim: RunningEtpaySimulator;
  const client = () => createEtpayClient({ apiUrl: sim.apiUrl, timeoutMs: 500, statusTimeoutMs: 500 });

  beforeAll(async () => {
    sim = await startEtpaySimulator({ merchantCode: CODE, merchantApiToken: TOKEN });
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => sim.state.reset());

  it('creates a session: token and signature_token', async () => {
    const res = await client().initializeSession(sessionBody({ customer_email: 'a@b.cl' }));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const session = sim.state.session(res.value.token)!;
    expect(res.value.signature_token).toBe(session.signatureToken);
    expect(session).toMatchObject({
      merchantOrderId: 'XJ12H-1-abc12345',
      orderAmount: 15990,
      currency: 'CLP',
    });
  });

  it('maps 401 to misconfigured with ETpay’s message, never the token', async () => {
    const res = await createEtpayClient({ apiUrl: sim.apiUrl }).initializeSession(
      sessionBody({ merchant_api_token: 'wrong-token-value' }),
    );
    expect(res).toEqual({
      ok: false,
      error: {
        kind: 'misconfigured',
        status: 401,
        etpayMessage: 'Invalid merchant credentials',
        message:
          'ETpay refused the merchant credentials at /session/initialize (HTTP 401): Invalid merchant credentials',
      },
    });
  });

  it('maps 400 to rejected with ETpay’s message (bad order id, non-integer amount)', async () => {
    const badId = await client().initializeSession(sessionBody({ merchant_order_id: 'XJ12H_1' }));
    expect(badId).toMatchObject({
      ok: false,
      error: { kind: 'rejected', status: 400, etpayMessage: expect.stringContaining('merchant_order_id') },
    });
    const badAmount = await client().initializeSession(sessionBody({ order_amount: 159.9 }));
    expect(badAmount).toMatchObject({
      ok: false,
      error: { kind: 'rejected', etpayMessage: 'Invalid order_amount: order_amount must be an integer' },
    });
    expect(sim.state.sessions).toHaveLength(0);
  });

  it('maps 5xx to unavailable and does not retry session creation', async () => {
    sim.state.failNext(1, 503);
    const res = await client().initializeSession(sessionBody());
    expect(res).toMatchObject({
      ok: false,
      error: { kind: 'unavailable', status: 503, message: expect.stringContaining('HTTP 503') },
    });
    expect(sim.state.apiCalls.map((c) => c.status)).toEqual([503]);
  });

  it('maps a slow answer to unavailable (timeout)', async () => {
    sim.state.delayMs = 1_500;
    const res = await client().initializeSession(sessionBody());
    expect(res).toEqual({
      ok: false,
      error: { kind: 'unavailable', message: 'ETpay did not answer /session/initialize within 500 ms' },
    });
  });

  it('check_payment_status: [] when nothing happened, every attempt afterwards, 400 without a key', async () => {
    const created = await client().initializeSession(sessionBody());
    if (!created.ok) throw new Error('no session');
    const session = sim.state.session(created.value.token)!;
    const status = (q: Record<string, string>) =>
      client().checkPaymentStatus({ merchant_api_token: TOKEN, merchant_code: CODE, ...q });
    expect(await status({ session_token: session.token })).toEqual({ ok: true, value: [] });

    sim.state.addAttempt(session, { status: 'failed', reason: 'Saldo insuficiente', code: '51' });
    const ok = sim.state.addAttempt(session, { status: 'success' });
    const bySession = await status({ session_token: session.token });
    expect(bySession.ok && bySession.value.map((p) => p.payment_status)).toEqual(['failed', 'success']);
    expect(bySession.ok && bySession.value[0]).toMatchObject({
      session_token: session.token,
      merchant_order_id: 'XJ12H-1-abc12345',
      merchant_amount: 15990,
      merchant_currency: 'CLP',
      reason: 'Saldo insuficiente',
      code: '51',
    });
    const byOrder = await status({ merchant_order_id: 'XJ12H-1-abc12345' });
    expect(byOrder.ok && byOrder.value).toHaveLength(2);
    const byPayment = await status({ payment_token: ok.paymentToken });
    expect(byPayment.ok && byPayment.value.map((p) => p.payment_token)).toEqual([ok.paymentToken]);

    const none = await client().checkPaymentStatus({ merchant_api_token: TOKEN } as never);
    expect(none).toMatchObject({ ok: false, error: { kind: 'rejected', status: 400 } });
    const wrong = await client().checkPaymentStatus({
      merchant_api_token: 'nope',
      session_token: session.token,
    });
    expect(wrong).toMatchObject({ ok: false, error: { kind: 'misconfigured', status: 401 } });
  });

  it('refuses answers of the wrong shape (invalid_response) and tolerates extra fields', async () => {
    const answers: Record<string, { status: number; body: unknown }> = {};
    const fake = await fakeEtpay((req, res) => {
      const a = answers[req.path]!;
      res.status(a.status);
      if (typeof a.body === 'string') res.type('text/html').send(a.body);
      else res.json(a.body);
    });
    try {
      const c = createEtpayClient({ apiUrl: fake.url });
      answers['/session/initialize'] = { status: 200, body: { token: 5 } };
      expect(await c.initializeSession(sessionBody())).toMatchObject({
        ok: false,
        error: { kind: 'invalid_response', message: expect.stringContaining('token') },
      });
      answers['/session/initialize'] = { status: 200, body: '<html>maintenance</html>' };
      expect(await c.initializeSession(sessionBody())).toMatchObject({
        ok: false,
        error: { kind: 'invalid_response' },
      });
      answers['/session/initialize'] = {
        status: 200,
        body: { token: 'tok', signature_token: 'sig', expires_in: 900, extra: { a: 1 } },
      };
      expect(await c.initializeSession(sessionBody())).toEqual({
        ok: true,
        value: { token: 'tok', signature_token: 'sig' },
      });
      answers['/merchant/check_payment_status'] = { status: 200, body: { payments: [] } };
      expect(await c.checkPaymentStatus({ merchant_api_token: TOKEN, session_token: 'tok' })).toMatchObject({
        ok: false,
        error: { kind: 'invalid_response' },
      });
      answers['/merchant/check_payment_status'] = {
        status: 200,
        body: [
          {
            payment_token: 'p1',
            session_token: 'tok',
            merchant_order_id: 'o-1',
            merchant_amount: '1000',
            merchant_currency: 'clp',
            payment_status: 'success',
            user_bank: 'Banco de prueba',
            new_field: true,
            reason: null,
            code: 0,
          },
        ],
      };
      expect(await c.checkPaymentStatus({ merchant_api_token: TOKEN, session_token: 'tok' })).toEqual({
        ok: true,
        value: [
          {
            payment_token: 'p1',
            session_token: 'tok',
            merchant_order_id: 'o-1',
            merchant_amount: 1000,
            merchant_currency: 'CLP',
            payment_status: 'success',
            code: '0',
          },
        ],
      });
    } finally {
      await fake.close();
    }
  });

  it('cuts the API token out of an ETpay message that echoes it', async () => {
    const fake = await fakeEtpay((req, res) => {
      res.status(400).json({ message: `token ${String(req.body.merchant_api_token)} is not active` });
    });
    try {
      const res = await createEtpayClient({ apiUrl: fake.url }).initializeSession(sessionBody());
      expect(res).toMatchObject({ ok: false, error: { etpayMessage: 'token [redacted] is not active' } });
      expect(JSON.stringify(res)).not.toContain(TOKEN);
    } finally {
      await fake.close();
    }
  });

  it('the provider counts only this session’s attempts, whatever else ETpay answers', async () => {
    const entry = (session_token: string | undefined, merchant_order_id: string, payment_status: string) => ({
      payment_token: `pt-${payment_status}-${session_token ?? 'none'}`,
      ...(session_token ? { session_token } : {}),
      merchant_order_id,
      merchant_amount: 1000,
      merchant_currency: 'CLP',
      payment_status,
    });
    let answer: unknown[] = [];
    const fake = await fakeEtpay((_req, res) => res.json(answer));
    try {
      const provider = createEtpayProvider({
        merchantCode: CODE,
        merchantApiToken: TOKEN,
        apiUrl: fake.url,
        pmtUrl: 'https://pmt.example',
      });
      const input = {
        payment: { id: 'p', providerReference: 'mine', total: { amount: 1000, currency: 'CLP' } } as Payment,
        providerSecrets: { signature_token: 's', session_token: 'mine', merchant_order_id: 'o-1-aaaa' },
        store: { storeId: 1 },
      };
      answer = [entry('theirs', 'o-1-aaaa', 'success'), entry('mine', 'o-1-aaaa', 'failed')];
      expect(await provider.fetchStatus(input)).toMatchObject({
        ok: true,
        observation: { status: 'failed' },
      });
      answer = [entry(undefined, 'o-2-bbbb', 'success')];
      expect(await provider.fetchStatus(input)).toMatchObject({ ok: true, observation: { status: 'open' } });
      answer = [entry(undefined, 'o-1-aaaa', 'success')];
      expect(await provider.fetchStatus(input)).toMatchObject({
        ok: true,
        observation: { status: 'paid', externalTransactionId: 'pt-success-none' },
      });
    } finally {
      await fake.close();
    }
  });

  it('an unreachable ETpay is unavailable', async () => {
    const res = await createEtpayClient({ apiUrl: 'http://127.0.0.1:9' }).initializeSession(sessionBody());
    expect(res).toMatchObject({
      ok: false,
      error: { kind: 'unavailable', message: expect.stringMatching(/unreachable/) },
    });
  });
});

describe('ETpay provider with a Mexican (mx_) account', () => {
  let sim: RunningEtpaySimulator;
  beforeAll(async () => {
    sim = await startEtpaySimulator({ merchantCode: 'mx_tienda', merchantApiToken: TOKEN });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const payment = (amount: number): Payment =>
    ({
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      ecwidOrderId: 'MX-77',
      attempt: 2,
      total: { amount, currency: 'MXN' },
      providerReference: null,
    }) as Payment;

  it('charges whole pesos exactly and reads them back as minor units', async () => {
    const provider = createEtpayProvider({
      merchantCode: 'mx_tienda',
      merchantApiToken: TOKEN,
      apiUrl: sim.apiUrl,
      pmtUrl: sim.pmtUrl,
    });
    expect(provider.supportsCurrency('MXN', { storeId: 1 })).toBe(true);
    expect(provider.supportsCurrency('CLP', { storeId: 1 })).toBe(false);
    const p = payment(150000); // 1,500.00 MXN
    const created = await provider.createCheckout({
      payment: p,
      order: { ecwidOrderId: 'MX-77', items: [] },
      store: { storeId: 1 },
      returnUrl: 'https://app.example/return/AAAAAAAAAAAAAAAAAAAAAA',
      notificationUrl: 'https://app.example/webhooks/etpay/AAAAAAAAAAAAAAAAAAAAAA',
      lang: 'en',
    });
    if (!created.ok) throw new Error(created.error.message);
    const session = sim.state.session(created.providerReference)!;
    expect(session.orderAmount).toBe(1500);
    expect(session.currency).toBe('MXN');
    expect(session.metadata).toEqual([{ name: 'Order', value: 'MX-77', show: true }]);
    expect(session.merchantOrderId).toMatch(/^MX-77-2-[a-z0-9]{8}$/);
    expect(created.redirectUrl).toBe(`${sim.pmtUrl}/session/${session.token}`);

    sim.state.addAttempt(session, { status: 'success' });
    const status = await provider.fetchStatus({
      payment: { ...p, providerReference: created.providerReference },
      providerSecrets: created.providerSecrets!,
      store: { storeId: 1 },
    });
    expect(status).toMatchObject({
      ok: true,
      observation: { status: 'paid', amount: { amount: 150000, currency: 'MXN' } },
    });
  });

  it('refuses an amount with cents before calling ETpay', async () => {
    const provider = createEtpayProvider({
      merchantCode: 'mx_tienda',
      merchantApiToken: TOKEN,
      apiUrl: sim.apiUrl,
      pmtUrl: sim.pmtUrl,
    });
    const before = sim.state.apiCalls.length;
    const created = await provider.createCheckout({
      payment: payment(150050),
      order: { ecwidOrderId: 'MX-77', items: [] },
      store: { storeId: 1 },
      returnUrl: 'https://app.example/return/x',
      notificationUrl: 'https://app.example/webhooks/etpay/x',
      lang: 'es',
    });
    expect(created).toEqual({
      ok: false,
      error: { kind: 'rejected', message: 'ETpay charges whole MXN amounts; 1500.50 MXN has a fraction' },
    });
    expect(sim.state.apiCalls.length).toBe(before);
  });
});
