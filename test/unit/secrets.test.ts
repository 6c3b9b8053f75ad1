import { createSecrets } from '../../src/secrets';

const KEY = 'first-secret-key-with-at-least-32-characters';
const OTHER_KEY = 'second-secret-key-with-at-least-32-characters';
const STORE_TOKEN = 'secret_ab12CD34ef56GH78ij90KL';

const secrets = createSecrets(KEY);

/** Flips one character of a base64url text to another valid character. */
function flipChar(text: string, index: number): string {
  const c = text[index]!;
  return `${text.slice(0, index)}${c === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
}

describe('seal / unseal', () => {
  it.each([
    ['a store token', STORE_TOKEN],
    ['an empty string', ''],
    ['unicode', 'contraseña ☕ 🇲🇽'],
    ['a long JSON document', JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => `item-${i}`) })],
  ])('round-trips %s', (_label, plaintext) => {
    expect(secrets.unseal(secrets.seal(plaintext))).toBe(plaintext);
  });

  it('a new instance with the same SECRET_KEY opens what another sealed (restart)', () => {
    expect(createSecrets(KEY).unseal(secrets.seal(STORE_TOKEN))).toBe(STORE_TOKEN);
  });

  it('the sealed text does not contain the plaintext, in clear or base64', () => {
    const sealed = secrets.seal(STORE_TOKEN);
    expect(sealed).not.toContain(STORE_TOKEN);
    expect(sealed).not.toContain(Buffer.from(STORE_TOKEN).toString('base64url').slice(0, 12));
    expect(sealed).not.toContain(KEY);
  });

  it('two seals of the same value differ (random IV)', () => {
    const a = secrets.seal(STORE_TOKEN);
    const b = secrets.seal(STORE_TOKEN);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('carries a version and a key id', () => {
    const [version, keyId, iv, body] = secrets.seal(STORE_TOKEN).split('.');
    expect(version).toBe('v1');
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    // ciphertext (same length as the plaintext) + 16-byte tag
    expect(Buffer.from(body!, 'base64url')).toHaveLength(Buffer.byteLength(STORE_TOKEN) + 16);
    expect(secrets.seal('x').split('.')[1]).toBe(keyId);
    expect(createSecrets(OTHER_KEY).seal('x').split('.')[1]).not.toBe(keyId);
  });

  describe('tampering is detected', () => {
    const sealed = secrets.seal(STORE_TOKEN);
    const [version, keyId, iv, body] = sealed.split('.') as [string, string, string, string];

    it.each([
      ['first ciphertext character', () => [version, keyId, iv, flipChar(body, 0)].join('.')],
      ['a tag character', () => [version, keyId, iv, flipChar(body, body.length - 3)].join('.')],
      ['an IV character', () => [version, keyId, flipChar(iv, 2), body].join('.')],
      ['a body truncated by one byte', () => [version, keyId, iv, body.slice(0, -2)].join('.')],
    ])('%s', (_label, tamper) => {
      expect(() => secrets.unseal(tamper())).toThrow(/cannot be opened|truncated/);
    });

    it('a body shorter than a tag', () => {
      // Four bytes would pass as a short GCM tag if the tag length were not fixed.
      expect(() => secrets.unseal([version, keyId, iv, 'AAAAAA'].join('.'))).toThrow(/truncated/);
      expect(() => secrets.unseal([version, keyId, iv, 'AAAAAAAAAAA'].join('.'))).toThrow(/truncated/);
    });

    it('a changed version or an unknown layout', () => {
      expect(() => secrets.unseal(['v2', keyId, iv, body].join('.'))).toThrow(/unknown format/);
      expect(() => secrets.unseal(`${sealed}.extra`)).toThrow(/unknown format/);
      expect(() => secrets.unseal([version, keyId, iv].join('.'))).toThrow(/unknown format/);
      expect(() => secrets.unseal('')).toThrow(/unknown format/);
      expect(() => secrets.unseal(STORE_TOKEN)).toThrow(/unknown format/);
    });

    it('a changed key id', () => {
      expect(() => secrets.unseal([version, flipChar(keyId, 0), iv, body].join('.'))).toThrow(
        /another SECRET_KEY/,
      );
    });

    it('the untampered value still opens (control)', () => {
      expect(secrets.unseal(sealed)).toBe(STORE_TOKEN);
    });
  });

  it('another SECRET_KEY cannot unseal, with a clear error that leaks nothing', () => {
    const sealed = secrets.seal(STORE_TOKEN);
    let message = '';
    try {
      createSecrets(OTHER_KEY).unseal(sealed);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/another SECRET_KEY/);
    expect(message).not.toContain(STORE_TOKEN);
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(OTHER_KEY);
  });

  it('another SECRET_KEY cannot open it even with the key id forged', () => {
    const other = createSecrets(OTHER_KEY);
    const [version, , iv, body] = secrets.seal(STORE_TOKEN).split('.');
    const otherKeyId = other.seal('x').split('.')[1];
    expect(() => other.unseal([version, otherKeyId, iv, body].join('.'))).toThrow(/cannot be opened/);
  });
});

describe('fingerprint', () => {
  it('is stable for a value and a key, across instances', () => {
    expect(secrets.fingerprint(STORE_TOKEN)).toBe(secrets.fingerprint(STORE_TOKEN));
    expect(createSecrets(KEY).fingerprint(STORE_TOKEN)).toBe(secrets.fingerprint(STORE_TOKEN));
  });

  it('depends on the key and on the value', () => {
    expect(createSecrets(OTHER_KEY).fingerprint(STORE_TOKEN)).not.toBe(secrets.fingerprint(STORE_TOKEN));
    expect(secrets.fingerprint(`${STORE_TOKEN}x`)).not.toBe(secrets.fingerprint(STORE_TOKEN));
  });

  it('does not reveal the value and is not a plain hash', () => {
    const fp = secrets.fingerprint(STORE_TOKEN);
    expect(fp).not.toContain(STORE_TOKEN);
    expect(fp).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fp).not.toBe(secrets.fingerprint(''));
  });

  it('is not the same keyed function as signing', () => {
    expect(secrets.sign(STORE_TOKEN)).not.toContain(secrets.fingerprint(STORE_TOKEN));
  });
});

describe('sign / verify', () => {
  it.each([['settings:store=1003'], ['{"storeId":1003,"exp":1716300000}'], ['ñandú ☕'], ['a.b.c']])(
    'round-trips %p',
    (payload) => {
      expect(secrets.verify(secrets.sign(payload))).toBe(payload);
    },
  );

  it('is deterministic and key-dependent', () => {
    expect(secrets.sign('x')).toBe(createSecrets(KEY).sign('x'));
    expect(createSecrets(OTHER_KEY).sign('x')).not.toBe(secrets.sign('x'));
  });

  it('a token signed with another key is refused', () => {
    expect(secrets.verify(createSecrets(OTHER_KEY).sign('store=1003'))).toBeNull();
  });

  it('a changed payload is refused', () => {
    const [, mac] = secrets.sign('store=1003').split('.');
    const forgedBody = Buffer.from('store=1004').toString('base64url');
    expect(secrets.verify(`${forgedBody}.${mac}`)).toBeNull();
  });

  it('a changed MAC is refused', () => {
    const token = secrets.sign('store=1003');
    const [body, mac] = token.split('.') as [string, string];
    expect(secrets.verify(`${body}.${flipChar(mac, 0)}`)).toBeNull();
    expect(secrets.verify(`${body}.${mac.slice(0, -1)}`)).toBeNull();
    expect(secrets.verify(`${body}.${mac}A`)).toBeNull();
  });

  it('other spellings of the same MAC bytes are refused (junk characters, spare bits)', () => {
    const token = secrets.sign('store=1003');
    const [body, mac] = token.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The last of 43 characters carries 4 bits of the MAC and 2 spare bits: flip a spare bit.
    const last = alphabet.indexOf(mac.at(-1)!);
    const variant = `${mac.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    expect(secrets.verify(`${body}.${variant}`)).toBeNull();
    expect(secrets.verify(`${body}.${mac}!`)).toBeNull();
  });

  it('extra segments are refused', () => {
    const token = secrets.sign('store=1003');
    expect(secrets.verify(`${token}.extra`)).toBeNull();
    expect(secrets.verify(`${token}.`)).toBeNull();
  });

  it.each(['', '.', 'abc', 'abc.', '.abc', 'not-a-token-at-all'])('garbage %p → null', (token) => {
    expect(secrets.verify(token)).toBeNull();
  });

  it('the untampered token verifies (control)', () => {
    expect(secrets.verify(secrets.sign('store=1003'))).toBe('store=1003');
  });
});
