import { createDecipheriv } from 'node:crypto';
import { decryptEcwidPayload, ecwidKey, encryptEcwidPayload } from '../../src/ecwid/crypto';
import {
  cbcBytes,
  fixedIv,
  gcmBytes,
  specKey,
  standardBase64,
  urlSafePadded,
  urlSafeUnpadded,
  vectorWithAllBase64Quirks,
} from './helpers/ecwidCipher';

// Only the first 16 characters are the key; the tail must not matter.
const SECRET = '0123456789abcdefTHE-REST-OF-THE-CLIENT-SECRET';
const PLAINTEXT = '{"hello":"mundo","ñ":1}';

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ 0x01;
  return copy;
}

describe('known-answer vectors computed outside Node', () => {
  // key "0123456789abcdef", IV 00..0f, plaintext PLAINTEXT (24 UTF-8 bytes).
  const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

  it('decrypts a CBC vector produced by `openssl enc -aes-128-cbc`', () => {
    const ciphertext = Buffer.from('83c50848d7d7419d567d1ce6739ba03e0a1f4d0c5dbc44bd7929fbcc8912b8eb', 'hex');
    const encoded = urlSafeUnpadded(Buffer.concat([iv, ciphertext]));
    expect(decryptEcwidPayload(encoded, SECRET, 'cbc')).toEqual({ ok: true, plaintext: PLAINTEXT });
  });

  it('decrypts a GCM vector (16-byte IV) produced by Python `cryptography` AESGCM', () => {
    const ciphertextAndTag = Buffer.from(
      'eecae76efb485cdc99f16236fa8ca71b81faba7302035c4105cb2df6b459b1433c2353c297b2f4cd',
      'hex',
    );
    const encoded = urlSafeUnpadded(Buffer.concat([iv, ciphertextAndTag]));
    expect(decryptEcwidPayload(encoded, SECRET, 'gcm')).toEqual({ ok: true, plaintext: PLAINTEXT });
  });
});

describe.each([
  // 16 IV + 23 plaintext bytes + 16 tag = 55 bytes: base64 needs '=' padding.
  [
    'gcm' as const,
    (iv: Buffer) => gcmBytes('{"storeId":1,"ok":true}', SECRET, iv),
    '{"storeId":1,"ok":true}',
  ],
  // 16 IV + one 16-byte padded block = 32 bytes: base64 needs one '='.
  ['cbc' as const, (iv: Buffer) => cbcBytes('{"storeId":1}', SECRET, iv), '{"storeId":1}'],
])('%s payloads in every base64 spelling Ecwid may use', (cipher, encrypt, expected) => {
  const { bytes, standard } = vectorWithAllBase64Quirks(encrypt);

  it('URL-safe without padding', () => {
    const encoded = urlSafeUnpadded(bytes);
    expect(encoded).toMatch(/[-_]/);
    expect(encoded).not.toContain('=');
    expect(decryptEcwidPayload(encoded, SECRET, cipher)).toEqual({ ok: true, plaintext: expected });
  });

  it('URL-safe with = padding', () => {
    const encoded = urlSafePadded(bytes);
    expect(encoded.endsWith('=')).toBe(true);
    expect(decryptEcwidPayload(encoded, SECRET, cipher)).toEqual({ ok: true, plaintext: expected });
  });

  it('standard base64 with + and /', () => {
    expect(standard).toMatch(/\+/);
    expect(standard).toMatch(/\//);
    expect(decryptEcwidPayload(standard, SECRET, cipher)).toEqual({ ok: true, plaintext: expected });
  });

  it('surrounding whitespace (a trailing newline from a form) is ignored', () => {
    expect(decryptEcwidPayload(`  ${urlSafeUnpadded(bytes)}\n`, SECRET, cipher)).toEqual({
      ok: true,
      plaintext: expected,
    });
  });

  it('a key made from another client secret cannot decrypt', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(bytes), 'fedcba9876543210-other', cipher)).toEqual({
      ok: false,
      error: 'cannot_decrypt',
    });
  });

  it('the key is the first 16 characters: another tail still decrypts, another 16th character does not', () => {
    const encoded = urlSafeUnpadded(bytes);
    expect(decryptEcwidPayload(encoded, '0123456789abcdef', cipher).ok).toBe(true);
    expect(decryptEcwidPayload(encoded, '0123456789abcdefXYZ', cipher).ok).toBe(true);
    expect(decryptEcwidPayload(encoded, '0123456789abcdeX-THE-REST', cipher)).toEqual({
      ok: false,
      error: 'cannot_decrypt',
    });
  });
});

