import { pageLanguage, readPaymentRequest } from '../../src/ecwid/paymentRequest';
import { cbcBytes, encCbc, encGcm, fixedIv, gcmBytes, urlSafeUnpadded } from './helpers/ecwidCipher';

const SECRET = 'AbCdEfGhIjKlMnOp-client-secret-tail';
const TOKEN = 'secret_TOKEN0123456789abcdefSTORE';
const EMAIL = 'shopper.unique@example.cl';
const PHONE = '+56 9 8765 4321';
const RETURN_URL =
  'https://store.example.com/checkout/return?clientId=custom-app-1&timestamp=1716300000&key=k3yV4lu3';

type Json = Record<string, unknown>;

/** A payment request shaped like Ecwid's (a small subset of its hundreds of fields). */
function payload(overrides: { root?: Json; order?: Json; currency?: unknown } = {}): Json {
  return {
    storeId: 1003,
    returnUrl: RETURN_URL,
    token: TOKEN,
    lang: 'es',
    merchantAppSettings: { public: '{"mode":"test"}', providers: 'etpay,conekta', sandbox: 'true' },
    cart: {
      currency: 'currency' in overrides ? overrides.currency : 'MXN',
      order: {
        referenceTransactionId: 'transaction_65306446',
        id: 'XJ12H',
        orderNumber: 65306446,
        total: 2014.97,
        subtotal: 1900,
        tax: 114.97,
        email: EMAIL,
        customerId: 9911,
        ipAddress: '203.0.113.7',
        paymentStatus: 'INCOMPLETE',
        billingPerson: { name: 'Ana Pérez', phone: PHONE, street: 'Av. Siempre Viva 742', countryCode: 'MX' },
        shippingPerson: null,
        items: [{ name: 'Café de Olla', sku: 'CAFE-1', price: 950, quantity: 2, weight: 1 }],
        someFieldTheAppIgnores: { nested: true },
        ...overrides.order,
      },
    },
    ...overrides.root,
  };
}

function withoutOrderField(field: string): Json {
  const p = payload();
  delete ((p.cart as Json).order as Json)[field];
  return p;
}

function read(p: unknown) {
  return readPaymentRequest({ enc_data: encGcm(p, SECRET) }, SECRET);
}

/** No error may carry the token or anything personal from the decrypted payload. */
function expectNoLeak(result: unknown): void {
  const text = JSON.stringify(result);
  for (const secret of [TOKEN, EMAIL, PHONE, 'k3yV4lu3', 'Ana Pérez', 'Siempre Viva', '203.0.113.7']) {
    expect(text).not.toContain(secret);
  }
}

describe('a valid request', () => {
  it('is decrypted from enc_data (GCM) and converted', () => {
    const result = read(payload());
    expect(result).toEqual({
      ok: true,
      request: {
        storeId: 1003,
        referenceTransactionId: 'transaction_65306446',
        returnUrl: RETURN_URL,
        token: TOKEN,
        lang: 'es',
        total: { amount: 201497, currency: 'MXN' },
        order: {
          ecwidOrderId: 'XJ12H',
          email: EMAIL,
          customerId: '9911',
          billingPerson: {
            name: 'Ana Pérez',
            phone: PHONE,
            street: 'Av. Siempre Viva 742',
            countryCode: 'MX',
          },
          shippingPerson: undefined,
          items: [{ name: 'Café de Olla', sku: 'CAFE-1', price: 950, quantity: 2 }],
        },
      },
    });
  });

  it('keeps returnUrl exactly as received, query included', () => {
    const result = read(payload());
    expect(result.ok && result.request.returnUrl).toBe(RETURN_URL);
  });

  it('accepts a numeric order id and prefixed ids as the shown reference', () => {
    const numeric = read(payload({ order: { id: 48213 } }));
    expect(numeric.ok && numeric.request.order.ecwidOrderId).toBe('48213');
    const prefixed = read(payload({ order: { id: 'SALE-G01ZG' } }));
    expect(prefixed.ok && prefixed.request.order.ecwidOrderId).toBe('SALE-G01ZG');
  });

  it('accepts missing billing and shipping persons and missing items', () => {
    const p = payload({ order: { billingPerson: undefined, shippingPerson: undefined } });
    delete ((p.cart as Json).order as Json).items;
    const result = read(p);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request.order.billingPerson).toBeUndefined();
    expect(result.request.order.items).toEqual([]);
  });

  it('converts CLP totals without decimals', () => {
    const result = read(payload({ currency: 'CLP', order: { total: 15000 } }));
    expect(result.ok && result.request.total).toEqual({ amount: 15000, currency: 'CLP' });
  });

  it('tolerates binary float noise in the total (Ecwid sums floats)', () => {
    const result = read(payload({ order: { total: 0.1 + 0.2 } }));
    expect(result.ok && result.request.total).toEqual({ amount: 30, currency: 'MXN' });
  });
});

