import { z } from 'zod';

/**
 * ETpay's wire formats (see /work/shared/specs/etpay.md and docs/providers/etpay.md). Answers are
 * parsed with zod objects that drop unknown fields, so ETpay adding fields never breaks us.
 */

/** `merchant_order_id`: letters, digits and hyphens, at most 64 characters. */
export const MERCHANT_ORDER_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

export const metadataEntrySchema = z.object({
  name: z.string().min(1).max(100),
  value: z.string().max(500),
  show: z.boolean(),
});
export type EtpayMetadataEntry = z.infer<typeof metadataEntrySchema>;

/** `POST {api_url}/session/initialize` body. */
export const sessionInitializeRequestSchema = z.object({
  merchant_code: z.string().min(1),
  merchant_api_token: z.string().min(1),
  merchant_order_id: z.string().regex(MERCHANT_ORDER_ID_PATTERN),
  order_amount: z.number().int().positive(),
  customer_email: z.string().max(320).optional(),
  metadata: z.array(metadataEntrySchema).max(20).optional(),
  user_bank_code: z.string().max(50).optional(),
  payment_completed_url: z.url({ protocol: /^https?$/ }).optional(),
  payment_cancellation_url: z.url({ protocol: /^https?$/ }).optional(),
  payment_webhook_url: z.url({ protocol: /^https?$/ }).optional(),
  concat: z.string().max(5).optional(),
});
export type SessionInitializeRequest = z.infer<typeof sessionInitializeRequestSchema>;

/** Its `200` answer. The session token is `token`; `signature_token` keys this session's JWTs. */
export const sessionInitializeResponseSchema = z.object({
  token: z.string().min(1).max(512),
  signature_token: z.string().min(1).max(512),
});
export type SessionInitializeResponse = z.infer<typeof sessionInitializeResponseSchema>;

/** `POST {api_url}/merchant/check_payment_status` body: the token and at least one key. */
export const paymentStatusRequestSchema = z
  .object({
    merchant_code: z.string().min(1).optional(),
    merchant_api_token: z.string().min(1),
    session_token: z.string().min(1).optional(),
    merchant_order_id: z.string().min(1).optional(),
    payment_token: z.string().min(1).optional(),
  })
  .refine((r) => r.session_token || r.merchant_order_id || r.payment_token, {
    message: 'one of session_token, merchant_order_id or payment_token is required',
  });
export type PaymentStatusRequest = z.infer<typeof paymentStatusRequestSchema>;

/** ETpay amounts are integers in the account currency; tolerate a numeric string. */
const amountSchema = z.union([
  z.number().finite().nonnegative(),
  z
    .string()
    .regex(/^\d{1,15}(\.\d{1,6})?$/)
    .transform(Number),
]);
const optionalText = z
  .union([z.string(), z.number(), z.null()])
  .transform((v) => (v === null ? undefined : String(v).slice(0, 300)))
  .optional();

/**
 * One payment attempt, in the shape shared by the notification JWT's claims and the status API's
 * array entries. `session_token` is required in notifications (checked by the caller).
 */
export const etpayPaymentSchema = z.object({
  payment_token: z.string().min(1).max(512),
  session_token: z.string().min(1).max(512).optional(),
  merchant_order_id: z.string().min(1).max(200),
  merchant_amount: amountSchema,
  merchant_currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/)
    .transform((c) => c.toUpperCase()),
  payment_status: z.string().min(1).max(100),
  payment_date: optionalText,
  reason: optionalText,
  code: optionalText,
});
export type EtpayPayment = z.infer<typeof etpayPaymentSchema>;

export const paymentStatusResponseSchema = z.array(etpayPaymentSchema).max(1000);

/** ETpay's error answers usually carry `message` (unconfirmed: anything else is tolerated). */
export const errorBodySchema = z.object({ message: z.string() });

/** The notification body: `{"payment": "<JWT>"}`. */
export const notificationBodySchema = z.object({
  payment: z
    .string()
    .min(1)
    .max(16_384)
    .regex(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, 'not a compact JWT'),
});
