import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEMO_CLIENT_ID, loadConfig } from '../../src/config';

const CLIENT_SECRET = 'ClientSecret0123456789abcdefXYZ';
const SECRET_KEY = 'a-production-secret-key-of-40-characters!';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'config-test-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** A complete production environment; each test changes what it is about. */
function production(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ECWID_CLIENT_ID: 'custom-app-123-1',
    ECWID_CLIENT_SECRET: CLIENT_SECRET,
    SECRET_KEY,
    DATA_DIR: dataDir,
    ...extra,
  };
}

function demo(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { DATA_DIR: dataDir, ...extra };
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    // The message lists the same problems.
    for (const p of problems) expect((error as Error).message).toContain(p);
    return problems;
  }
  throw new Error('expected a ConfigError');
}

function expectProblemFor(env: NodeJS.ProcessEnv, variable: string): string {
  const problems = problemsOf(env);
  const problem = problems.find((p) => p.startsWith(`${variable}:`));
  expect(problem).toBeDefined();
  return problem!;
}

describe('demo mode (no ECWID_CLIENT_SECRET)', () => {
  it('generates a secret key and a demo client secret and keeps them in DATA_DIR', () => {
    const config = loadConfig(demo());
    expect(config.demo).toBe(true);
    expect(config.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(config.ecwid.clientSecret.length).toBeGreaterThanOrEqual(16);
    expect(config.secretKey).not.toBe(config.ecwid.clientSecret);
    expect(config.ecwid.clientId).toBe(DEMO_CLIENT_ID);
    expect(readFileSync(path.join(dataDir, 'secret-key'), 'utf8')).toBe(config.secretKey);
    expect(readFileSync(path.join(dataDir, 'ecwid-client-secret'), 'utf8')).toBe(config.ecwid.clientSecret);
  });

  it('keeps the files private to the owner', () => {
    loadConfig(demo());
    expect(statSync(path.join(dataDir, 'secret-key')).mode & 0o077).toBe(0);
    expect(statSync(path.join(dataDir, 'ecwid-client-secret')).mode & 0o077).toBe(0);
  });

  it('returns the same values on a second load (sealed data survives restarts)', () => {
    const first = loadConfig(demo());
    const second = loadConfig(demo());
    expect(second.secretKey).toBe(first.secretKey);
    expect(second.ecwid.clientSecret).toBe(first.ecwid.clientSecret);
  });

  it('leaves no temporary files behind', () => {
    loadConfig(demo());
    expect(readdirSync(dataDir).sort()).toEqual(['ecwid-client-secret', 'secret-key']);
  });

  it('creates DATA_DIR when it does not exist', () => {
    const nested = path.join(dataDir, 'a', 'b');
    const config = loadConfig(demo({ DATA_DIR: nested }));
    expect(config.dataDir).toBe(nested);
    expect(existsSync(path.join(nested, 'secret-key'))).toBe(true);
  });

  it('another DATA_DIR gets other values', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'config-test-other-'));
    try {
      expect(loadConfig(demo({ DATA_DIR: other })).secretKey).not.toBe(loadConfig(demo()).secretKey);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('uses a value already in DATA_DIR (e.g. written by another process)', () => {
    const kept = 'k'.repeat(43);
    writeFileSync(path.join(dataDir, 'secret-key'), `${kept}\n`);
    expect(loadConfig(demo()).secretKey).toBe(kept);
  });

  it('regenerates an empty kept file (left by a crash) instead of using an empty key', () => {
    writeFileSync(path.join(dataDir, 'secret-key'), '');
    const config = loadConfig(demo());
    expect(config.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dataDir, 'secret-key'), 'utf8')).toBe(config.secretKey);
  });

  it('refuses a kept value too short to be a key, naming the file', () => {
    writeFileSync(path.join(dataDir, 'ecwid-client-secret'), 'short');
    const problems = problemsOf(demo());
    expect(problems.join('\n')).toContain(path.join(dataDir, 'ecwid-client-secret'));
  });

  it('uses SECRET_KEY when given, and does not write one', () => {
    const config = loadConfig(demo({ SECRET_KEY }));
    expect(config.secretKey).toBe(SECRET_KEY);
    expect(existsSync(path.join(dataDir, 'secret-key'))).toBe(false);
  });

  it('points the Ecwid API at the sandbox by default', () => {
    const config = loadConfig(demo({ PORT: '4100' }));
    expect(config.ecwid.apiUrl).toBe('http://localhost:4100/sandbox/ecwid/api/v3');
  });

  it('DEMO_MODE=false does not turn a missing secret into production', () => {
    expect(loadConfig(demo({ DEMO_MODE: 'false' })).demo).toBe(true);
  });

  it('uses PGlite in DATA_DIR without DATABASE_URL', () => {
    expect(loadConfig(demo()).database).toEqual({ kind: 'pglite', dataDir });
  });
});

