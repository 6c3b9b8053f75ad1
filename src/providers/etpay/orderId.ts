import { randomBytes } from 'node:crypto';
import { MERCHANT_ORDER_ID_PATTERN } from './schemas';

const MAX_LENGTH = 64;

/**
 * The `merchant_order_id` ETpay shows and reports back: the Ecwid order id people know (`XJ12H`,
 * `SALE-G01ZG`), reduced to letters, digits and hyphens, then the attempt number and a random
 * suffix, so each session of each attempt has its own id and it never exceeds 64 characters.
 */
export function merchantOrderIdFor(ecwidOrderId: string, attempt: number, suffix = randomSuffix()): string {
  const tail = `-${Math.max(1, Math.trunc(attempt))}-${suffix.replace(/[^A-Za-z0-9]/g, '')}`;
  const base = ecwidOrderId
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_LENGTH - tail.length)
    .replace(/-+$/, '');
  const id = `${base || 'order'}${tail}`;
  if (!MERCHANT_ORDER_ID_PATTERN.test(id)) throw new Error('merchant_order_id construction failed');
  return id;
}

/** 8 characters of [0-9a-z] (about 41 bits). */
function randomSuffix(): string {
  return BigInt(`0x${randomBytes(6).toString('hex')}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8);
}