describe('which field is decrypted', () => {
  it('prefers enc_data over data when both arrive', () => {
    const fromGcm = payload({ root: { storeId: 1 } });
    const fromCbc = payload({ root: { storeId: 2 } });
    const result = readPaymentRequest(
      { enc_data: encGcm(fromGcm, SECRET), data: encCbc(fromCbc, SECRET) },
      SECRET,
    );
    expect(result.ok && result.request.storeId).toBe(1);
  });

  it('ignores a broken data field when enc_data is valid', () => {
    const result = readPaymentRequest({ enc_data: encGcm(payload(), SECRET), data: '!!garbage!!' }, SECRET);
    expect(result.ok).toBe(true);
  });

  it('decrypts data alone as legacy CBC', () => {
    const result = readPaymentRequest({ data: encCbc(payload(), SECRET) }, SECRET);
    expect(result.ok && result.request.total).toEqual({ amount: 201497, currency: 'MXN' });
  });

  it('falls back to data when enc_data is empty', () => {
    const result = readPaymentRequest({ enc_data: '', data: encCbc(payload(), SECRET) }, SECRET);
    expect(result.ok).toBe(true);
  });

  it('does not decrypt data as GCM nor enc_data as CBC', () => {
    const gcmInData = readPaymentRequest({ data: encGcm(payload(), SECRET) }, SECRET);
    expect(gcmInData).toEqual({
      ok: false,
      error: { kind: 'decrypt', reason: 'cannot_decrypt', field: 'data' },
    });
    const cbcInEncData = readPaymentRequest({ enc_data: encCbc(payload(), SECRET) }, SECRET);
    expect(cbcInEncData).toEqual({
      ok: false,
      error: { kind: 'decrypt', reason: 'cannot_decrypt', field: 'enc_data' },
    });
  });

  it('a broken enc_data is reported as such, even when data would decrypt', () => {
    const tampered = gcmBytes(JSON.stringify(payload()), SECRET, fixedIv('t'));
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    const result = readPaymentRequest(
      { enc_data: urlSafeUnpadded(tampered), data: encCbc(payload(), SECRET) },
      SECRET,
    );
    expect(result).toEqual({
      ok: false,
      error: { kind: 'decrypt', reason: 'cannot_decrypt', field: 'enc_data' },
    });
  });

  it.each([
    ['nothing', {}],
    ['empty strings', { enc_data: '', data: '' }],
    ['non-string values', { enc_data: ['a', 'b'], data: { x: 1 } }],
  ])('%s → missing_data', (_label, form) => {
    expect(readPaymentRequest(form, SECRET)).toEqual({ ok: false, error: { kind: 'missing_data' } });
  });

  it.each([
    ['wrong key', encGcm(payload(), 'ZZZZZZZZZZZZZZZZ-another-app'), 'cannot_decrypt'],
    ['not base64', 'this is not base64!', 'not_base64'],
    ['truncated', encGcm(payload(), SECRET).slice(0, 30), 'too_short'],
  ])('%s → decrypt error naming the field', (_label, encData, reason) => {
    expect(readPaymentRequest({ enc_data: encData }, SECRET)).toEqual({
      ok: false,
      error: { kind: 'decrypt', reason, field: 'enc_data' },
    });
  });

  it('a wrong key on legacy data is reported for data', () => {
    const result = readPaymentRequest({ data: encCbc(payload(), 'ZZZZZZZZZZZZZZZZ-another-app') }, SECRET);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ kind: 'decrypt', field: 'data' });
  });
});