describe('production mode (ECWID_CLIENT_SECRET set)', () => {
  it('loads a complete environment', () => {
    const config = loadConfig(production());
    expect(config.demo).toBe(false);
    expect(config.ecwid).toEqual({
      clientId: 'custom-app-123-1',
      clientSecret: CLIENT_SECRET,
      apiUrl: 'https://app.ecwid.com/api/v3',
    });
    expect(config.secretKey).toBe(SECRET_KEY);
    expect(config.port).toBe(3000);
    expect(config.logLevel).toBe('info');
    expect(config.defaultProviders).toEqual([]);
    expect(config.conekta.apiUrl).toBe('https://api.conekta.io');
    expect(config.ecartpay.apiUrl).toMatch(/^https:\/\//);
    // Nothing generated in production mode.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('requires SECRET_KEY, naming the variable', () => {
    const problem = expectProblemFor(production({ SECRET_KEY: undefined }), 'SECRET_KEY');
    expect(problem).toMatch(/required/);
    expect(existsSync(path.join(dataDir, 'secret-key'))).toBe(false);
  });

  it('treats an empty SECRET_KEY as missing', () => {
    expectProblemFor(production({ SECRET_KEY: '   ' }), 'SECRET_KEY');
  });

  it('requires ECWID_CLIENT_ID', () => {
    expectProblemFor(production({ ECWID_CLIENT_ID: undefined }), 'ECWID_CLIENT_ID');
  });

  it('refuses a SECRET_KEY shorter than 32 characters without echoing it', () => {
    const short = 'S'.repeat(31);
    const problem = expectProblemFor(production({ SECRET_KEY: short }), 'SECRET_KEY');
    expect(problem).toContain('32');
    expect(problemsOf(production({ SECRET_KEY: short })).join('\n')).not.toContain(short);
    expect(loadConfig(production({ SECRET_KEY: 'S'.repeat(32) })).secretKey).toBe('S'.repeat(32));
  });

  it('refuses an ECWID_CLIENT_SECRET shorter than 16 characters without echoing it', () => {
    const short = 'Q'.repeat(15);
    const problem = expectProblemFor(production({ ECWID_CLIENT_SECRET: short }), 'ECWID_CLIENT_SECRET');
    expect(problem).toContain('16');
    expect(problemsOf(production({ ECWID_CLIENT_SECRET: short })).join('\n')).not.toContain(short);
  });

  it('DEMO_MODE=true with a secret runs demo mode with the real client secret and a warning', () => {
    const config = loadConfig(production({ DEMO_MODE: 'true', SECRET_KEY: undefined }));
    expect(config.demo).toBe(true);
    expect(config.ecwid.clientSecret).toBe(CLIENT_SECRET);
    expect(config.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(config.warnings.some((w) => w.includes('DEMO_MODE'))).toBe(true);
    expect(config.warnings.join('\n')).not.toContain(CLIENT_SECRET);
    expect(existsSync(path.join(dataDir, 'ecwid-client-secret'))).toBe(false);
  });

  it('DEMO_MODE is case-insensitive and empty means unset', () => {
    expect(loadConfig(production({ DEMO_MODE: 'TRUE' })).demo).toBe(true);
    expect(loadConfig(production({ DEMO_MODE: '' })).demo).toBe(false);
    expectProblemFor(production({ DEMO_MODE: 'yes' }), 'DEMO_MODE');
    // The cross-field rules read DEMO_MODE the same way: no SECRET_KEY needed in demo mode.
    expect(loadConfig(production({ DEMO_MODE: ' True ', SECRET_KEY: undefined })).demo).toBe(true);
  });

  it('reports a missing SECRET_KEY together with malformed variables', () => {
    const problems = problemsOf(production({ SECRET_KEY: undefined, PORT: 'x' }));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'SECRET_KEY']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(production({ PORT: 'x', APP_URL: 'nope', SECRET_KEY: 'short' }));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['APP_URL', 'PORT', 'SECRET_KEY']);
  });
});

