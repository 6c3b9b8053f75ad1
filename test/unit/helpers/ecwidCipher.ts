import { createCipheriv, createHash } from 'node:crypto';

/**
 * Ecwid's side of the payment-request encryption, written from the spec (docs/specs ecwid.md §1)
 * without the app's code: key = first 16 characters of client_secret (UTF-8), a 16-byte IV in
 * front, the GCM tag last (16 bytes), CBC with PKCS#7.
 */
export function specKey(clientSecret: string): Buffer {
  return Buffer.from(clientSecret.slice(0, 16), 'utf8');
}

/** A deterministic 16-byte IV, so every vector is reproducible. */
export function fixedIv(seed: string | number): Buffer {
  return createHash('sha256').update(String(seed)).digest().subarray(0, 16);
}

export function gcmBytes(plaintext: string, clientSecret: string, iv: Buffer = fixedIv('gcm')): Buffer {
  const cipher = createCipheriv('aes-128-gcm', specKey(clientSecret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function cbcBytes(plaintext: string, clientSecret: string, iv: Buffer = fixedIv('cbc')): Buffer {
  const cipher = createCipheriv('aes-128-cbc', specKey(clientSecret), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]);
}

/** Standard base64 (`+`, `/`, `=` padding). */
export function standardBase64(bytes: Buffer): string {
  return bytes.toString('base64');
}

/** URL-safe base64 (`-`, `_`), keeping the `=` padding. */
export function urlSafePadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** URL-safe base64 (`-`, `_`) without padding, as Ecwid usually sends it. */
export function urlSafeUnpadded(bytes: Buffer): string {
  return urlSafePadded(bytes).replace(/=+$/, '');
}

export function encGcm(payload: unknown, clientSecret: string, seed: string | number = 'gcm'): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return urlSafeUnpadded(gcmBytes(text, clientSecret, fixedIv(seed)));
}

export function encCbc(payload: unknown, clientSecret: string, seed: string | number = 'cbc'): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return urlSafeUnpadded(cbcBytes(text, clientSecret, fixedIv(seed)));
}

/**
 * Searches deterministic IVs for a ciphertext whose standard base64 holds `+`, `/` and `=` padding,
 * so one vector exercises every alphabet difference between the encodings.
 */
export function vectorWithAllBase64Quirks(encrypt: (iv: Buffer) => Buffer): {
  bytes: Buffer;
  standard: string;
} {
  for (let seed = 0; seed < 10_000; seed++) {
    const bytes = encrypt(fixedIv(`quirks-${seed}`));
    const standard = standardBase64(bytes);
    if (standard.includes('+') && standard.includes('/') && standard.endsWith('='))
      return { bytes, standard };
  }
  throw new Error('no vector with +, / and = found');
}
