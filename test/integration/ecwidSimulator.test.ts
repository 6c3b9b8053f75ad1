import axios, { type AxiosResponse } from 'axios';
import { decryptEcwidPayload } from '../../src/ecwid/crypto';
import { createEcwidClient } from '../../src/ecwid/client';
import { readPaymentRequest } from '../../src/ecwid/paymentRequest';
import { buildPaymentRequest, type EcwidPaymentRequestJson } from '../../src/sandbox/ecwid/payload';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { seededRandom } from '../../src/sandbox/ecwid/state';
import { makeEncryptedRequest } from '../support/ecwidPayload';

const CLIENT_ID = 'latam-payments-test';
const CLIENT_SECRET = 'TestClientSecret-0123456789abcdef';
const PAYMENT_URL = 'http://127.0.0.1:9/ecwid/payment';

let sim: RunningEcwidSimulator;

/** Every status is an answer to look at; nothing throws on 4xx/5xx. */
const http = axios.create({ validateStatus: () => true, maxRedirects: 0 });

beforeAll(async () => {
  sim = await startEcwidSimulator({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    paymentUrl: PAYMENT_URL,
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.state.reset();
});

/** An order as the storefront would create it (registered in the simulator). */
function placeOrder(overrides: Parameters<typeof buildPaymentRequest>[0] = {}): EcwidPaymentRequestJson {
  const json = buildPaymentRequest({ simulatorBaseUrl: sim.url, clientId: CLIENT_ID, ...overrides });
  sim.state.registerRequest(json);
  return json;
}

function put(
  storeId: number | string,
  ref: string,
  body: unknown,
  token: string | undefined,
  timeout = 0,
): Promise<AxiosResponse> {
  return http.put(`${sim.apiUrl}/${storeId}/orders/${encodeURIComponent(ref)}`, body, {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    timeout,
  });
}

async function controlOrder(storeId: number, ref: string) {
  const res = await http.get(`${sim.url}/_control/orders/${storeId}/${encodeURIComponent(ref)}`);
  expect(res.status).toBe(200);
  return res.data as {
    paymentStatus: string;
    externalTransactionId: string | null;
    paymentMessage: string | null;
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no hidden field ${name}`);
  return match[1];
}

function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function checkout(fields: Record<string, string>): Promise<AxiosResponse<string>> {
  return http.post(`${sim.url}/store/checkout`, formBody(fields), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    responseType: 'text',
  });
}

function decryptBoth(html: string): { gcm: string; cbc: string; enc_data: string; data: string } {
  const enc_data = hiddenField(html, 'enc_data');
  const data = hiddenField(html, 'data');
  const gcm = decryptEcwidPayload(enc_data, CLIENT_SECRET, 'gcm');
  const cbc = decryptEcwidPayload(data, CLIENT_SECRET, 'cbc');
  if (!gcm.ok || !cbc.ok) throw new Error('a field did not decrypt');
  return { gcm: gcm.plaintext, cbc: cbc.plaintext, enc_data, data };
}

function minor(major: number, exponent: number): number {
  return Math.round(major * 10 ** exponent);
}

describe('Ecwid REST API: PUT /api/v3/:storeId/orders/:ref', () => {
  it('applies an update sent with the store token and answers {updateCount: 1}', async () => {
    const json = placeOrder({ storeId: 2001 });
    const ref = json.cart.order.referenceTransactionId;

    const res = await put(2001, ref, { paymentStatus: 'PAID', externalTransactionId: 'ch_123' }, json.token);

    expect(res.status).toBe(200);
    expect(res.data).toEqual({ updateCount: 1 });
    const order = await controlOrder(2001, ref);
    expect(order.paymentStatus).toBe('PAID');
    expect(order.externalTransactionId).toBe('ch_123');
    const fetched = await http.get(`${sim.apiUrl}/2001/orders/${ref}`, {
      headers: { Authorization: `Bearer ${json.token}` },
    });
    expect(fetched.status).toBe(200);
    expect(fetched.data).toMatchObject({
      id: json.cart.order.id,
      referenceTransactionId: ref,
      paymentStatus: 'PAID',
      externalTransactionId: 'ch_123',
      total: json.cart.order.total,
    });
  });

  it('answers 403 with an Ecwid error body to a wrong, missing or other store token, and changes nothing', async () => {
    const json = placeOrder({ storeId: 2002 });
    const other = placeOrder({ storeId: 2003 });
    const ref = json.cart.order.referenceTransactionId;

    const wrong = await put(2002, ref, { paymentStatus: 'PAID' }, 'secret_not-the-token');
    const missing = await put(2002, ref, { paymentStatus: 'PAID' }, undefined);
    const otherStore = await put(2002, ref, { paymentStatus: 'PAID' }, other.token);

    for (const res of [wrong, missing, otherStore]) {
      expect(res.status).toBe(403);
      expect(res.data).toEqual({ errorMessage: expect.any(String), errorCode: expect.any(String) });
    }
    expect((await controlOrder(2002, ref)).paymentStatus).toBe('INCOMPLETE');
    expect(sim.state.updatesFor(2002, ref).map((u) => [u.authOk, u.status])).toEqual([
      [false, 403],
      [false, 403],
      [false, 403],
    ]);
  });

  it('answers 403 once the store token is revoked (app uninstalled), via the control API', async () => {
    const json = placeOrder({ storeId: 2004 });
    const ref = json.cart.order.referenceTransactionId;
    const revoke = await http.post(`${sim.url}/_control/stores/2004/token`, { token: null });
    expect(revoke.status).toBe(200);

    const res = await put(2004, ref, { paymentStatus: 'PAID' }, json.token);

    expect(res.status).toBe(403);
  });

  it('answers 404 ORDER_NOT_FOUND to an unknown order, and to the order id used instead of referenceTransactionId', async () => {
    const json = placeOrder({ storeId: 2005, orderId: 'XJ12H' });

    const unknown = await put(2005, 'transaction_00000001', { paymentStatus: 'PAID' }, json.token);
    const byOrderId = await put(2005, 'XJ12H', { paymentStatus: 'PAID' }, json.token);

    expect(unknown.status).toBe(404);
    expect(unknown.data.errorCode).toBe('ORDER_NOT_FOUND');
    expect(byOrderId.status).toBe(404);
    expect(byOrderId.data.errorCode).toBe('ORDER_NOT_FOUND');
  });

  it.each([
    ['an unknown paymentStatus', { paymentStatus: 'COMPLETED' }],
    ['a lowercase paymentStatus', { paymentStatus: 'paid' }],
    ['items', { paymentStatus: 'PAID', items: [] }],
    ['a non-string externalTransactionId', { paymentStatus: 'PAID', externalTransactionId: 42 }],
    ['a JSON array', [{ paymentStatus: 'PAID' }]],
  ])('answers 400 to %s and leaves the order as it was', async (_label, body) => {
    const json = placeOrder({ storeId: 2006 });
    const ref = json.cart.order.referenceTransactionId;

    const res = await put(2006, ref, body, json.token);

    expect(res.status).toBe(400);
    expect(res.data).toEqual({ errorMessage: expect.any(String), errorCode: expect.any(String) });
    expect((await controlOrder(2006, ref)).paymentStatus).toBe('INCOMPLETE');
  });

  it('accepts every Ecwid payment status', async () => {
    const json = placeOrder({ storeId: 2007 });
    const ref = json.cart.order.referenceTransactionId;
    for (const status of [
      'AWAITING_PAYMENT',
      'PAID',
      'PARTIALLY_REFUNDED',
      'REFUNDED',
      'CANCELLED',
      'INCOMPLETE',
    ]) {
      const res = await put(2007, ref, { paymentStatus: status }, json.token);
      expect(res.status).toBe(200);
      expect((await controlOrder(2007, ref)).paymentStatus).toBe(status);
    }
  });

  it('keeps omitted fields and clears paymentMessage when the order becomes PAID', async () => {
    const json = placeOrder({ storeId: 2008 });
    const ref = json.cart.order.referenceTransactionId;

    await put(2008, ref, { paymentStatus: 'INCOMPLETE', paymentMessage: 'Tarjeta rechazada' }, json.token);
    expect((await controlOrder(2008, ref)).paymentMessage).toBe('Tarjeta rechazada');
    await put(2008, ref, { paymentStatus: 'AWAITING_PAYMENT', externalTransactionId: 'ord_1' }, json.token);
    await put(2008, ref, { paymentStatus: 'PAID' }, json.token);

    const order = await controlOrder(2008, ref);
    expect(order.paymentStatus).toBe('PAID');
    expect(order.externalTransactionId).toBe('ord_1');
    expect(order.paymentMessage).toBeNull();
  });

  it('records every PUT with its auth result, body and answer, filterable through the control API', async () => {
    const a = placeOrder({ storeId: 2009 });
    const b = placeOrder({ storeId: 2009 });
    const refA = a.cart.order.referenceTransactionId;
    const refB = b.cart.order.referenceTransactionId;

    await put(2009, refA, { paymentStatus: 'PAID', externalTransactionId: 'x1' }, a.token);
    await put(2009, refB, { paymentStatus: 'NOPE' }, b.token);
    await put(2009, refA, { paymentStatus: 'PAID' }, 'secret_wrong');

    const all = await http.get(`${sim.url}/_control/updates`);
    expect(
      all.data.updates.map((u: { orderRef: string; status: number; authOk: boolean }) => [
        u.orderRef,
        u.status,
        u.authOk,
      ]),
    ).toEqual([
      [refA, 200, true],
      [refB, 400, true],
      [refA, 403, false],
    ]);
    expect(all.data.updates[0]).toMatchObject({
      storeId: '2009',
      body: { paymentStatus: 'PAID', externalTransactionId: 'x1' },
      receivedAt: expect.any(String),
      answeredAt: expect.any(String),
    });
    const onlyA = await http.get(`${sim.url}/_control/updates`, {
      params: { storeId: '2009', orderRef: refA },
    });
    expect(onlyA.data.updates).toHaveLength(2);
  });

  it('speaks what the app’s Ecwid client expects (success, 403 permanent, 429 with Retry-After)', async () => {
    const client = createEcwidClient(sim.apiUrl, 5000);
    const json = placeOrder({ storeId: 2010 });
    const ref = json.cart.order.referenceTransactionId;

    expect(await client.updateOrder(2010, ref, json.token, { paymentStatus: 'AWAITING_PAYMENT' })).toEqual({
      ok: true,
    });
    const denied = await client.updateOrder(2010, ref, 'secret_revoked', { paymentStatus: 'PAID' });
    expect(denied).toMatchObject({ ok: false, retryable: false, status: 403 });
    sim.state.rateLimitNext(7);
    const limited = await client.updateOrder(2010, ref, json.token, { paymentStatus: 'PAID' });
    expect(limited).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 7000 });
    expect((await controlOrder(2010, ref)).paymentStatus).toBe('AWAITING_PAYMENT');
  });
});

describe('fault injection', () => {
  it('failNext answers the next n calls with the given status, then recovers; the failed calls change nothing', async () => {
    const json = placeOrder({ storeId: 3001 });
    const ref = json.cart.order.referenceTransactionId;
    const set = await http.post(`${sim.url}/_control/faults`, { failNext: { count: 2, status: 503 } });
    expect(set.status).toBe(200);
    expect(set.data.queued).toHaveLength(2);

    const first = await put(3001, ref, { paymentStatus: 'PAID' }, json.token);
    expect(first.status).toBe(503);
    expect(first.data.errorCode).toEqual(expect.any(String));
    expect((await controlOrder(3001, ref)).paymentStatus).toBe('INCOMPLETE');
    const second = await put(3001, ref, { paymentStatus: 'PAID' }, json.token);
    const third = await put(3001, ref, { paymentStatus: 'PAID' }, json.token);

    expect([second.status, third.status]).toEqual([503, 200]);
    expect((await controlOrder(3001, ref)).paymentStatus).toBe('PAID');
    expect(sim.state.updatesFor(3001, ref).map((u) => u.fault ?? null)).toEqual(['fail', 'fail', null]);
  });

  it('failNext defaults to 500 and applies before the auth check', async () => {
    const json = placeOrder({ storeId: 3002 });
    sim.state.failNext(1);

    const res = await put(
      3002,
      json.cart.order.referenceTransactionId,
      { paymentStatus: 'PAID' },
      'secret_wrong',
    );

    expect(res.status).toBe(500);
  });

  it('rateLimitNext answers 429 RATE_LIMITED with Retry-After, n times', async () => {
    const json = placeOrder({ storeId: 3003 });
    const ref = json.cart.order.referenceTransactionId;
    await http.post(`${sim.url}/_control/faults`, { rateLimitNext: { retryAfterSeconds: 3, count: 2 } });

    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await put(3003, ref, { paymentStatus: 'PAID' }, json.token));

    expect(answers.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(answers[0]?.headers['retry-after']).toBe('3');
    expect(answers[0]?.data).toEqual({ errorMessage: expect.any(String), errorCode: 'RATE_LIMITED' });
    expect(answers[2]?.headers['retry-after']).toBeUndefined();
  });

  it('queued faults are served in the order they were set', async () => {
    const json = placeOrder({ storeId: 3004 });
    const ref = json.cart.order.referenceTransactionId;
    sim.state.failNext(1, 502);
    sim.state.rateLimitNext(1);

    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await put(3004, ref, { paymentStatus: 'PAID' }, json.token)).status);

    expect(statuses).toEqual([502, 429, 200]);
  });

  it('faults touch only the REST API, not the control API or the storefront', async () => {
    const json = placeOrder({ storeId: 3005 });
    sim.state.failNext(1, 500);

    expect(
      (await http.get(`${sim.url}/_control/orders/3005/${json.cart.order.referenceTransactionId}`)).status,
    ).toBe(200);
    expect((await http.get(`${sim.url}/store`)).status).toBe(200);
    expect(sim.state.faults.queued).toHaveLength(1);
  });

  it('delayMs holds every answer: a client with a shorter timeout gives up, the update still lands later', async () => {
    const json = placeOrder({ storeId: 3006 });
    const ref = json.cart.order.referenceTransactionId;
    await http.post(`${sim.url}/_control/faults`, { delayMs: 1500 });

    await expect(put(3006, ref, { paymentStatus: 'PAID' }, json.token, 200)).rejects.toMatchObject({
      code: 'ECONNABORTED',
    });
    // The request reached Ecwid: an ambiguous outcome the app must survive (PUT is idempotent).
    expect(sim.state.updatesFor(3006, ref)).toEqual([expect.objectContaining({ status: null })]);
    await until(() => sim.state.updatesFor(3006, ref)[0]?.status === 200, 'the delayed update');
    expect((await controlOrder(3006, ref)).paymentStatus).toBe('PAID');

    sim.state.delayMs = 50;
    const patient = await put(3006, ref, { paymentStatus: 'REFUNDED' }, json.token);
    expect(patient.status).toBe(200);
  });

  it('hang holds calls until cleared: a patient client then gets through, an abandoned call is dropped', async () => {
    const json = placeOrder({ storeId: 3007 });
    const ref = json.cart.order.referenceTransactionId;
    await http.post(`${sim.url}/_control/faults`, { hang: true });

    await expect(put(3007, ref, { paymentStatus: 'PAID' }, json.token, 300)).rejects.toMatchObject({
      code: 'ECONNABORTED',
    });
    expect(sim.state.faults).toMatchObject({ hang: true, held: 1 });
    const patient = put(3007, ref, { paymentStatus: 'AWAITING_PAYMENT' }, json.token);
    await until(() => sim.state.faults.held === 2, 'the second held call');
    expect((await controlOrder(3007, ref)).paymentStatus).toBe('INCOMPLETE');

    const cleared = await http.post(`${sim.url}/_control/faults`, { hang: false });
    expect(cleared.data.hang).toBe(false);
    expect((await patient).status).toBe(200);
    const [abandoned, answered] = sim.state.updatesFor(3007, ref);
    expect(abandoned).toMatchObject({ status: null, fault: 'abandoned' });
    expect(answered).toMatchObject({ status: 200 });
    expect((await controlOrder(3007, ref)).paymentStatus).toBe('AWAITING_PAYMENT');
    expect(sim.state.faults.held).toBe(0);
  });

  it('close() does not hang while calls are held', async () => {
    const other = await startEcwidSimulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      paymentUrl: PAYMENT_URL,
    });
    const json = buildPaymentRequest({ simulatorBaseUrl: other.url, clientId: CLIENT_ID });
    other.state.registerRequest(json);
    other.state.hang = true;
    const pending = http
      .put(
        `${other.apiUrl}/${json.storeId}/orders/${json.cart.order.referenceTransactionId}`,
        { paymentStatus: 'PAID' },
        {
          headers: { Authorization: `Bearer ${json.token}` },
        },
      )
      .then(
        () => 'answered',
        (error: { code?: string }) => error.code ?? 'error',
      );
    await until(() => other.state.faults.held === 1, 'the held call');

    await other.close();

    expect(await pending).toMatch(/ECONNRESET|ERR_BAD_RESPONSE|ECONNABORTED|EPIPE|error/);
    expect(other.state.getOrder(json.storeId, json.cart.order.referenceTransactionId)?.paymentStatus).toBe(
      'INCOMPLETE',
    );
  }, 15_000);

  it('failRate fails a seeded, reproducible share of calls', async () => {
    const json = placeOrder({ storeId: 3008 });
    const ref = json.cart.order.referenceTransactionId;
    const calls = 150;
    const run = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < calls; i += 1)
        statuses.push((await put(3008, ref, { paymentStatus: 'PAID' }, json.token)).status);
      return statuses;
    };
    // The same PRNG and seed predict exactly which calls fail.
    const draw = seededRandom(20240607);
    const expected = Array.from({ length: calls }, () => (draw() < 0.2 ? 503 : 200));
    const expectedFailures = expected.filter((s) => s === 503).length;
    expect(expectedFailures).toBeGreaterThan(calls * 0.1);
    expect(expectedFailures).toBeLessThan(calls * 0.3);

    await http.post(`${sim.url}/_control/faults`, { failRate: { p: 0.2, status: 503, seed: 20240607 } });
    const first = await run();
    sim.state.failRate(0.2, 503, 20240607);
    const second = await run();

    expect(first).toEqual(expected);
    expect(second).toEqual(first);
    expect(sim.state.updatesFor(3008, ref).filter((u) => u.fault === 'random_fail')).toHaveLength(
      2 * expectedFailures,
    );
  });

  it('failRate 1 fails every call and null turns it off', async () => {
    const json = placeOrder({ storeId: 3009 });
    const ref = json.cart.order.referenceTransactionId;
    sim.state.failRate(1, 502);
    const failing = [];
    for (let i = 0; i < 5; i += 1)
      failing.push((await put(3009, ref, { paymentStatus: 'PAID' }, json.token)).status);
    await http.post(`${sim.url}/_control/faults`, { failRate: null });
    const ok = await put(3009, ref, { paymentStatus: 'PAID' }, json.token);

    expect(failing).toEqual([502, 502, 502, 502, 502]);
    expect(ok.status).toBe(200);
  });

  it('rejects malformed fault settings and reset clears faults, orders and recorded updates', async () => {
    const json = placeOrder({ storeId: 3010 });
    await put(3010, json.cart.order.referenceTransactionId, { paymentStatus: 'PAID' }, json.token);
    expect((await http.post(`${sim.url}/_control/faults`, { failRate: 2 })).status).toBe(400);
    expect((await http.post(`${sim.url}/_control/faults`, { explode: true })).status).toBe(400);
    sim.state.failNext(3);
    sim.state.delayMs = 10;

    expect((await http.post(`${sim.url}/_control/reset`)).status).toBe(200);

    expect(sim.state.faults).toEqual({ queued: [], delayMs: 0, hang: false, failRate: null, held: 0 });
    expect(sim.state.updates).toEqual([]);
    expect(
      (await http.get(`${sim.url}/_control/orders/3010/${json.cart.order.referenceTransactionId}`)).status,
    ).toBe(404);
  });
});

describe('storefront', () => {
  it('shows a demo store in Spanish by default and in English, with CLP and MXN carts, no inline script or style', async () => {
    const es = await http.get<string>(`${sim.url}/store`, { responseType: 'text' });
    const en = await http.get<string>(`${sim.url}/store?lang=en`, { responseType: 'text' });

    expect(es.status).toBe(200);
    expect(es.data).toContain('<html lang="es">');
    expect(es.data).toContain('Ir a pagar');
    expect(es.data).toMatch(/Demo \/ simulador/);
    expect(en.data).toContain('<html lang="en">');
    expect(en.data).toContain('Go to Payment');
    expect(en.data).toMatch(/Demo \/ Ecwid simulator/);
    for (const id of ['mxn-cafe', 'clp-regalo']) expect(es.data).toContain(`data-cart-id="${id}"`);
    expect(es.data).toContain('CLP');
    expect(es.data).toContain('MXN');
    for (const html of [es.data, en.data]) {
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=/);
      expect(html).toContain('href="/public/css/sandbox.css"');
    }
  });

  it('serves its stylesheet and the auto-submit script', async () => {
    const css = await http.get(`${sim.url}/public/css/sandbox.css`);
    const js = await http.get<string>(`${sim.url}/public/js/sandbox-autosubmit.js`, { responseType: 'text' });
    expect(css.status).toBe(200);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.data).toContain('data-autosubmit');
  });

  it('checkout renders a form posting enc_data and data to paymentUrl, auto-submitted by an external script', async () => {
    const res = await checkout({
      cartId: 'clp-regalo',
      lang: 'es',
      email: 'ana@example.cl',
      storeId: '4321',
    });

    expect(res.status).toBe(200);
    const html = res.data;
    const form = /<form[^>]*data-autosubmit[^>]*>/.exec(html)?.[0] ?? '';
    expect(form).toContain('method="post"');
    expect(form).toContain(`action="${PAYMENT_URL}"`);
    expect(form).toContain('accept-charset="utf-8"');
    expect(html).toContain('<script src="/public/js/sandbox-autosubmit.js"');
    expect(html).toMatch(/<button type="submit"/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(res.headers['content-security-policy']).toContain("form-action 'self' http://127.0.0.1:9");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('both fields decrypt to the same several-KB Ecwid JSON that the app’s schema accepts', async () => {
    const res = await checkout({
      cartId: 'clp-regalo',
      lang: 'es',
      email: 'ana@example.cl',
      storeId: '4321',
    });
    const { gcm, cbc, enc_data, data } = decryptBoth(res.data);

    expect(gcm).toBe(cbc);
    expect(Buffer.byteLength(gcm, 'utf8')).toBeGreaterThanOrEqual(5 * 1024);
    // Unpadded URL-safe base64, as Ecwid sends it.
    expect(enc_data).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(data).toMatch(/^[A-Za-z0-9_-]+$/);

    const viaGcm = readPaymentRequest({ enc_data, data }, CLIENT_SECRET);
    const viaCbc = readPaymentRequest({ data }, CLIENT_SECRET);
    if (!viaGcm.ok || !viaCbc.ok) throw new Error(`rejected: ${JSON.stringify([viaGcm, viaCbc])}`);
    expect(viaCbc.request).toEqual(viaGcm.request);
    const request = viaGcm.request;
    expect(request.storeId).toBe(4321);
    expect(request.token).toBe(sim.state.storeToken(4321));
    expect(request.token).toMatch(/^secret_/);
    expect(request.lang).toBe('es');
    expect(request.order.email).toBe('ana@example.cl');
    // 2 × 8 990 + 6 500 + 45 990 + shipping 3 990 + handling 500.
    expect(request.total).toEqual({ amount: 74_960, currency: 'CLP' });
    expect(request.order.items).toHaveLength(3);

    const order = await controlOrder(4321, request.referenceTransactionId);
    expect(order.paymentStatus).toBe('INCOMPLETE');
  });

  it('the decrypted JSON has Ecwid’s shape and its breakdown adds up to the total', async () => {
    const res = await checkout({ cartId: 'mxn-cafe', lang: 'en' });
    const json = JSON.parse(decryptBoth(res.data).gcm) as EcwidPaymentRequestJson;
    const o = json.cart.order;

    expect(json).toMatchObject({ storeId: expect.any(Number), lang: 'en', cart: { currency: 'MXN' } });
    expect(Object.values(json.merchantAppSettings).every((v) => typeof v === 'string')).toBe(true);
    expect(JSON.parse(json.merchantAppSettings.public ?? 'null')).toEqual(expect.any(Object));
    expect(o.referenceTransactionId).toMatch(/^transaction_\d+$/);
    expect(o).toMatchObject({
      paymentStatus: 'INCOMPLETE',
      id: expect.any(String),
      orderNumber: expect.any(Number),
      vendorOrderNumber: expect.any(String),
      ipAddress: expect.any(String),
      createTimestamp: expect.any(Number),
      customerId: expect.any(Number),
      billingPerson: { name: expect.any(String), countryCode: 'MX', postalCode: expect.any(String) },
      shippingPerson: { city: expect.any(String) },
    });
    for (const field of ['subtotal', 'tax', 'couponDiscount', 'discount'])
      expect(typeof o[field]).toBe('number');
    for (const item of o.items) {
      expect(item).toMatchObject({
        name: expect.any(String),
        sku: expect.any(String),
        price: expect.any(Number),
      });
      expect(Number.isInteger(item.quantity)).toBe(true);
    }
    const sum =
      minor(o.subtotal, 2) -
      minor(o.discount, 2) -
      minor(o.couponDiscount, 2) +
      minor(o.shippingOption.shippingRate, 2) +
      minor(o.handlingFee.value, 2);
    expect(minor(o.total, 2)).toBe(sum);
    expect(o.total).toBe(2014.97);
  });

  it('a custom cart carries the chosen currency and total', async () => {
    const res = await checkout({ currency: 'MXN', total: '1500.5', lang: 'es', storeId: '4322' });
    const read = readPaymentRequest({ enc_data: hiddenField(res.data, 'enc_data') }, CLIENT_SECRET);

    if (!read.ok) throw new Error(JSON.stringify(read.error));
    expect(read.request.total).toEqual({ amount: 150_050, currency: 'MXN' });
    expect(read.request.storeId).toBe(4322);
  });

  it('rejects a checkout with neither a cart nor currency and total', async () => {
    const res = await checkout({ lang: 'en', currency: 'MXN' });
    const unknownCart = await checkout({ cartId: 'nope' });

    expect(res.status).toBe(400);
    expect(res.data).not.toContain('enc_data');
    expect(unknownCart.status).toBe(400);
  });

  it('each request gets a unique returnUrl on the simulator with clientId, timestamp and key', async () => {
    const a = JSON.parse(
      decryptBoth((await checkout({ cartId: 'mxn-taza' })).data).gcm,
    ) as EcwidPaymentRequestJson;
    const b = JSON.parse(
      decryptBoth((await checkout({ cartId: 'mxn-taza' })).data).gcm,
    ) as EcwidPaymentRequestJson;

    expect(a.returnUrl).not.toBe(b.returnUrl);
    for (const json of [a, b]) {
      const url = new URL(json.returnUrl);
      expect(`${url.origin}${url.pathname}`).toBe(
        `${sim.url}/store/return/${json.storeId}/${json.cart.order.referenceTransactionId}`,
      );
      expect(url.searchParams.get('clientId')).toBe(CLIENT_ID);
      expect(url.searchParams.get('timestamp')).toMatch(/^\d+$/);
      expect(url.searchParams.get('key')).toMatch(/^[0-9a-f]{16,}$/);
    }
    expect(new URL(a.returnUrl).searchParams.get('key')).not.toBe(
      new URL(b.returnUrl).searchParams.get('key'),
    );
  });

  it('"Go to Payment" again on the same order resends its referenceTransactionId with a new returnUrl', async () => {
    const first = JSON.parse(decryptBoth((await checkout({ cartId: 'clp-cafe', storeId: '4323' })).data).gcm);
    const ref = first.cart.order.referenceTransactionId as string;

    const again = await checkout({ orderRef: ref, storeId: '4323', lang: 'es' });
    const second = JSON.parse(decryptBoth(again.data).gcm);

    expect(again.status).toBe(200);
    expect(second.cart.order.referenceTransactionId).toBe(ref);
    expect(second.cart.order.total).toBe(first.cart.order.total);
    expect(second.returnUrl).not.toBe(first.returnUrl);
    for (const returnUrl of [first.returnUrl, second.returnUrl]) {
      expect((await http.get(returnUrl)).status).toBe(200);
    }
  });

  it('the control API creates an order and returns its request, ready to post', async () => {
    const res = await http.post(`${sim.url}/_control/orders`, {
      storeId: 4324,
      currency: 'CLP',
      total: 15000,
      lang: 'en',
    });

    expect(res.status).toBe(201);
    expect(res.data.paymentUrl).toBe(PAYMENT_URL);
    const read = readPaymentRequest({ enc_data: res.data.enc_data }, CLIENT_SECRET);
    if (!read.ok) throw new Error(JSON.stringify(read.error));
    expect(read.request.total).toEqual({ amount: 15_000, currency: 'CLP' });
    expect(read.request.referenceTransactionId).toBe(res.data.json.cart.order.referenceTransactionId);
    const update = await put(
      4324,
      read.request.referenceTransactionId,
      { paymentStatus: 'PAID' },
      read.request.token,
    );
    expect(update.status).toBe(200);
  });
});

describe('storefront return page', () => {
  async function placeViaCheckout(lang = 'es'): Promise<EcwidPaymentRequestJson> {
    const res = await checkout({ cartId: 'mxn-cafe', lang, storeId: '5001' });
    return JSON.parse(decryptBoth(res.data).gcm) as EcwidPaymentRequestJson;
  }

  async function statusOnPage(url: string) {
    const res = await http.get<string>(url, { responseType: 'text' });
    return { res, status: /data-order-status="([A-Z_]+)"/.exec(res.data)?.[1] };
  }

  it.each([
    ['PAID', 'es', '¡Gracias por tu compra!'],
    ['AWAITING_PAYMENT', 'es', 'Pedido realizado'],
    ['CANCELLED', 'en', 'Payment error'],
    ['REFUNDED', 'en', 'Order refunded'],
  ])('shows %s as Ecwid would (%s)', async (paymentStatus, lang, text) => {
    const json = await placeViaCheckout(lang);
    await put(5001, json.cart.order.referenceTransactionId, { paymentStatus }, json.token);

    const { res, status } = await statusOnPage(json.returnUrl);

    expect(res.status).toBe(200);
    expect(status).toBe(paymentStatus);
    expect(res.data).toContain(text);
    expect(res.data).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it('INCOMPLETE goes back to checkout showing errorMsg escaped, with a way to try again', async () => {
    const json = await placeViaCheckout('es');
    const url = new URL(json.returnUrl);
    url.searchParams.set('errorMsg', '<script>alert(1)</script> Pago rechazado & "cancelado"');

    const { res, status } = await statusOnPage(url.toString());

    expect(res.status).toBe(200);
    expect(status).toBe('INCOMPLETE');
    expect(res.data).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt; Pago rechazado &amp; &#34;cancelado&#34;',
    );
    expect(res.data).not.toContain('<script>alert(1)</script>');
    expect(res.data).toContain(`name="orderRef" value="${json.cart.order.referenceTransactionId}"`);
  });

  it('does not show errorMsg once the order is paid', async () => {
    const json = await placeViaCheckout('es');
    await put(5001, json.cart.order.referenceTransactionId, { paymentStatus: 'PAID' }, json.token);
    const url = new URL(json.returnUrl);
    url.searchParams.set('errorMsg', 'Pago rechazado');

    const { res, status } = await statusOnPage(url.toString());

    expect(status).toBe('PAID');
    expect(res.data).not.toContain('Pago rechazado');
  });

  it('refuses return links it did not issue (tampered key, other clientId, missing timestamp) and unknown orders', async () => {
    const json = await placeViaCheckout('en');
    const tampered = new URL(json.returnUrl);
    tampered.searchParams.set('key', 'f'.repeat(32));
    const otherClient = new URL(json.returnUrl);
    otherClient.searchParams.set('clientId', 'someone-else');
    const noTimestamp = new URL(json.returnUrl);
    noTimestamp.searchParams.delete('timestamp');
    const unknown = new URL(json.returnUrl);
    unknown.pathname = unknown.pathname.replace(json.cart.order.referenceTransactionId, 'transaction_1');

    for (const url of [tampered, otherClient, noTimestamp]) {
      const { res, status } = await statusOnPage(url.toString());
      expect(res.status).toBe(400);
      expect(status).toBeUndefined();
    }
    expect((await statusOnPage(unknown.toString())).res.status).toBe(404);
    expect((await statusOnPage(json.returnUrl)).res.status).toBe(200);
  });
});

describe('payload builder and test helper', () => {
  it('a forced total keeps the breakdown consistent and the request valid', () => {
    const { json, enc_data, data } = makeEncryptedRequest(CLIENT_SECRET, { currency: 'CLP', total: 15_000 });
    const o = json.cart.order;

    expect(o.total).toBe(15_000);
    expect(o.subtotal - o.discount + o.shippingOption.shippingRate + o.handlingFee.value).toBe(15_000);
    expect(o.items.reduce((sum, i) => sum + i.price * i.quantity, 0)).toBe(o.subtotal);
    expect(o.items.every((i) => Number.isInteger(i.price))).toBe(true);
    for (const form of [{ enc_data }, { data }]) {
      const read = readPaymentRequest(form, CLIENT_SECRET);
      expect(read).toMatchObject({ ok: true, request: { total: { amount: 15_000, currency: 'CLP' } } });
    }
  });

  it('guest checkout without billing or shipping person is still a valid request', () => {
    const { json, enc_data } = makeEncryptedRequest(CLIENT_SECRET, {
      customerId: null,
      billingPerson: null,
      shippingPerson: null,
    });

    expect('customerId' in json.cart.order).toBe(false);
    expect('billingPerson' in json.cart.order).toBe(false);
    expect('shippingPerson' in json.cart.order).toBe(false);
    const read = readPaymentRequest({ enc_data }, CLIENT_SECRET);
    expect(read.ok && read.request.order.billingPerson).toBeUndefined();
    expect(read.ok).toBe(true);
  });

  it('makeEncryptedRequest honours overrides and a transform of what is sent', () => {
    const { json, sent, enc_data } = makeEncryptedRequest(CLIENT_SECRET, {
      storeId: 77,
      referenceTransactionId: 'transaction_42',
      token: 'secret_abc',
      transform: (j) => ({ ...j, storeId: 'not-a-number' }),
    });

    expect(json).toMatchObject({ storeId: 77, token: 'secret_abc', cart: { currency: 'MXN' } });
    expect((sent as { storeId: unknown }).storeId).toBe('not-a-number');
    expect(readPaymentRequest({ enc_data }, CLIENT_SECRET)).toMatchObject({
      ok: false,
      error: { kind: 'invalid' },
    });
  });
});
