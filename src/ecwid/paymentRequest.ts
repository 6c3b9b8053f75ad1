import { z } from 'zod';
import { toMinorUnits, type Money } from '../money';
import { decryptEcwidPayload, type DecryptError } from './crypto';

// Ecwid sends hundreds of fields; only what the app uses is validated, the rest is ignored.
const person = z
  .object({
    name: z.string().max(500).optional(),
    firstName: z.string().max(500).optional(),
    lastName: z.string().max(500).optional(),
    phone: z.string().max(100).optional(),
    street: z.string().max(1000).optional(),
    city: z.string().max(500).optional(),
    countryCode: z.string().max(10).optional(),
    postalCode: z.string().max(50).optional(),
  })
  .partial();

const item = z.object({
  name: z.string().max(1000),
  sku: z.string().max(500).optional(),
  price: z.number().finite(),
  quantity: z.number().int().positive(),
});

export const paymentRequestSchema = z.object({
  storeId: z.number().int().positive(),
  returnUrl: z.url({ protocol: /^https?$/ }).max(4000),
  token: z.string().min(1).max(1000),
  // An odd language is no reason to refuse a payment: the pages fall back to Spanish.
  lang: z.string().max(20).optional().catch(undefined),
  merchantAppSettings: z.record(z.string(), z.unknown()).optional(),
  cart: z.object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    order: z.object({
      referenceTransactionId: z.string().min(1).max(200),
      id: z.union([z.string().min(1).max(200), z.number().int().transform(String)]),
      total: z.number(),
      email: z.string().max(320).optional(),
      customerId: z.union([z.number().int(), z.string().max(100)]).optional(),
      ipAddress: z.string().max(100).optional(),
      billingPerson: person.nullish(),
      shippingPerson: person.nullish(),
      items: z.array(item).max(1000).default([]),
    }),
  }),
});

export type RawPaymentRequest = z.infer<typeof paymentRequestSchema>;

/** The order details providers need, kept sealed with the payment. */
export interface OrderDetails {
  ecwidOrderId: string;
  email?: string;
  customerId?: string;
  billingPerson?: z.infer<typeof person>;
  shippingPerson?: z.infer<typeof person>;
  items: { name: string; sku?: string; price: number; quantity: number }[];
}

export interface PaymentRequest {
  storeId: number;
  referenceTransactionId: string;
  returnUrl: string;
  /** The store's access token (secret_…): seal it, never log it. */
  token: string;
  lang: 'es' | 'en';
  total: Money;
  order: OrderDetails;
}

export type PaymentRequestError =
  | { kind: 'missing_data' }
  | { kind: 'decrypt'; reason: DecryptError; field: 'enc_data' | 'data' }
  | { kind: 'not_json' }
  | { kind: 'invalid'; issues: string[] }
  | { kind: 'amount'; reason: 'unsupported_currency' | 'invalid_total'; currency: string };

/** Normalises the storefront language to one the pages speak (es by default). */
export function pageLanguage(lang: string | undefined): 'es' | 'en' {
  return lang?.toLowerCase().startsWith('en') ? 'en' : 'es';
}

/**
 * Decrypts (`enc_data` first, `data` otherwise), validates and converts an Ecwid payment request.
 * Errors say what kind of input was wrong, never what it contained.
 */
export function readPaymentRequest(
  form: { enc_data?: unknown; data?: unknown },
  clientSecret: string,
): { ok: true; request: PaymentRequest } | { ok: false; error: PaymentRequestError } {
  const field = typeof form.enc_data === 'string' && form.enc_data !== '' ? 'enc_data' : 'data';
  const encoded = form[field];
  if (typeof encoded !== 'string' || encoded === '') return { ok: false, error: { kind: 'missing_data' } };
  const decrypted = decryptEcwidPayload(encoded, clientSecret, field === 'enc_data' ? 'gcm' : 'cbc');
  if (!decrypted.ok) return { ok: false, error: { kind: 'decrypt', reason: decrypted.error, field } };

  let json: unknown;
  try {
    json = JSON.parse(decrypted.plaintext);
  } catch {
    return { ok: false, error: { kind: 'not_json' } };
  }
  const parsed = paymentRequestSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: the values may be personal data or the token.
    return {
      ok: false,
      error: { kind: 'invalid', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    };
  }
  const raw = parsed.data;
  const total = toMinorUnits(raw.cart.order.total, raw.cart.currency);
  if (!total.ok) {
    return {
      ok: false,
      error: {
        kind: 'amount',
        reason: total.error === 'unsupported_currency' ? 'unsupported_currency' : 'invalid_total',
        currency: raw.cart.currency,
      },
    };
  }
  if (total.money.amount === 0) {
    return { ok: false, error: { kind: 'amount', reason: 'invalid_total', currency: raw.cart.currency } };
  }
  const o = raw.cart.order;
  return {
    ok: true,
    request: {
      storeId: raw.storeId,
      referenceTransactionId: o.referenceTransactionId,
      returnUrl: raw.returnUrl,
      token: raw.token,
      lang: pageLanguage(raw.lang),
      total: total.money,
      order: {
        ecwidOrderId: String(o.id),
        email: o.email,
        customerId: o.customerId === undefined ? undefined : String(o.customerId),
        billingPerson: o.billingPerson ?? undefined,
        shippingPerson: o.shippingPerson ?? undefined,
        items: o.items.map((i) => ({ name: i.name, sku: i.sku, price: i.price, quantity: i.quantity })),
      },
    },
  };
}
