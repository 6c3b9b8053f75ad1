import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Ecwid app webhook body (`webhookUrl`). */
export const ecwidWebhookSchema = z.object({
  eventId: z.string().min(1).max(200),
  eventCreated: z.number().int(),
  storeId: z.number().int().positive(),
  entityId: z.union([z.number(), z.string()]).optional(),
  eventType: z.string().min(1).max(100),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type EcwidWebhook = z.infer<typeof ecwidWebhookSchema>;

/** base64(HMAC-SHA256(client_secret, "{eventCreated}.{eventId}")) — covers only those two fields. */
export function ecwidWebhookSignature(clientSecret: string, eventCreated: number, eventId: string): string {
  return createHmac('sha256', clientSecret).update(`${eventCreated}.${eventId}`).digest('base64');
}

export function verifyEcwidWebhookSignature(
  clientSecret: string,
  body: EcwidWebhook,
  header: unknown,
): boolean {
  if (typeof header !== 'string' || header === '') return false;
  const expected = Buffer.from(ecwidWebhookSignature(clientSecret, body.eventCreated, body.eventId));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
