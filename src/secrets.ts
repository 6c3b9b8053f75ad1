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
      const [version, kid, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) throw new Error('sealed value has an unknown format');
      if (kid !== keyId) throw new Error(`sealed value was sealed with another key (${kid})`);
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', sealKey, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    },
    fingerprint(value) {
      return createHmac('sha256', macKey).update(value).digest('base64url');
    },
    sign(payload) {
      const body = Buffer.from(payload, 'utf8').toString('base64url');
      return `${body}.${createHmac('sha256', signKey).update(body).digest('base64url')}`;
    },
    verify(token) {
      const [body, mac] = token.split('.');
      if (!body || !mac) return null;
      const expected = createHmac('sha256', signKey).update(body).digest();
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return Buffer.from(body, 'base64url').toString('utf8');
    },
  };
}