describe('GCM integrity', () => {
  const bytes = gcmBytes(PLAINTEXT, SECRET, fixedIv('integrity'));

  it('the untampered vector decrypts (control)', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(bytes), SECRET, 'gcm')).toEqual({
      ok: true,
      plaintext: PLAINTEXT,
    });
  });

  it('a tampered auth tag (last 16 bytes) is refused', () => {
    for (const index of [-1, -16]) {
      expect(decryptEcwidPayload(urlSafeUnpadded(flipByte(bytes, index)), SECRET, 'gcm')).toEqual({
        ok: false,
        error: 'cannot_decrypt',
      });
    }
  });

  it('a tampered ciphertext byte is refused (no silent bit flip in the order)', () => {
    for (const index of [16, 16 + 10, bytes.length - 17]) {
      expect(decryptEcwidPayload(urlSafeUnpadded(flipByte(bytes, index)), SECRET, 'gcm')).toEqual({
        ok: false,
        error: 'cannot_decrypt',
      });
    }
  });

  it('a tampered IV is refused', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(flipByte(bytes, 0)), SECRET, 'gcm')).toEqual({
      ok: false,
      error: 'cannot_decrypt',
    });
  });

  it('a payload truncated by one or a few bytes is refused', () => {
    for (const cut of [1, 4, 16]) {
      expect(
        decryptEcwidPayload(urlSafeUnpadded(bytes.subarray(0, bytes.length - cut)), SECRET, 'gcm'),
      ).toEqual({ ok: false, error: 'cannot_decrypt' });
    }
  });

  it('a payload shorter than IV + tag + one byte is too short', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(bytes.subarray(0, 32)), SECRET, 'gcm')).toEqual({
      ok: false,
      error: 'too_short',
    });
    expect(decryptEcwidPayload(urlSafeUnpadded(Buffer.alloc(20)), SECRET, 'gcm')).toEqual({
      ok: false,
      error: 'too_short',
    });
  });

  it('the IV and tag are taken from the right ends (a vector with tag first does not decrypt)', () => {
    const iv = bytes.subarray(0, 16);
    const body = bytes.subarray(16, bytes.length - 16);
    const tag = bytes.subarray(bytes.length - 16);
    const tagFirst = Buffer.concat([iv, tag, body]);
    expect(decryptEcwidPayload(urlSafeUnpadded(tagFirst), SECRET, 'gcm').ok).toBe(false);
  });
});

describe('CBC failures', () => {
  const bytes = cbcBytes(PLAINTEXT, SECRET, fixedIv('cbc-failures'));

  it('a length that is not whole blocks is refused', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(bytes.subarray(0, bytes.length - 3)), SECRET, 'cbc')).toEqual({
      ok: false,
      error: 'cannot_decrypt',
    });
  });

  it('an IV alone (no ciphertext block) is too short', () => {
    expect(decryptEcwidPayload(urlSafeUnpadded(bytes.subarray(0, 16)), SECRET, 'cbc')).toEqual({
      ok: false,
      error: 'too_short',
    });
  });

  it('a broken PKCS#7 padding is refused', () => {
    // Flipping a byte of the next-to-last block flips the same byte of the last plaintext block: the padding.
    expect(decryptEcwidPayload(urlSafeUnpadded(flipByte(bytes, -17)), SECRET, 'cbc')).toEqual({
      ok: false,
      error: 'cannot_decrypt',
    });
  });
});

describe('input that is not base64', () => {
  it.each([
    ['empty', ''],
    ['only whitespace', '   \n'],
    ['punctuation', 'not base64!!'],
    ['a dollar sign', 'QUJD$REVG'],
    ['padding in the middle', 'QUJD=REVG'],
    ['too much padding', 'QUJDREVGRw==='],
    ['a length that no base64 has (4n+1)', 'QUJDR'],
    ['spaces inside', 'QUJD REVG'],
  ])('%s → not_base64 for both ciphers', (_label, input) => {
    expect(decryptEcwidPayload(input, SECRET, 'gcm')).toEqual({ ok: false, error: 'not_base64' });
    expect(decryptEcwidPayload(input, SECRET, 'cbc')).toEqual({ ok: false, error: 'not_base64' });
  });
});