describe('decrypted content that is not a valid request', () => {
  it('not JSON → not_json, without the plaintext', () => {
    const plaintext = `token=${TOKEN}&email=${EMAIL}`;
    const result = readPaymentRequest({ enc_data: encGcm(plaintext, SECRET) }, SECRET);
    expect(result).toEqual({ ok: false, error: { kind: 'not_json' } });
    expectNoLeak(result);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[1,2,3]'],
    ['a string', '"hello"'],
  ])('JSON that is %s → invalid', (_label, text) => {
    const result = readPaymentRequest({ enc_data: encGcm(text, SECRET) }, SECRET);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.kind).toBe('invalid');
  });

  function issuesOf(p: unknown): string[] {
    const result = read(p);
    expectNoLeak(result);
    if (result.ok || result.error.kind !== 'invalid')
      throw new Error(`expected invalid, got ${JSON.stringify(result)}`);
    return result.error.issues;
  }

  it.each([
    ['storeId as a string', 'storeId', payload({ root: { storeId: '1003' } })],
    ['storeId zero', 'storeId', payload({ root: { storeId: 0 } })],
    ['storeId fractional', 'storeId', payload({ root: { storeId: 10.5 } })],
    ['missing returnUrl', 'returnUrl', payload({ root: { returnUrl: undefined } })],
    ['returnUrl not a URL', 'returnUrl', payload({ root: { returnUrl: 'store.example.com/return' } })],
    ['returnUrl javascript:', 'returnUrl', payload({ root: { returnUrl: 'javascript:alert(1)' } })],
    ['missing token', 'token', payload({ root: { token: undefined } })],
    ['empty token', 'token', payload({ root: { token: '' } })],
    ['token as a number', 'token', payload({ root: { token: 123456 } })],
    ['missing cart', 'cart', payload({ root: { cart: undefined } })],
    [
      'missing referenceTransactionId',
      'cart.order.referenceTransactionId',
      withoutOrderField('referenceTransactionId'),
    ],
    [
      'empty referenceTransactionId',
      'cart.order.referenceTransactionId',
      payload({ order: { referenceTransactionId: '' } }),
    ],
    [
      'numeric referenceTransactionId',
      'cart.order.referenceTransactionId',
      payload({ order: { referenceTransactionId: 65306446 } }),
    ],
    ['missing order id', 'cart.order.id', withoutOrderField('id')],
    ['missing total', 'cart.order.total', withoutOrderField('total')],
    ['total as a string', 'cart.order.total', payload({ order: { total: '2014.97' } })],
    ['total "NaN"', 'cart.order.total', payload({ order: { total: 'NaN' } })],
    ['total null', 'cart.order.total', payload({ order: { total: null } })],
    ['lowercase currency', 'cart.currency', payload({ currency: 'mxn' })],
    ['missing currency', 'cart.currency', payload({ currency: undefined })],
    [
      'item with a fractional quantity',
      'cart.order.items.0.quantity',
      payload({ order: { items: [{ name: 'x', price: 1, quantity: 1.5 }] } }),
    ],
  ])('%s → invalid, naming %s', (_label, path, p) => {
    const issues = issuesOf(p);
    expect(issues.some((i) => i.startsWith(`${path}:`))).toBe(true);
  });

  it('a total that overflows to Infinity in JSON (1e400) is invalid', () => {
    const text = JSON.stringify(payload()).replace('"total":2014.97', '"total":1e400');
    expect(text).toContain('1e400');
    const result = readPaymentRequest({ enc_data: encGcm(text, SECRET) }, SECRET);
    expect(!result.ok && result.error.kind).toBe('invalid');
  });

  it('reports every problem at once', () => {
    const issues = issuesOf(payload({ root: { storeId: 'x', token: undefined, returnUrl: undefined } }));
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual(['returnUrl', 'storeId', 'token']);
  });

  it('an over-long token is refused without echoing it', () => {
    const longToken = `${TOKEN}${'x'.repeat(2000)}`;
    const result = read(payload({ root: { token: longToken } }));
    expect(!result.ok && result.error.kind).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe('amounts', () => {
  it.each([
    ['negative', -10],
    ['zero', 0],
    ['more decimals than MXN has', 1.234],
    ['the smallest negative', -0.01],
  ])('%s total → amount/invalid_total', (_label, total) => {
    const result = read(payload({ order: { total } }));
    expect(result).toEqual({
      ok: false,
      error: { kind: 'amount', reason: 'invalid_total', currency: 'MXN' },
    });
    expectNoLeak(result);
  });

  it('a CLP total with decimals is invalid (CLP has none)', () => {
    expect(read(payload({ currency: 'CLP', order: { total: 10.5 } }))).toEqual({
      ok: false,
      error: { kind: 'amount', reason: 'invalid_total', currency: 'CLP' },
    });
  });

  it('a total that rounds to zero minor units is invalid', () => {
    expect(read(payload({ order: { total: 1e-9 } }))).toEqual({
      ok: false,
      error: { kind: 'amount', reason: 'invalid_total', currency: 'MXN' },
    });
  });

  it.each(['JPY', 'XXX', 'BTC'])('unsupported currency %s → amount/unsupported_currency', (currency) => {
    const result = read(payload({ currency }));
    expect(result).toEqual({
      ok: false,
      error: { kind: 'amount', reason: 'unsupported_currency', currency },
    });
    expectNoLeak(result);
  });
});

describe('language', () => {
  it.each([
    [undefined, 'es'],
    ['es', 'es'],
    ['es-CL', 'es'],
    ['en', 'en'],
    ['EN', 'en'],
    ['en-US', 'en'],
    ['en_GB', 'en'],
    ['pt', 'es'],
    ['fr-FR', 'es'],
    ['', 'es'],
    ['zz', 'es'],
  ])('pageLanguage(%p) → %s', (lang, expected) => {
    expect(pageLanguage(lang)).toBe(expected);
  });

  it.each([
    ['en-US', 'en'],
    ['de', 'es'],
    [undefined, 'es'],
  ])('a request with lang %p is served in %s', (lang, expected) => {
    const result = read(payload({ root: { lang } }));
    expect(result.ok && result.request.lang).toBe(expected);
  });
});

describe('errors never carry the token or decrypted values', () => {
  it('for each kind of failure', () => {
    const results = [
      read(payload({ root: { storeId: TOKEN } })),
      read(payload({ root: { returnUrl: `not a url ${TOKEN}` } })),
      read(payload({ order: { email: `${EMAIL}${'x'.repeat(400)}` } })),
      read(payload({ order: { billingPerson: { name: 42, phone: PHONE } } })),
      read(payload({ order: { referenceTransactionId: { token: TOKEN } } })),
      read(payload({ currency: TOKEN })),
      readPaymentRequest({ enc_data: encGcm(`${TOKEN} ${EMAIL}`, SECRET) }, SECRET),
      readPaymentRequest({ enc_data: encGcm(payload(), 'wrong-key-0123456789') }, SECRET),
      readPaymentRequest(
        { data: urlSafeUnpadded(cbcBytes(JSON.stringify(payload()), SECRET)).slice(0, -2) },
        SECRET,
      ),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      expectNoLeak(result);
    }
  });
});
