/**
 * Property and fuzz tests against the real app (production mode) with the real providers on their
 * simulators: whatever arrives on a public route — mangled Ecwid payloads, random JSON that decrypts
 * fine, random notification bodies and headers for every provider, random URLs under /pay and
 * /return — the answer is never a 5xx, nothing in the database changes, and no promise is left
 * rejected. A 503 `try_again_later` would be legitimate only where a provider must retry because
 * something of ours is down; with every simulator up there is none, so any 5xx fails.
 *
 * Reproducible: FUZZ_SEED (default below) is printed with any failure, with the shrunk input.
 * FUZZ_RUNS scales every property's number of runs.
 */
import fc from 'fast-check';
import request from 'supertest';
import { createLogger } from '../../src/logger';
import { createConektaProvider } from '../../src/providers/conekta/provider';
import { createEcartPayProvider } from '../../src/providers/ecartpay/provider';
import { createEtpayProvider } from '../../src/providers/etpay/provider';
import { startConektaSimulator, type RunningConektaSimulator } from '../../src/sandbox/conekta/server';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';
import { ecartNotificationHeaders } from '../../src/sandbox/ecartpay/state';
import { encryptEcwidPayload } from '../../src/ecwid/crypto';
import { buildPaymentRequest, encryptPaymentRequest } from '../../src/sandbox/ecwid/payload';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../src/sandbox/etpay/server';
import { signAttempt } from '../../src/sandbox/etpay/state';
import { LogCapture, startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../support/app';
import { openTestDb, type TestDb } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';

const SEED = Number(process.env.FUZZ_SEED ?? 20251123);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)), seed: SEED, endOnFailure: true });