describe('payload content', () => {
  it('keeps multi-byte UTF-8 text intact and handles a several-KB order', () => {
    const big = JSON.stringify({
      name: 'Ñandú Ltda. — café ☕ 🇨🇱',
      items: Array.from({ length: 300 }, (_, i) => ({ name: `Producto ${i} añejo`, price: i + 0.5 })),
    });
    expect(big.length).toBeGreaterThan(8000);
    expect(decryptEcwidPayload(urlSafeUnpadded(gcmBytes(big, SECRET)), SECRET, 'gcm')).toEqual({
      ok: true,
      plaintext: big,
    });
    expect(decryptEcwidPayload(urlSafeUnpadded(cbcBytes(big, SECRET)), SECRET, 'cbc')).toEqual({
      ok: true,
      plaintext: big,
    });
  });

  it('a GCM payload is not accepted as CBC, nor the reverse (the cipher is not guessed)', () => {
    const gcm = urlSafeUnpadded(gcmBytes(PLAINTEXT, SECRET, fixedIv('cross-1')));
    const cbc = urlSafeUnpadded(cbcBytes(PLAINTEXT, SECRET, fixedIv('cross-2')));
    const asCbc = decryptEcwidPayload(gcm, SECRET, 'cbc');
    const asGcm = decryptEcwidPayload(cbc, SECRET, 'gcm');
    expect(asCbc.ok && asCbc.plaintext === PLAINTEXT).toBe(false);
    expect(asGcm).toEqual({ ok: false, error: 'cannot_decrypt' });
  });
});

describe('ecwidKey', () => {
  it('is the UTF-8 bytes of the first 16 characters', () => {
    expect(ecwidKey(SECRET)).toEqual(Buffer.from('0123456789abcdef', 'utf8'));
    expect(ecwidKey(SECRET)).toEqual(specKey(SECRET));
  });

  it('refuses a secret shorter than 16 characters', () => {
    expect(() => ecwidKey('short-secret')).toThrow(/16/);
  });

  it('refuses a secret whose first 16 characters are not 16 bytes (no silent wrong key)', () => {
    expect(() => ecwidKey('ñ123456789abcdefghij')).toThrow(/16/);
  });
});

describe('encryptEcwidPayload (what the storefront simulator sends)', () => {
  function specDecrypt(encoded: string, cipher: 'gcm' | 'cbc'): string {
    const bytes = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    const iv = bytes.subarray(0, 16);
    if (cipher === 'gcm') {
      const d = createDecipheriv('aes-128-gcm', specKey(SECRET), iv);
      d.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([d.update(bytes.subarray(16, bytes.length - 16)), d.final()]).toString('utf8');
    }
    const d = createDecipheriv('aes-128-cbc', specKey(SECRET), iv);
    return Buffer.concat([d.update(bytes.subarray(16)), d.final()]).toString('utf8');
  }

  it.each(['gcm', 'cbc'] as const)(
    '%s output follows the spec layout and URL-safe unpadded base64',
    (cipher) => {
      const encoded = encryptEcwidPayload(PLAINTEXT, SECRET, cipher);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(specDecrypt(encoded, cipher)).toBe(PLAINTEXT);
    },
  );

  it('uses a fresh IV each time', () => {
    const a = encryptEcwidPayload(PLAINTEXT, SECRET, 'gcm');
    const b = encryptEcwidPayload(PLAINTEXT, SECRET, 'gcm');
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').subarray(0, 16)).not.toEqual(
      Buffer.from(b, 'base64url').subarray(0, 16),
    );
  });

  it('the standard-base64 form of its output also decrypts', () => {
    const encoded = encryptEcwidPayload(PLAINTEXT, SECRET, 'gcm');
    expect(decryptEcwidPayload(standardBase64(Buffer.from(encoded, 'base64url')), SECRET, 'gcm')).toEqual({
      ok: true,
      plaintext: PLAINTEXT,
    });
  });
});
