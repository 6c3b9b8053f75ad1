import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Ecwid's payload encryption (payment requests and the settings-page payload): AES-128 with the
 * first 16 characters of the app's client_secret as key, a 16-byte IV in front, URL-safe base64
 * whose `=` padding may be missing. GCM (`enc_data`) carries its 16-byte tag at the end; CBC
 * (`data`, settings `payload`) is PKCS#7 padded.
 */
export type EcwidCipher = 'gcm' | 'cbc';

export type DecryptError = 'not_base64' | 'too_short' | 'cannot_decrypt';

const IV_BYTES = 16;
const TAG_BYTES = 16;

export function ecwidKey(clientSecret: string): Buffer {
  const key = Buffer.from(clientSecret.slice(0, 16), 'utf8');
  if (key.length !== 16) throw new Error('the Ecwid client secret must start with 16 one-byte characters');
  return key;
}

function decodeBase64Url(text: string): Buffer | null {
  const compact = text.trim();
  if (compact === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return null;
  if (compact.replace(/=+$/, '').length % 4 === 1) return null;
  // Node's base64 decoder reads both alphabets (+/ and -_) and missing padding: no rewriting needed.
  return Buffer.from(compact, 'base64');
}

export function decryptEcwidPayload(
  encoded: string,
  clientSecret: string,
  cipher: EcwidCipher,
): { ok: true; plaintext: string } | { ok: false; error: DecryptError } {
  const bytes = decodeBase64Url(encoded);
  if (!bytes) return { ok: false, error: 'not_base64' };
  const minimum = cipher === 'gcm' ? IV_BYTES + TAG_BYTES + 1 : IV_BYTES + 16;
  if (bytes.length < minimum) return { ok: false, error: 'too_short' };
  const key = ecwidKey(clientSecret);
  const iv = bytes.subarray(0, IV_BYTES);
  try {
    if (cipher === 'gcm') {
      const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      return {
        ok: true,
        plaintext: Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'),
      };
    }
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    const body = bytes.subarray(IV_BYTES);
    return { ok: true, plaintext: Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8') };
  } catch {
    // Wrong key, tampered tag or bad padding: Node tells them apart, callers need not.
    return { ok: false, error: 'cannot_decrypt' };
  }
}

/** What Ecwid does on its side; the storefront simulator and the tests use it. Unpadded URL-safe base64. */
export function encryptEcwidPayload(plaintext: string, clientSecret: string, cipher: EcwidCipher): string {
  const key = ecwidKey(clientSecret);
  const iv = randomBytes(IV_BYTES);
  if (cipher === 'gcm') {
    const c = createCipheriv('aes-128-gcm', key, iv);
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url');
  }
  const c = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([iv, c.update(plaintext, 'utf8'), c.final()]).toString('base64url');
}
