import { Writable } from 'node:stream';
import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { createLogger, redactSensitive, type Logger } from '../../src/logger';

const TOKEN = 'secret_StoreToken_9f8e7d6c';
const SECRET = 'client-secret-AbCdEf0123456789';
const EMAIL = 'ana.perez.unique@example.mx';
const PHONE = '+52 55 1234 9876';
const AUTHORIZATION = 'Bearer secret_AuthHeader_1a2b3c';
const ALL = [TOKEN, SECRET, EMAIL, PHONE, AUTHORIZATION];

function capture(level = 'info'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function sensitive() {
  return { token: TOKEN, secret: SECRET, email: EMAIL, phone: PHONE, authorization: AUTHORIZATION };
}

function expectClean(output: string): void {
  for (const value of ALL) expect(output).not.toContain(value);
  // The partial token must not show either (e.g. a prefix kept by a naive masker).
  expect(output).not.toContain('StoreToken');
}

describe('redaction', () => {
  it('at the top level', () => {
    const log = capture();
    log.logger.info({ ...sensitive(), paymentId: 'pay_top' }, 'top');
    const output = log.text();
    expectClean(output);
    const [line] = log.lines();
    expect(line).toMatchObject({
      token: '[redacted]',
      secret: '[redacted]',
      email: '[redacted]',
      phone: '[redacted]',
      authorization: '[redacted]',
      paymentId: 'pay_top',
      msg: 'top',
    });
  });

  it('one level down', () => {
    const log = capture();
    log.logger.info({ payment: { ...sensitive(), id: 'pay_one' } }, 'one');
    expectClean(log.text());
    expect(log.lines()[0]!.payment).toEqual({
      token: '[redacted]',
      secret: '[redacted]',
      email: '[redacted]',
      phone: '[redacted]',
      authorization: '[redacted]',
      id: 'pay_one',
    });
  });

  it('two levels down (request headers, order customer)', () => {
    const log = capture();
    log.logger.info(
      {
        req: { headers: { authorization: AUTHORIZATION, Authorization: AUTHORIZATION, host: 'app.local' } },
        order: { customer: { ...sensitive(), country: 'MX' } },
      },
      'two',
    );
    expectClean(log.text());
    const line = log.lines()[0]!;
    expect(line.req).toEqual({
      headers: { authorization: '[redacted]', Authorization: '[redacted]', host: 'app.local' },
    });
    expect((line.order as { customer: Record<string, unknown> }).customer).toMatchObject({
      token: '[redacted]',
      email: '[redacted]',
      country: 'MX',
    });
  });

  it('inside arrays of objects', () => {
    const log = capture();
    log.logger.info({ customers: [{ email: EMAIL, phone: PHONE, name: 'ok' }] }, 'array');
    expectClean(log.text());
    expect(log.lines()[0]!.customers).toEqual([{ email: '[redacted]', phone: '[redacted]', name: 'ok' }]);
  });

  it('the decrypted payload fields and the Ecwid form fields', () => {
    const log = capture();
    log.logger.info(
      {
        body: { enc_data: 'ENCRYPTEDBLOB', data: 'LEGACYBLOB' },
        request: {
          returnUrl: 'https://store.example.com/return?key=RETURNKEY',
          billingPerson: { name: 'Ana Pérez', street: 'Insurgentes 1' },
          ipAddress: '203.0.113.9',
        },
      },
      'payload',
    );
    const output = log.text();
    for (const value of [
      'ENCRYPTEDBLOB',
      'LEGACYBLOB',
      'RETURNKEY',
      'Ana Pérez',
      'Insurgentes',
      '203.0.113.9',
    ]) {
      expect(output).not.toContain(value);
    }
  });

  it('cookies in request and response headers', () => {
    const log = capture();
    log.logger.info(
      {
        req: { headers: { cookie: 'sid=SESSIONCOOKIE' } },
        res: { headers: { 'set-cookie': 'sid=SETCOOKIE' } },
      },
      'cookies',
    );
    expect(log.text()).not.toContain('SESSIONCOOKIE');
    expect(log.text()).not.toContain('SETCOOKIE');
    expect(log.text()).toContain('[redacted]');
  });

  it('in child logger bindings', () => {
    const log = capture();
    log.logger.child({ token: TOKEN, store: { email: EMAIL } }).info({ step: 'child' }, 'child');
    expectClean(log.text());
    expect(log.lines()[0]).toMatchObject({ token: '[redacted]', step: 'child' });
  });

  it('provider credentials under their own names', () => {
    const log = capture();
    const creds = {
      privateKey: 'key_CONEKTAPRIVATE',
      merchant_api_token: 'ETPAYMERCHANTTOKEN',
      signature_token: 'ETPAYSIGNATURE',
      webhookSecret: 'ECARTWEBHOOK',
      clientSecret: 'ECWIDCLIENTSECRET',
      access_token: 'ECWIDACCESSTOKEN',
      password: 'PASSWORD123',
    };
    log.logger.info({ settings: { providers: creds } }, 'creds');
    for (const value of Object.values(creds)) expect(log.text()).not.toContain(value);
  });

  it('keeps ordinary fields (the capture really shows what is logged)', () => {
    const log = capture();
    log.logger.info({ paymentId: 'pay_visible', storeId: 1003, state: 'paid' }, 'visible');
    expect(log.lines()[0]).toMatchObject({ paymentId: 'pay_visible', storeId: 1003, state: 'paid' });
  });

  it('respects the level', () => {
    const log = capture('warn');
    log.logger.info({ token: TOKEN }, 'hidden');
    log.logger.warn({ paymentId: 'p' }, 'shown');
    expect(log.lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('at any depth the app logs, whatever the case of the key', () => {
    const log = capture();
    log.logger.info({ a: { b: { c: { d: { TOKEN: TOKEN, Email: EMAIL, keep: 'deep-visible' } } } } }, 'deep');
    expectClean(log.text());
    expect(log.text()).toContain('deep-visible');
  });

  it('in grandchild bindings and in properties of logged errors', () => {
    const log = capture();
    const err = Object.assign(new Error('provider refused'), { token: TOKEN, detail: { email: EMAIL } });
    log.logger.child({ a: 1 }).child({ secret: SECRET }).error({ err }, 'failed');
    expectClean(log.text());
    const line = log.lines()[0]!;
    expect(line).toMatchObject({
      secret: '[redacted]',
      err: { message: 'provider refused', token: '[redacted]' },
    });
  });

  it("copies only what it redacts: the caller's objects are never changed", () => {
    const clean = { paymentId: 'p', nested: { state: 'paid' } };
    expect(redactSensitive(clean)).toBe(clean);
    const dirty = { paymentId: 'p', nested: { token: TOKEN }, list: [{ email: EMAIL }] };
    const redacted = redactSensitive(dirty);
    expect(redacted).toEqual({
      paymentId: 'p',
      nested: { token: '[redacted]' },
      list: [{ email: '[redacted]' }],
    });
    expect(dirty.nested.token).toBe(TOKEN);
    expect(dirty.list[0]!.email).toBe(EMAIL);
  });

  it('stops at a cycle instead of looping', () => {
    const cyclic: Record<string, unknown> = { id: 'c' };
    cyclic.self = cyclic;
    expect(() => redactSensitive(cyclic)).not.toThrow();
  });
});

describe('errors', () => {
  function axiosError(): AxiosError {
    const config = {
      method: 'put',
      baseURL: 'https://app.ecwid.com/api/v3',
      url: '/1003/orders/transaction_1?token=QUERYTOKEN',
      headers: new AxiosHeaders({ Authorization: AUTHORIZATION, 'Content-Type': 'application/json' }),
      data: JSON.stringify({ email: EMAIL }),
    } as InternalAxiosRequestConfig;
    return new AxiosError(
      'Request failed with status code 500',
      'ERR_BAD_RESPONSE',
      config,
      {},
      {
        status: 500,
        statusText: 'Internal Server Error',
        headers: {},
        config,
        data: { errorMessage: `customer ${PHONE}` },
      },
    );
  }

  it.each(['err', 'error'])(
    'an axios error under %s keeps method, path and status, and no secrets',
    (key) => {
      const log = capture();
      log.logger.error({ [key]: axiosError(), paymentId: 'pay_err' }, 'ecwid failed');
      const output = log.text();
      expectClean(output);
      expect(output).not.toContain('QUERYTOKEN');
      expect(log.lines()[0]![key]).toMatchObject({
        type: 'AxiosError',
        message: 'Request failed with status code 500',
        code: 'ERR_BAD_RESPONSE',
        method: 'PUT',
        url: 'https://app.ecwid.com/api/v3/1003/orders/transaction_1',
        status: 500,
      });
    },
  );

  it('an axios error passed as the first argument', () => {
    const log = capture();
    log.logger.error(axiosError(), 'as object');
    expectClean(log.text());
    expect(log.lines()[0]!.err).toMatchObject({ method: 'PUT', status: 500 });
  });

  it('a plain error keeps its message, stack and own fields, with sensitive fields redacted', () => {
    const log = capture();
    const error = Object.assign(new Error('database unavailable'), { code: 'ECONNREFUSED', token: TOKEN });
    log.logger.error({ err: error }, 'plain');
    expectClean(log.text());
    expect(log.lines()[0]!.err).toMatchObject({
      type: 'Error',
      message: 'database unavailable',
      code: 'ECONNREFUSED',
      token: '[redacted]',
    });
    expect(String((log.lines()[0]!.err as { stack: string }).stack)).toContain('database unavailable');
  });
});
