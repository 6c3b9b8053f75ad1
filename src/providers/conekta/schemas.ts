import { z } from 'zod';

/**
 * Conekta's wire format (API 2.2.0, OpenAPI `conekta/openapi`), validated at the edge. Only the
 * fields the app reads are checked; everything else passes through untouched.
 */

/** The one API version this app speaks (`Accept` header). */
export const CONEKTA_ACCEPT = 'application/vnd.conekta-v2.2.0+json';

/** Methods a hosted checkout may offer (the app's merchant setting). */
export const CONEKTA_PAYMENT_METHODS = ['card', 'cash', 'bank_transfer'] as const;
export type ConektaPaymentMethod = (typeof CONEKTA_PAYMENT_METHODS)[number];

/**
 * Marks the orders this app creates (`metadata.integration`), so a notification about an order that
 * carries it but is not (yet) known here is retried rather than dropped.
 */
export const ORDER_MARKER = 'ecwid-latam-payments';

const cents = z.number().int().nonnegative();

export const chargeSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().nullish(),
  amount: cents.nullish(),
  currency: z.string().nullish(),
  paid_at: z.number().nullish(),
  failure_code: z.string().nullish(),
  failure_message: z.string().nullish(),
  payment_method: z.looseObject({ type: z.string().nullish(), object: z.string().nullish() }).nullish(),
});
export type ConektaCharge = z.infer<typeof chargeSchema>;

export const orderSchema = z.looseObject({
  id: z.string().regex(/^ord_[A-Za-z0-9]+$/),
  amount: cents,
  currency: z.string().regex(/^[A-Za-z]{3}$/),
  livemode: z.boolean(),
  payment_status: z.string().nullish(),
  amount_refunded: cents.nullish(),
  created_at: z.number().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  checkout: z
    .looseObject({
      id: z.string().nullish(),
      url: z.string().nullish(),
      status: z.string().nullish(),
      expires_at: z.number().nullish(),
    })
    .nullish(),
  charges: z.looseObject({ data: z.array(chargeSchema).nullish() }).nullish(),
  customer_info: z.looseObject({ customer_id: z.string().nullish() }).nullish(),
  /** 3-D Secure: where the shopper authenticates (`redirect_to_url.url`), then comes back to `return_url`. */
  next_action: z
    .looseObject({
      type: z.string().nullish(),
      redirect_to_url: z
        .looseObject({ url: z.string().nullish(), return_url: z.string().nullish() })
        .nullish(),
    })
    .nullish(),
});
export type ConektaOrder = z.infer<typeof orderSchema>;

/** `POST /customers`, `GET /customers/{id}`. */
export const customerSchema = z.looseObject({
  id: z.string().regex(/^cus_[A-Za-z0-9]+$/),
  livemode: z.boolean().nullish(),
});
export type ConektaCustomer = z.infer<typeof customerSchema>;

const monthOrYear = z.union([z.string().max(4), z.number().int()]).nullish();

/** A customer's payment source (`type: "card"`: a saved card; display data only). */
export const paymentSourceSchema = z.looseObject({
  id: z.string().min(1).max(100),
  type: z.string().nullish(),
  object: z.string().nullish(),
  parent_id: z.string().nullish(),
  last4: z.string().nullish(),
  brand: z.string().nullish(),
  exp_month: monthOrYear,
  exp_year: monthOrYear,
  payment_source_status: z.string().nullish(),
});
export type ConektaPaymentSource = z.infer<typeof paymentSourceSchema>;

export const paymentSourceListSchema = z.looseObject({ data: z.array(paymentSourceSchema) });

/** `POST /orders/{id}/charges` answers the charge (the order is re-fetched for the outcome). */
export const chargeAnswerSchema = z.looseObject({ id: z.string().min(1), status: z.string().nullish() });

export const CUSTOMER_ID_PATTERN = /^cus_[A-Za-z0-9]{1,64}$/;
export const PAYMENT_SOURCE_ID_PATTERN = /^src_[A-Za-z0-9]{1,64}$/;

export const errorSchema = z.looseObject({
  object: z.literal('error').optional(),
  type: z.string().nullish(),
  log_id: z.string().nullish(),
  details: z
    .array(
      z.looseObject({
        message: z.string().nullish(),
        debug_message: z.string().nullish(),
        param: z.string().nullish(),
        code: z.string().nullish(),
      }),
    )
    .nullish(),
});

export const webhookSchema = z.looseObject({
  id: z.string(),
  url: z.string(),
  status: z.string().nullish(),
  livemode: z.boolean().nullish(),
});
export type ConektaWebhook = z.infer<typeof webhookSchema>;

export const webhookListSchema = z.looseObject({ data: z.array(webhookSchema) });

/** A notification as Conekta posts it: the order inside is a hint only (it is re-fetched). */
export const eventSchema = z.looseObject({
  id: z.string().max(200).nullish(),
  type: z.string().min(1).max(200),
  livemode: z.boolean().nullish(),
  created_at: z.number().nullish(),
  data: z
    .looseObject({
      object: z
        .looseObject({
          id: z.string().max(200).nullish(),
          object: z.string().nullish(),
          created_at: z.number().nullish(),
          metadata: z.record(z.string(), z.unknown()).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
export type ConektaEvent = z.infer<typeof eventSchema>;

/** Order events the app acts on (after re-fetching the order); any other type is acknowledged. */
export const ORDER_EVENTS = new Set([
  'order.paid',
  'order.pending_payment',
  'order.expired',
  'order.canceled',
  'order.declined',
  'order.refunded',
  'order.partially_refunded',
]);

export const ORDER_ID_PATTERN = /^ord_[A-Za-z0-9]{1,64}$/;

/** The body of `POST /orders` as this app sends it. */
export interface OrderRequest {
  currency: 'MXN';
  /** The shopper's details, or (saved cards) the Conekta customer they belong to. */
  customer_info: { name: string; email: string; phone: string } | { customer_id: string };
  line_items: { name: string; unit_price: number; quantity: number; sku?: string }[];
  metadata: Record<string, string>;
  checkout: {
    type: 'HostedPayment';
    name: string;
    allowed_payment_methods: ConektaPaymentMethod[];
    success_url: string;
    failure_url: string;
    expires_at: number;
    redirection_time: number;
    /** Saved cards: the hosted page may keep the card on the customer (on-demand charges). */
    on_demand_enabled?: boolean;
  };
}

/**
 * A saved-card order: for the customer, without a checkout and without charges (the charge to the
 * payment source is added once the order id is recorded), 3-D Secure when the bank asks for it.
 */
export interface SavedCardOrderRequest {
  currency: 'MXN';
  customer_info: { customer_id: string };
  line_items: OrderRequest['line_items'];
  metadata: Record<string, string>;
  three_ds_mode: 'smart';
  return_url: string;
}

/** `POST /orders/{id}/charges`: charge a customer's payment source. */
export interface SavedCardChargeRequest {
  payment_method: { type: 'card'; payment_source_id: string };
}

/** `POST /customers`. */
export interface CustomerRequest {
  name: string;
  email: string;
  phone: string;
  metadata: Record<string, string>;
}

export interface RefundRequest {
  amount: number;
  reason:
    'requested_by_client' | 'cannot_be_fulfilled' | 'duplicated_transaction' | 'suspected_fraud' | 'other';
}