describe('PORT', () => {
  it.each(['abc', '70000', '-1', '3000.5', '65536'])('refuses %p', (port) => {
    expectProblemFor(production({ PORT: port }), 'PORT');
  });

  it.each([
    ['8080', 8080],
    [' 8080 ', 8080],
    ['0', 0],
    ['65535', 65535],
    [undefined, 3000],
    ['', 3000],
    ['  ', 3000],
  ])('%p → %p', (port, expected) => {
    expect(loadConfig(production({ PORT: port })).port).toBe(expected);
  });
});

describe('URLs', () => {
  it('APP_URL defaults to http://localhost:$PORT with a plain-http warning', () => {
    const config = loadConfig(production({ PORT: '4321' }));
    expect(config.appUrl).toBe('http://localhost:4321');
    expect(config.warnings.some((w) => w.includes('APP_URL') && w.includes('http'))).toBe(true);
  });

  it('an https APP_URL gives no warning', () => {
    const config = loadConfig(production({ APP_URL: 'https://pay.example.com' }));
    expect(config.appUrl).toBe('https://pay.example.com');
    expect(config.warnings).toEqual([]);
  });

  it('a plain-http APP_URL is accepted with a warning', () => {
    const config = loadConfig(production({ APP_URL: 'http://192.168.1.10:3000' }));
    expect(config.appUrl).toBe('http://192.168.1.10:3000');
    expect(config.warnings.some((w) => w.includes('APP_URL'))).toBe(true);
  });

  it('removes trailing slashes', () => {
    const config = loadConfig(
      production({
        APP_URL: 'https://pay.example.com/',
        ECWID_API_URL: 'https://ecwid.example.com/api/v3///',
        CONEKTA_API_URL: 'https://conekta.example.com/',
        ETPAY_API_URL: 'https://etpay.example.com/api/',
        ECARTPAY_API_URL: 'https://ecart.example.com/api/',
      }),
    );
    expect(config.appUrl).toBe('https://pay.example.com');
    expect(config.ecwid.apiUrl).toBe('https://ecwid.example.com/api/v3');
    expect(config.conekta.apiUrl).toBe('https://conekta.example.com');
    expect(config.etpay.apiUrl).toBe('https://etpay.example.com/api');
    expect(config.ecartpay.apiUrl).toBe('https://ecart.example.com/api');
  });

  it('ECWID_API_URL: Ecwid in production, the sandbox in demo, the variable when set', () => {
    expect(loadConfig(production()).ecwid.apiUrl).toBe('https://app.ecwid.com/api/v3');
    expect(loadConfig(demo({ APP_URL: 'https://demo.example.com' })).ecwid.apiUrl).toBe(
      'https://demo.example.com/sandbox/ecwid/api/v3',
    );
    expect(loadConfig(production({ ECWID_API_URL: 'http://127.0.0.1:9/api/v3' })).ecwid.apiUrl).toBe(
      'http://127.0.0.1:9/api/v3',
    );
  });

  it.each([
    ['APP_URL', 'not a url'],
    ['APP_URL', 'pay.example.com'],
    ['APP_URL', 'ftp://pay.example.com'],
    ['ECWID_API_URL', 'javascript:alert(1)'],
    ['CONEKTA_API_URL', 'api.conekta.io'],
    ['ETPAY_PMT_URL', 'file:///etc/passwd'],
    ['ECARTPAY_API_URL', 'https://'],
  ])('%s=%p is refused, naming the variable', (variable, value) => {
    expectProblemFor(production({ [variable]: value }), variable);
  });

  it('an empty URL variable means unset', () => {
    expect(loadConfig(production({ ECWID_API_URL: '', APP_URL: ' ' })).ecwid.apiUrl).toBe(
      'https://app.ecwid.com/api/v3',
    );
  });
});