const ETPAY = { merchantCode: 'cl_fuzz_tienda', token: 'etpay-fuzz-token-0123456789abcdef' };
const CONEKTA_KEY = 'key_FuzzConekta0123456789';
const ECART = { publicKey: 'pub_fuzz_01', privateKey: 'prv_fuzz_23', webhookSecret: 'whsec_fuzz_45' };

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('fuzz: no input reaches a 5xx, changes state or leaves a rejection unhandled', () => {
  let t: TestDb;
  let ecwid: RunningEcwidSimulator;
  let etpay: RunningEtpaySimulator;
  let conekta: RunningConektaSimulator;
  let ecart: RunningEcartPaySimulator;
  let app: TestApp;
  /** Real payments the fuzzed requests may name: open at each provider, and one paid. */
  const ids = { etpay: '', conekta: '', ecartpay: '', paid: '' };
  const refs = { etpay: '', conekta: '', ecartpay: '' };
  let validRequest: ReturnType<typeof buildPaymentRequest>;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await openTestDb('pglite');
    ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
    etpay = await startEtpaySimulator({ merchantCode: ETPAY.merchantCode, merchantApiToken: ETPAY.token });
    conekta = await startConektaSimulator({ privateKeys: [CONEKTA_KEY] });
    ecart = await startEcartPaySimulator({ ...ECART });
    app = await startTestApp({
      db: t.db,
      ecwidApiUrl: ecwid.apiUrl,
      providers: [
        createEtpayProvider({
          merchantCode: ETPAY.merchantCode,
          merchantApiToken: ETPAY.token,
          apiUrl: etpay.apiUrl,
          pmtUrl: etpay.pmtUrl,
        }),
        createConektaProvider({ apiUrl: conekta.url, privateKey: CONEKTA_KEY, livemode: false }),
        createEcartPayProvider({
          apiUrl: ecart.apiUrl,
          ...ECART,
          db: t.db,
          logger: createLogger({ level: 'silent', destination: new LogCapture() }),
        }),
      ],
      defaultProviders: ['etpay', 'conekta', 'ecartpay'],
      // The fuzzer is one client sending thousands of requests: abuse limits off here (tested elsewhere).
      env: { RATE_LIMIT_SHOPPER_PER_MINUTE: '0', RATE_LIMIT_WEBHOOK_PER_MINUTE: '0' },
    });

    const flow = paymentFlow(app.url, ecwid);
    const open = async (currency: 'CLP' | 'MXN', provider: keyof typeof refs) => {
      const { paymentId } = await flow.start({ currency, total: currency === 'CLP' ? 12990 : 499.5 });
      const res = await request(app.url).get(`/pay/${paymentId}/checkout?provider=${provider}`);
      if (res.status !== 303) throw new Error(`${provider} checkout answered ${res.status}`);
      const [row] = await t.db.query<{ provider_reference: string }>(
        'SELECT provider_reference FROM payments WHERE id = $1',
        [paymentId],
      );
      ids[provider] = paymentId;
      refs[provider] = row!.provider_reference;
    };
    await open('CLP', 'etpay');
    await open('MXN', 'conekta');
    await open('MXN', 'ecartpay');

    // One paid through a real, verified ETpay notification, its Ecwid update delivered.
    const { paymentId } = await flow.start({ currency: 'CLP', total: 7000 });
    await request(app.url).get(`/pay/${paymentId}/checkout?provider=etpay`);
    const [row] = await t.db.query<{ provider_reference: string }>(
      'SELECT provider_reference FROM payments WHERE id = $1',
      [paymentId],
    );
    const session = etpay.state.session(row!.provider_reference)!;
    const attempt = etpay.state.addAttempt(session, { status: 'success' });
    const paid = await request(app.url)
      .post(`/webhooks/etpay/${paymentId}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ payment: await signAttempt(session, attempt) }));
    if (paid.body.state !== 'paid') throw new Error(`setup: ${JSON.stringify(paid.body)}`);
    ids.paid = paymentId;
    await eventually(async () => {
      const [left] = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM ecwid_updates WHERE status = 'pending'",
      );
      expect(left!.n).toBe(0);
    });
    validRequest = buildPaymentRequest({
      simulatorBaseUrl: ecwid.url,
      clientId: 'test-client',
      currency: 'MXN',
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await app?.close();
    await Promise.all([ecwid?.close(), etpay?.close(), conekta?.close(), ecart?.close()]);
    await t?.dispose();
  });

  beforeEach(() => {
    unhandled = [];
  });

  /** Everything the app keeps, as one digest: any insert, update or delete changes it. */
  async function snapshot(): Promise<string> {
    const [row] = await t.db.query<{ digest: string }>(
      `SELECT concat_ws('|',
         (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY p.id), '')) FROM payments p),
         (SELECT md5(coalesce(string_agg(u::text, ',' ORDER BY u.id), '')) FROM ecwid_updates u),
         (SELECT md5(coalesce(string_agg(e::text, ',' ORDER BY e.id), '')) FROM payment_events e),
         (SELECT md5(coalesce(string_agg(s::text, ',' ORDER BY s.store_id), '')) FROM stores s),
         (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) FROM webhook_receipts r)
       ) AS digest`,
    );
    return row!.digest;
  }

  /** The property every fuzzed request must keep. `mayChange`: a valid request may legitimately create a payment. */
  async function check(
    send: () => Promise<request.Response>,
    opts: {
      mayChange?: (res: request.Response) => boolean;
      /** An authentic (correctly signed) notification's id is remembered, so a replay is refused. */
      receiptMayBeRecorded?: boolean;
    } = {},
  ): Promise<request.Response> {
    const before = await snapshot();
    const failedBefore = app.logs.lines.length;
    const res = await send();
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(200);
    // Nothing in flight afterwards either (a notification's Ecwid update, a provider call).
    await new Promise((r) => setImmediate(r));
    if (!opts.mayChange?.(res)) {
      const after = await snapshot();
      if (opts.receiptMayBeRecorded) expect(withoutReceipts(after)).toBe(withoutReceipts(before));
      else expect(after).toBe(before);
    }
    const errors = app.logs.lines
      .slice(failedBefore)
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
    expect(unhandled).toEqual([]);
    return res;
  }

  const withoutReceipts = (digest: string) => digest.split('|').slice(0, 4).join('|');

  const postForm = (form: Record<string, string>) =>
    request(app.url).post('/ecwid/payment').type('form').send(form);

  // ------------------------------------------------------------------ Ecwid's payment form

  const bytes = (max: number) =>
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((a) => Buffer.from(a));
  let validForm: { enc_data: string; data: string } | undefined;
  /** One authentic form (fixed IVs): the mutations start from it. */
  const valid = () => (validForm ??= encryptPaymentRequest(validRequest, TEST_CLIENT_SECRET));
  /** The bytes the app decodes from a field (same rules as src/ecwid/crypto.ts), null when it refuses. */
  const decoded = (text: string | undefined): Buffer | null => {
    const compact = (text ?? '').trim();
    if (compact === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return null;
    const standard = compact.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    return standard.length % 4 === 1 ? null : Buffer.from(standard, 'base64');
  };

  /** What an attacker or a broken proxy can do to a field: noise, base64 noise, or a real value mangled. */
  const mangledField = (real: () => string) =>
    fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      bytes(400).map((b) => b.toString('base64')),
      bytes(400).map((b) => b.toString('base64url')),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
        const b = Buffer.from(real(), 'base64');
        const i = at % b.length;
        b[i] = b[i]! ^ (1 << bit);
        return b.toString('base64');
      }),
      fc.nat().map((cut) => {
        const v = real();
        return v.slice(0, cut % v.length);
      }),
      fc.string({ maxLength: 20 }).map((extra) => real() + extra),
      fc.constantFrom('', '=', '==', '%00', 'null', '[]', '{}', 'A'.repeat(5000)),
    );

  it('POST /ecwid/payment: random and mutated enc_data/data are refused with a 4xx, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            enc_data: mangledField(() => valid().enc_data),
            // The legacy CBC field has no integrity check: it is fuzzed with noise and truncations,
            // not bit flips (which can decrypt to another valid request, as CBC allows).
            data: fc.oneof(
              fc.string({ maxLength: 300 }),
              bytes(300).map((b) => b.toString('base64')),
              fc.nat().map((cut) =>
                valid()
                  .data.slice(0, (cut % (valid().data.length - 1)) + 1)
                  .replace(/.$/, ''),
              ),
            ),
            other: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { maxKeys: 3 }),
          },
          { requiredKeys: [] },
        ),
        async ({ other, ...fields }) => {
          const form: Record<string, string> = { ...other, ...fields };
          // The app reads enc_data when it is a non-empty string, else data.
          const field = typeof form.enc_data === 'string' && form.enc_data !== '' ? 'enc_data' : 'data';
          // Only the authentic ciphertext itself (re-padded, whitespace around it) may start a payment.
          const sent = decoded(form[field]);
          const authentic = sent !== null && sent.equals(decoded(valid()[field])!);
          const res = await check(() => postForm(form), { mayChange: () => authentic });
          if (authentic) expect(res.status).toBe(200);
          else expect([400, 413, 422]).toContain(res.status);
        },
      ),
      runs(250),
    );
  });

  it('POST /ecwid/payment: random JSON (or text) that decrypts fine is refused or is a valid payment, never a 5xx', async () => {
    // Whole random documents, and the real request with random values grafted at random places.
    const graft = fc
      .tuple(
        fc.constantFrom(
          ['storeId'],
          ['token'],
          ['returnUrl'],
          ['lang'],
          ['merchantAppSettings'],
          ['cart'],
          ['cart', 'currency'],
          ['cart', 'order'],
          ['cart', 'order', 'total'],
          ['cart', 'order', 'id'],
          ['cart', 'order', 'referenceTransactionId'],
          ['cart', 'order', 'items'],
          ['cart', 'order', 'billingPerson'],
          ['cart', 'order', 'email'],
          ['cart', 'order', 'customerId'],
        ),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.double(),
          fc.constantFrom(
            1e308,
            -1,
            0,
            2 ** 53,
            1e-7,
            'CLP',
            'XXX',
            '',
            'javascript:alert(1)',
            'http://[::1',
          ),
        ),
      )
      .map(([path, value]) => {
        const json = structuredClone(validRequest) as unknown as Record<string, unknown>;
        let node = json;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
        node[path.at(-1)!] = value;
        return json;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
          graft.map((v) => JSON.stringify(v)),
          // Authentic, but not JSON, or JSON cut short.
          fc.string({ minLength: 1, maxLength: 200 }),
          graft.chain((v) => {
            const json = JSON.stringify(v);
            return fc.nat({ max: json.length - 1 }).map((cut) => json.slice(0, cut + 1));
          }),
        ),
        fc.constantFrom('enc_data', 'data', 'both'),
        async (plaintext, fields) => {
          const enc = {
            enc_data: encryptEcwidPayload(plaintext, TEST_CLIENT_SECRET, 'gcm'),
            data: encryptEcwidPayload(plaintext, TEST_CLIENT_SECRET, 'cbc'),
          };
          const form: Record<string, string> =
            fields === 'both' ? enc : fields === 'enc_data' ? { enc_data: enc.enc_data } : { data: enc.data };
          const res = await check(() => postForm(form), { mayChange: (r) => r.status === 200 });
          expect([200, 400, 413, 422]).toContain(res.status);
          if (res.status === 200) expect(res.text).toContain('id="continue"');
        },
      ),
      runs(250),
    );
  });

  // ------------------------------------------------------------------ notifications

  const headerName = fc.oneof(
    fc.constantFrom(
      'content-type',
      'x-pay-signature',
      'x-pay-timestamp',
      'x-pay-webhook-id',
      'x-ecwid-webhook-signature',
      'digest',
      'authorization',
      'x-double-signature',
    ),
    fc.stringMatching(/^x-[a-z-]{1,20}$/),
  );
  const headerValue = fc.oneof(
    fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
    fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'SHA256=' + '0'.repeat(64),
      String(Date.now()),
      '-1',
      '99999999999999999',
    ),
  );
  const headers = fc.dictionary(headerName, headerValue, { maxKeys: 5 });
  const anyBody = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
    bytes(300).map((b) => b.toString('latin1')),
  );

  /** Near-misses shaped like each provider's notification, naming real payments and orders. */
  const shaped = (provider: 'etpay' | 'conekta' | 'ecartpay' | 'ecwid') => {
    const id = fc.oneof(
      fc.constantFrom(refs.etpay, refs.conekta, refs.ecartpay, ids.paid),
      fc.string({ maxLength: 40 }),
    );
    switch (provider) {
      case 'etpay':
        return fc
          .tuple(
            fc.oneof(
              fc.string({ maxLength: 200 }),
              fc
                .tuple(
                  fc.jsonValue({ maxDepth: 2 }),
                  fc.jsonValue({ maxDepth: 3 }),
                  fc.string({ maxLength: 40 }),
                )
                .map(
                  ([h, p, sig]) =>
                    `${Buffer.from(JSON.stringify(h) ?? '').toString('base64url')}.${Buffer.from(JSON.stringify(p) ?? '').toString('base64url')}.${sig}`,
                ),
              id.map(
                (session) =>
                  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ session_token: session, status: 'success' })).toString('base64url')}.`,
              ),
            ),
          )
          .map(([jwt]) => JSON.stringify({ payment: jwt }));
      case 'conekta':
        return fc
          .record({
            id: fc.string({ maxLength: 30 }),
            type: fc.constantFrom(
              'order.paid',
              'order.pending_payment',
              'order.declined',
              'charge.paid',
              'webhook_ping',
              'x',
            ),
            livemode: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
            data: fc.record({
              object: fc.record(
                {
                  id,
                  object: fc.constantFrom('order', 'charge', 'x'),
                  payment_status: fc.constantFrom('paid', 'pending_payment', 'declined', 'expired'),
                  amount: fc.oneof(fc.integer(), fc.double()),
                  currency: fc.constantFrom('MXN', 'USD', 'mxn', ''),
                  metadata: fc.dictionary(
                    fc.constantFrom('payment_id', 'integration', 'x'),
                    fc.oneof(fc.constantFrom(ids.conekta, ids.paid), fc.string()),
                  ),
                },
                { requiredKeys: [] },
              ),
            }),
          })
          .map((e) => JSON.stringify(e));
      case 'ecartpay':
        return fc
          .record({
            event: fc.constantFrom('orders.confirmation', 'orders.update', 'x'),
            data: fc.record({ id, status: fc.string() }, { requiredKeys: [] }),
          })
          .map((e) => JSON.stringify(e));
      case 'ecwid':
        return fc
          .record(
            {
              eventId: fc.string({ maxLength: 50 }),
              eventCreated: fc.oneof(fc.integer(), fc.double()),
              storeId: fc.oneof(fc.constant(1003), fc.integer()),
              eventType: fc.constantFrom(
                'application.uninstalled',
                'application.installed',
                'order.updated',
                '',
              ),
              data: fc.jsonValue({ maxDepth: 2 }),
            },
            { requiredKeys: [] },
          )
          .map((e) => JSON.stringify(e));
    }
  };

  it.each(['etpay', 'conekta', 'ecartpay', 'ecwid'] as const)(
    'POST /webhooks/%s: random bodies and headers are refused or ignored, nothing changes',
    async (provider) => {
      const path = fc.oneof(
        fc.constant(`/webhooks/${provider}`),
        fc
          .oneof(fc.constantFrom(ids.etpay, ids.conekta, ids.ecartpay, ids.paid), fc.webSegment())
          .map((id) => `/webhooks/${provider}/${encodeURIComponent(id)}`),
      );
      // Ecart Pay notifications signed correctly but about a random or another payment's order.
      const signedEcart = fc
        .record({
          id: fc.oneof(
            fc.constantFrom(refs.etpay, refs.conekta, refs.ecartpay),
            fc.string({ maxLength: 30 }),
          ),
          status: fc.string({ maxLength: 10 }),
        })
        .map((data) => ({
          body: JSON.stringify({ event: 'orders.update', data }),
          headers: ecartNotificationHeaders(ECART.webhookSecret, data),
        }));
      await fc.assert(
        fc.asyncProperty(
          path,
          fc.oneof(
            fc.record({ body: fc.oneof(anyBody, shaped(provider)), headers }),
            ...(provider === 'ecartpay' ? [signedEcart] : []),
          ),
          async (url, { body, headers: given }) => {
            const res = await check(
              () => {
                let req = request(app.url).post(url);
                for (const [name, value] of Object.entries(given)) req = req.set(name, value);
                return req.send(body);
              },
              { receiptMayBeRecorded: 'x-pay-signature' in given && given['x-pay-signature']!.length === 71 },
            );
            expect(res.headers['content-type']).toMatch(/^application\/json/);
            // An authentic-but-irrelevant Ecart notification is acknowledged; nothing else here is.
            if (res.status === 200) expect(res.body).toMatchObject({ ok: true });
          },
        ),
        runs(provider === 'ecwid' ? 150 : 200),
      );
    },
  );

  // ------------------------------------------------------------------ shopper URLs

  it('random URLs under /pay and /return answer a page, a redirect or a 4xx, and change nothing', async () => {
    const id = fc.oneof(
      fc.constant(ids.paid),
      fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      fc.webSegment(),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.constantFrom('..', '%2e%2e', '%00', '%', '%zz', 'AAAAAAAAAAAAAAAAAAAAAA', ids.paid.toLowerCase()),
    );
    const url = fc
      .tuple(
        fc.constantFrom('/pay', '/return'),
        id,
        fc.constantFrom('', '/checkout', '/status', '/x', '/checkout/', '//'),
        fc.oneof(
          fc.constant(''),
          fc.webQueryParameters().map((q) => `?${q}`),
          fc.constantFrom(
            '?provider=etpay',
            '?provider=__proto__',
            '?status=PAID',
            '?jwt=a.b.c',
            '?etpay=cancelled?jwt=x',
            '?provider[]=1&provider=2',
          ),
        ),
      )
      .map(([base, segment, rest, query]) => `${base}/${segment}${rest}${query}`);
    await fc.assert(
      fc.asyncProperty(url, fc.constantFrom('GET', 'HEAD', 'POST'), async (path, method) => {
        const res = await check(() =>
          method === 'GET'
            ? request(app.url).get(path)
            : method === 'HEAD'
              ? request(app.url).head(path)
              : request(app.url).post(path),
        );
        expect([200, 303, 400, 404, 405, 413]).toContain(res.status);
        if (res.status === 303) {
          const location = String(res.headers.location);
          // Only to the app's own pages or the store's exact return URL: never to a provider here.
          expect(location.startsWith('/') || location.startsWith(ecwid.url)).toBe(true);
        }
      }),
      runs(300),
    );
  });
});
