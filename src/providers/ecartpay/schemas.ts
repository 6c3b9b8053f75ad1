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
  /** Saved cards: the customer the order is for, and where Ecart notifies it (our URL). */
  customer_id: z.string().max(100).nullish(),
  notify_url: z.string().max(4000).nullish(),
});
export type EcartOrder = z.infer<typeof orderSchema>;

/** Customer and card ids are Mongo-style ids too. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/** `POST /customers`. */
export const customerSchema = z.looseObject({ id: z.string().regex(CUSTOMER_ID_PATTERN) });

const monthOrYear = z.union([z.string().max(4), z.number().int()]).nullish();

/** A customer's saved card (`GET /customers/{id}/cards`): display data only. */
export const cardSchema = z.looseObject({
  id: z.string().regex(CUSTOMER_ID_PATTERN),
  last4: z.string().max(4).nullish(),
  brand: z.string().max(40).nullish(),
  exp_month: monthOrYear,
  exp_year: monthOrYear,
});
export type EcartCard = z.infer<typeof cardSchema>;

/** The card list: an array, or a page of one (`docs` / `data`), as Ecart's list endpoints answer. */
export const cardListSchema = z.union([
  z.array(cardSchema),
  z.looseObject({ docs: z.array(cardSchema) }).transform((v) => v.docs),
  z.looseObject({ data: z.array(cardSchema) }).transform((v) => v.data),
]);

/** `POST /tokens {id: card_id}` → a single-use card token (`ca_…`). */
/** `POST /customers/{id}/session` (shape undocumented: one of these names the session). */
export const sessionSchema = z.looseObject({
  id: z.string().max(500).nullish(),
  session_id: z.string().max(500).nullish(),
  session: z.string().max(500).nullish(),
});

export const cardTokenSchema = z.looseObject({ token: z.string().min(4).max(500) });

/** `POST /three-d-secure` → where the shopper authenticates. */
export const threeDsSchema = z.looseObject({ id: z.string().max(200).nullish(), url: z.string().max(4000) });

/** Ecart's errors: `{ "message": "…", "statusCode": 400 }` (some answers use `error`). */
export const errorBodySchema = z.object({
  message: z.union([z.string(), z.array(z.string())]).optional(),
  error: z.string().optional(),
  statusCode: z.number().optional(),
});

/** The body of `POST /orders` (hosted payment, or a saved card's token: never card data). */
export interface CreateOrderBody {
  currency: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  items: { name: string; quantity: number; price: number }[];
  notify_url: string;
  redirect_url: string;
  /** Saved cards: the Ecart customer, and the card token that pays the order at once. */
  customer_id?: string;
  token?: string;
}

export interface CreateCustomerBody {
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  /** The merchant's reference of the customer. */
  user_id: string;
}

export interface RefundBody {
  amount: number;
  reason: 'requested' | 'duplicate' | 'fraudulent';
}