describe('PAYMENT_PROVIDERS', () => {
  it('parses a comma list, trimming, lowercasing and removing duplicates and blanks', () => {
    expect(
      loadConfig(production({ PAYMENT_PROVIDERS: ' ETpay , conekta,,etpay,' })).defaultProviders,
    ).toEqual(['etpay', 'conekta']);
    expect(loadConfig(production({ PAYMENT_PROVIDERS: 'ecartpay' })).defaultProviders).toEqual(['ecartpay']);
    expect(loadConfig(production({ PAYMENT_PROVIDERS: '' })).defaultProviders).toEqual([]);
  });

  it('refuses an unknown provider, naming PAYMENT_PROVIDERS and the valid names', () => {
    const problem = expectProblemFor(production({ PAYMENT_PROVIDERS: 'etpay,paypal' }), 'PAYMENT_PROVIDERS');
    expect(problem).toContain('conekta');
  });
});

describe('DATABASE_URL', () => {
  it.each(['postgres://u:p@db:5432/app', 'postgresql://db/app'])('%p selects PostgreSQL', (url) => {
    expect(loadConfig(production({ DATABASE_URL: url })).database).toEqual({ kind: 'postgres', url });
  });

  it.each(['mysql://db/app', 'db:5432/app', 'https://db'])('%p is refused without echoing it', (url) => {
    const problem = expectProblemFor(production({ DATABASE_URL: url }), 'DATABASE_URL');
    expect(problem).toContain('postgres');
    expect(problem).not.toContain(url);
  });

  it('empty means PGlite', () => {
    expect(loadConfig(production({ DATABASE_URL: '' })).database).toEqual({ kind: 'pglite', dataDir });
  });
});

describe('LOG_LEVEL and NODE_ENV', () => {
  it.each([
    [undefined, 'info'],
    ['', 'info'],
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['silent', 'silent'],
  ])('LOG_LEVEL %p → %s', (level, expected) => {
    expect(loadConfig(production({ LOG_LEVEL: level })).logLevel).toBe(expected);
  });

  it('refuses an unknown level', () => {
    expectProblemFor(production({ LOG_LEVEL: 'verbose' }), 'LOG_LEVEL');
  });

  it('pretty logs only in development', () => {
    expect(loadConfig(production({ NODE_ENV: 'development' })).prettyLogs).toBe(true);
    expect(loadConfig(production({ NODE_ENV: 'production' })).prettyLogs).toBe(false);
    expect(loadConfig(production()).prettyLogs).toBe(false);
  });
});

describe('provider defaults', () => {
  it('passes the provider variables through, trimmed', () => {
    const config = loadConfig(
      production({
        ETPAY_MERCHANT_CODE: ' cl_merchant ',
        ETPAY_MERCHANT_API_TOKEN: 'tok',
        CONEKTA_PRIVATE_KEY: 'key_abc',
        ECARTPAY_PUBLIC_KEY: 'pub',
        ECARTPAY_PRIVATE_KEY: 'priv',
        ECARTPAY_WEBHOOK_SECRET: '',
      }),
    );
    expect(config.etpay.merchantCode).toBe('cl_merchant');
    expect(config.etpay.merchantApiToken).toBe('tok');
    expect(config.conekta.privateKey).toBe('key_abc');
    expect(config.ecartpay.publicKey).toBe('pub');
    expect(config.ecartpay.privateKey).toBe('priv');
    expect(config.ecartpay.webhookSecret).toBeUndefined();
  });
});
