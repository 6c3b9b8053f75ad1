import { z } from 'zod';

/**
 * Ecart Pay payloads, as documented (docs.ecartpay.com, the `@ecartpay/v1.0` OpenAPI document) and
 * as Ecart's own integrations read them. Only what the app uses is validated; unknown fields pass.
 */

/** `POST /authorizations/token` → `{ "token": "<JWT>" }`. */
export const tokenResponseSchema = z.object({ token: z.string().min(10).max(8192) });

/** An amount as Ecart sends it: a JSON number in major units (a numeric string is tolerated). */
const amount = z.union([z.number(), z.string().max(40)]);

/** Ecart order ids are Mongo-style ids (`65b0565f7f9f32242108746a`); anything safe in a path is accepted. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/** `POST /orders`, `GET /orders/{id}`: the order. */
export const orderSchema = z.object({
  id: z.string().regex(ORDER_ID_PATTERN),
  number: z.string().max(100).optional(),
  status: z.string().min(1).max(50),
  currency: z.string().min(3).max(3),
  totals: z.object({ total: amount }),
  pay_link: z.string().max(4000).optional(),
});
export type EcartOrder = z.infer<typeof orderSchema>;

/** Ecart's errors: `{ "message": "…", "statusCode": 400 }` (some answers use `error`). */
export const errorBodySchema = z.object({
  message: z.union([z.string(), z.array(z.string())]).optional(),
  error: z.string().optional(),
  statusCode: z.number().optional(),
});

/** The body of `POST /orders` (hosted payment: no customer/card/token chain, no card data here). */
export interface CreateOrderBody {
  currency: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  items: { name: string; quantity: number; price: number }[];
  notify_url: string;
  redirect_url: string;
}

export interface RefundBody {
  amount: number;
  reason: 'requested' | 'duplicate' | 'fraudulent';
}
