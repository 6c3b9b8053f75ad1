import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Keys derived from SECRET_KEY, one per purpose, so a leak of one use does not weaken another.
 * Sealed values carry the id of the key that sealed them, so a rotated SECRET_KEY can be added
 * later without guessing which key opens which row.
 */
export interface Secrets {
  seal(plaintext: string): string;
  unseal(sealed: string): string;
  /** Stable HMAC of a value, for lookups by a secret without storing it in clear. */
  fingerprint(value: string): string;
  /** Short-lived signed tokens (settings forms, CSRF). */
  sign(payload: string): string;
  verify(token: string): string | null;
}

const VERSION = 'v1';

function derive(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'ecwid-latam-payments', purpose, 32));
}

export function createSecrets(secretKey: string): Secrets {
  const sealKey = derive(secretKey, 'seal');
  const macKey = derive(secretKey, 'fingerprint');
  const signKey = derive(secretKey, 'sign');
  const keyId = createHash('sha256').update(sealKey).digest('base64url').slice(0, 8);

  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        VERSION,
        keyId,
        iv.toString('base64url'),
        Buffer.concat([body, cipher.getAuthTag()]).toString('base64url'),
      ].join('.');
    },
    unseal(sealed) {
      const parts = sealed.split('.');
      const [version, kid, ivText, bodyText] = parts;
      if (parts.length !== 4 || version !== VERSION || !ivText || !bodyText) {
        throw new Error('sealed value has an unknown format');
      }
      if (kid !== keyId) {
        throw new Error(
          `sealed value was sealed with another SECRET_KEY (key id ${kid}, this one is ${keyId})`,
        );
      }
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      // A full 16-byte tag, always: without authTagLength Node also accepts 4- or 8-byte tags.
      if (iv.length !== 12 || body.length < 16) throw new Error('sealed value is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, iv, { authTagLength: 16 });
        decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - 16)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new Error('sealed value cannot be opened: it was altered, or sealed with another SECRET_KEY');
      }
    },
    fingerprint(value) {
      return createHmac('sha256', macKey).update(value).digest('base64url');
    },
    sign(payload) {
      const body = Buffer.from(payload, 'utf8').toString('base64url');
      return `${body}.${createHmac('sha256', signKey).update(body).digest('base64url')}`;
    },
    verify(token) {
      const parts = token.split('.');
      const [body, mac] = parts;
      if (parts.length !== 2 || !body || !mac) return null;
      // Compare the canonical text, not decoded bytes: Buffer.from(…, 'base64url') skips junk characters
      // and ignores the spare bits of the last one, so several spellings of one MAC would pass.
      const expected = Buffer.from(createHmac('sha256', signKey).update(body).digest('base64url'));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return Buffer.from(body, 'base64url').toString('utf8');
    },
  };
}
