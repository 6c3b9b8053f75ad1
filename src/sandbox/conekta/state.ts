import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { brandOf } from '../cards';
import type { SimLang } from '../i18n';

export { brandOf };

/**
 * In-memory state of the Conekta simulator: keys, orders with their hosted checkout and charges,
 * registered webhooks, every event and delivery, every API request received, and the knobs tests
 * turn (API failures and slow answers; lost, duplicated, held or delayed webhooks; expiry).
 */

export type { SimLang };

export type SimChargeStatus =
  'paid' | 'pending_payment' | 'declined' | 'expired' | 'refunded' | 'partially_refunded';

export interface SimCardMethod {
  object: 'card_payment';
  type: 'credit';
  brand: string;
  last4: string;
  name: string;
  country: 'MX';
}

export interface SimCashMethod {
  object: 'cash_payment';
  type: 'oxxo';
  service_name: 'OxxoPay';
  store_name: 'OXXO';
  reference: string;
  barcode_url: string;
  expires_at: number;
}

export interface SimSpeiMethod {
  object: 'bank_transfer_payment';
  type: 'spei';
  bank: 'STP';
  clabe: string;
  receiving_account_number: string;
  expires_at: number;
}

export interface SimRefund {
  id: string;
  object: 'refund';
  amount: number;
  reason: string;
  created_at: number;
}

export interface SimCharge {
  id: string;
  object: 'charge';
  livemode: boolean;
  status: SimChargeStatus;
  amount: number;
  currency: string;
  created_at: number;
  paid_at: number | null;
  order_id: string;
  failure_code?: string;
  failure_message?: string;
  payment_method: SimCardMethod | SimCashMethod | SimSpeiMethod;
  refunds: { object: 'list'; has_more: false; data: SimRefund[] };
}

export interface SimCheckout {
  id: string;
  object: 'checkout';
  type: 'HostedPayment' | 'Integration';
  name: string;
  status: 'Issued' | 'Finalized' | 'Expired' | 'Canceled';
  url: string;
  livemode: boolean;
  allowed_payment_methods: string[];
  success_url: string;
  failure_url: string;
  expires_at: number;
  redirection_time?: number;
}

export interface SimLineItem {
  id: string;
  object: 'line_item';
  name: string;
  unit_price: number;
  quantity: number;
  sku?: string;
}

/** A customer's saved card as the API shows it (only the last four digits are ever kept). */
export interface SimPaymentSource {
  id: string;
  object: 'payment_source';
  type: 'card';
  parent_id: string;
  created_at: number;
  last4: string;
  bin: string;
  brand: string;
  card_type: 'credit';
  exp_month: string;
  exp_year: string;
  name: string;
  default: boolean;
  visible_on_checkout: boolean;
  payment_source_status: 'active';
}

/** How a saved card behaves when charged (from the test card it was saved from). */
export type SimCardBehaviour = 'approve' | 'decline' | 'challenge';

export interface SimCustomerJson {
  id: string;
  object: 'customer';
  livemode: boolean;
  name: string;
  email: string;
  phone: string;
  corporate: false;
  metadata: Record<string, string | number | boolean | null>;
  default_payment_source_id: string | null;
  payment_sources: { object: 'list'; has_more: false; data: SimPaymentSource[] };
  created_at: number;
}

interface SimCustomerRecord {
  customer: SimCustomerJson;
  /** Source id → behaviour (the card number itself is never kept). */
  behaviours: Map<string, SimCardBehaviour>;
}

export type SourceChargeOutcome =
  | { kind: 'paid'; charge: SimCharge }
  | { kind: 'declined'; charge: SimCharge }
  | { kind: 'challenge'; charge: SimCharge }
  | { kind: 'source_not_found' }
  | { kind: 'not_payable'; status: string };

/** An order exactly as the API answers it. */
export interface SimOrderJson {
  id: string;
  object: 'order';
  livemode: boolean;
  amount: number;
  amount_refunded: number;
  currency: string;
  payment_status?: string;
  customer_info: Record<string, unknown>;
  line_items: { object: 'list'; has_more: false; data: SimLineItem[] };
  shipping_lines?: { object: 'list'; has_more: false; data: { id: string; amount: number }[] };
  tax_lines?: { object: 'list'; has_more: false; data: { id: string; amount: number }[] };
  discount_lines?: { object: 'list'; has_more: false; data: { id: string; amount: number }[] };
  metadata: Record<string, string | number | boolean | null>;
  checkout?: SimCheckout;
  charges: { object: 'list'; has_more: false; data: SimCharge[] };
  /** Saved-card orders: 3-D Secure mode and where the challenge returns. */
  three_ds_mode?: string;
  return_url?: string;
  /** A pending 3-D Secure challenge of a card charge. */
  next_action?: { type: 'redirect_to_url'; redirect_to_url: { url: string; return_url: string } };
  created_at: number;
  updated_at: number;
}

/** An order and what the simulator knows about it beyond the API's view. */
export interface SimOrderRecord {
  order: SimOrderJson;
  /** The private key that created it: only that key's environment can read it. */
  key: string;
  /** Language of the hosted page (the creating request's Accept-Language). */
  lang: SimLang;
}

export interface SimWebhook {
  id: string;
  object: 'webhook';
  url: string;
  status: 'listening';
  livemode: boolean;
  synchronous: false;
  subscribed_events: string[];
}

export interface SimEvent {
  id: string;
  object: 'event';
  type: string;
  livemode: boolean;
  created_at: number;
  data: { object: unknown; previous_attributes: Record<string, unknown> };
  webhook_status: string;
  webhook_logs: unknown[];
}

export interface SimDelivery {
  eventId: string;
  type: string;
  url: string;
  /** Which copy (2 for the duplicate of a duplicated delivery). */
  copy: number;
  attempt: number;
  /** HTTP status answered; null for a network error or a lost delivery. */
  status: number | null;
  /** The first 500 characters of the answer. */
  response?: string;
  error?: string;
  lost?: boolean;
  at: string;
}

export interface SimApiRequest {
  method: string;
  path: string;
  /** Whether a valid key was given (the key itself is never recorded). */
  auth: 'ok' | 'missing' | 'invalid';
  authScheme?: 'Bearer' | 'Basic';
  accept?: string;
  acceptLanguage?: string;
  body?: unknown;
  status?: number;
  fault?: boolean;
  at: string;
}

export interface SimFault {
  status: number;
  message?: string;
}

export interface ConektaKnobs {
  /** Queued API failures, first is next. */
  queued: SimFault[];
  /** Milliseconds every API answer waits. */
  delayMs: number;
  /** The next n webhook deliveries are dropped. */
  loseWebhooks: number;
  /** The next n webhook deliveries are sent twice, at the same time. */
  duplicateWebhooks: number;
  /** While on, deliveries wait; turning it off sends them. */
  holdWebhooks: boolean;
  /** Milliseconds each delivery waits before it is sent. */
  webhookDelayMs: number;
  /** Milliseconds a charge (`POST /orders/:id/charges`) is answered late, after it was made (lost answers). */
  lateChargeAnswerMs: number;
  /** The next n charge requests are lost before Conekta acts on them (connection dropped, nothing charged). */
  dropCharges: number;
}

export interface ConektaStateOptions {
  /** Test-mode private keys the API accepts. */
  privateKeys?: string[];
  /** Live-mode private keys the API accepts (orders created with them are `livemode: true`). */
  livePrivateKeys?: string[];
  /** Retries of a delivery that got no 2xx (Conekta retries too). Default 2. */
  webhookRetries?: number;
  /** Pause between those retries. Default 500 ms. */
  webhookRetryDelayMs?: number;
  /** Timeout of one delivery. Default 5 s. */
  webhookTimeoutMs?: number;
}

export const TEST_CARDS = {
  approved: '4242424242424242',
  insufficientFunds: '4000000000000127',
  threeDsFrictionless: '4000000000002701',
  threeDsChallenge: '4000000000001091',
} as const;

/** What a test card number does when saved and charged later. */
export function behaviourOf(number: string): SimCardBehaviour {
  if (number === TEST_CARDS.insufficientFunds) return 'decline';
  if (number === TEST_CARDS.threeDsChallenge) return 'challenge';
  return 'approve';
}

/** An order as `POST /orders` validated it, its amount computed (the router checks, the state creates). */
export interface NewOrderInput {
  amount: number;
  currency: string;
  customer_info: Record<string, unknown>;
  line_items: { name: string; unit_price: number; quantity: number; sku?: string }[];
  shipping_lines?: { amount: number }[];
  tax_lines?: { amount: number }[];
  discount_lines?: { amount: number }[];
  metadata: Record<string, string | number | boolean | null>;
  checkout?: Omit<SimCheckout, 'id' | 'object' | 'status' | 'url' | 'livemode'> & {
    on_demand_enabled?: boolean;
  };
  three_ds_mode?: string;
  return_url?: string;
}

export type CardOutcome =
  | { kind: 'paid'; charge: SimCharge }
  | { kind: 'declined'; charge: SimCharge }
  | { kind: 'unknown_card' }
  | { kind: 'not_payable'; status: string };

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function alnum(length: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function digits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

export function newLogId(): string {
  return hex(12);
}

type Waiter = () => void;

export class ConektaSimulatorState {
  private readonly keys = new Map<string, boolean>();
  private readonly orders = new Map<string, SimOrderRecord>();
  private readonly customers = new Map<string, SimCustomerRecord>();
  /** Charge id → order id, for 3-D Secure challenges. */
  private readonly challenges = new Map<string, string>();
  private readonly checkouts = new Map<string, string>();
  private readonly hooks: SimWebhook[] = [];
  private readonly eventLog: SimEvent[] = [];
  private readonly deliveryLog: SimDelivery[] = [];
  private readonly requestLog: SimApiRequest[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly held: Waiter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private fixedWebhook: SimWebhook | null = null;
  private closed = false;
  readonly knobs: ConektaKnobs = {
    queued: [],
    delayMs: 0,
    loseWebhooks: 0,
    duplicateWebhooks: 0,
    holdWebhooks: false,
    webhookDelayMs: 0,
    lateChargeAnswerMs: 0,
    dropCharges: 0,
  };
  webhookRetries: number;
  webhookRetryDelayMs: number;
  webhookTimeoutMs: number;
  /** The simulator's clock (ms); tests may move it to expire checkouts. */
  now: () => number = Date.now;

  constructor(opts: ConektaStateOptions = {}) {
    for (const k of opts.privateKeys ?? []) this.keys.set(k, false);
    for (const k of opts.livePrivateKeys ?? []) this.keys.set(k, true);
    this.webhookRetries = opts.webhookRetries ?? 2;
    this.webhookRetryDelayMs = opts.webhookRetryDelayMs ?? 500;
    this.webhookTimeoutMs = opts.webhookTimeoutMs ?? 5_000;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  // ---------------------------------------------------------------- keys

  addKey(key: string, livemode = false): void {
    this.keys.set(key, livemode);
  }

  /** The key's mode, or undefined when the simulator does not know the key. */
  keyMode(key: string): boolean | undefined {
    return this.keys.get(key);
  }

  // ---------------------------------------------------------------- orders

  createOrder(input: NewOrderInput & { key: string; lang: SimLang; baseUrl: string }): SimOrderJson {
    const livemode = this.keys.get(input.key) ?? false;
    const now = this.seconds();
    const id = `ord_${alnum(17)}`;
    const list = <T>(data: T[]) => ({ object: 'list' as const, has_more: false as const, data });
    const lines = (xs: { amount: number }[] | undefined, prefix: string) =>
      xs ? list(xs.map((x) => ({ id: `${prefix}_${alnum(17)}`, amount: x.amount }))) : undefined;
    const order: SimOrderJson = {
      id,
      object: 'order',
      livemode,
      amount: input.amount,
      amount_refunded: 0,
      currency: input.currency,
      customer_info: { object: 'customer_info', ...input.customer_info },
      line_items: list(
        input.line_items.map((l) => ({ id: `line_item_${alnum(17)}`, object: 'line_item' as const, ...l })),
      ),
      ...(input.shipping_lines ? { shipping_lines: lines(input.shipping_lines, 'ship_lin')! } : {}),
      ...(input.tax_lines ? { tax_lines: lines(input.tax_lines, 'tax_lin')! } : {}),
      ...(input.discount_lines ? { discount_lines: lines(input.discount_lines, 'dis_lin')! } : {}),
      metadata: input.metadata,
      charges: list<SimCharge>([]),
      ...(input.three_ds_mode ? { three_ds_mode: input.three_ds_mode } : {}),
      ...(input.return_url ? { return_url: input.return_url } : {}),
      created_at: now,
      updated_at: now,
    };
    if (input.checkout) {
      const checkoutId = randomUUID();
      order.checkout = {
        id: checkoutId,
        object: 'checkout',
        status: 'Issued',
        url: `${input.baseUrl}/checkout/${checkoutId}`,
        livemode,
        ...input.checkout,
      };
      this.checkouts.set(checkoutId, id);
    }
    this.orders.set(id, { order, key: input.key, lang: input.lang });
    return order;
  }

  /** The order as the API shows it (expiring it first when its checkout is past due). */
  getOrder(id: string): SimOrderRecord | undefined {
    const record = this.orders.get(id);
    if (record) this.expireIfDue(record);
    return record;
  }

  /** The order of a hosted checkout. */
  byCheckout(checkoutId: string): SimOrderRecord | undefined {
    const id = this.checkouts.get(checkoutId);
    return id ? this.getOrder(id) : undefined;
  }

  listOrders(): SimOrderRecord[] {
    return [...this.orders.values()];
  }

  /** Whether a key may read an order (same environment as the key that created it). */
  canRead(record: SimOrderRecord, key: string): boolean {
    return this.keys.get(key) === record.order.livemode;
  }

  private setStatus(record: SimOrderRecord, status: string): string | undefined {
    const previous = record.order.payment_status;
    record.order.payment_status = status;
    record.order.updated_at = this.seconds();
    return previous;
  }

  private isPayable(order: SimOrderJson): boolean {
    const s = order.payment_status;
    return s === undefined || s === 'pending_payment' || s === 'declined';
  }

  private newCharge(
    order: SimOrderJson,
    status: SimChargeStatus,
    method: SimCharge['payment_method'],
  ): SimCharge {
    const now = this.seconds();
    const charge: SimCharge = {
      id: hex(12),
      object: 'charge',
      livemode: order.livemode,
      status,
      amount: order.amount,
      currency: order.currency,
      created_at: now,
      paid_at: status === 'paid' ? now : null,
      order_id: order.id,
      payment_method: method,
      refunds: { object: 'list', has_more: false, data: [] },
    };
    order.charges.data.push(charge);
    return charge;
  }

  /** A card the bank declines for insufficient funds (typed or saved), with its `order.declined` event. */
  private decline(record: SimOrderRecord, method: SimCardMethod): { kind: 'declined'; charge: SimCharge } {
    const charge = this.newCharge(record.order, 'declined', method);
    charge.failure_code = 'insufficient_funds';
    charge.failure_message = record.lang === 'en' ? 'Insufficient funds.' : 'Fondos insuficientes.';
    const previous = this.setStatus(record, 'declined');
    this.emit(record, 'order.declined', previous);
    return { kind: 'declined', charge };
  }

  /** A card typed into the hosted page. Only the last four digits are kept. */
  payWithCard(record: SimOrderRecord, cardNumber: string, holder: string): CardOutcome {
    const order = record.order;
    if (!this.isPayable(order) || this.pendingVoucher(order)) {
      return { kind: 'not_payable', status: order.payment_status ?? 'unknown' };
    }
    const number = cardNumber.replace(/\D/g, '');
    const known = Object.values(TEST_CARDS) as string[];
    if (!known.includes(number)) return { kind: 'unknown_card' };
    const method: SimCardMethod = {
      object: 'card_payment',
      type: 'credit',
      brand: 'visa',
      last4: number.slice(-4),
      name: holder.slice(0, 100),
      country: 'MX',
    };
    if (number === TEST_CARDS.insufficientFunds) return this.decline(record, method);
    const charge = this.newCharge(order, 'paid', method);
    if (order.checkout) order.checkout.status = 'Finalized';
    const previous = this.setStatus(record, 'paid');
    this.emit(record, 'order.paid', previous);
    return { kind: 'paid', charge };
  }

  // ---------------------------------------------------------------- customers and saved cards

  createCustomer(
    key: string,
    input: { name: string; email: string; phone: string; metadata: SimCustomerJson['metadata'] },
  ): SimCustomerJson {
    const customer: SimCustomerJson = {
      id: `cus_${alnum(17)}`,
      object: 'customer',
      livemode: this.keys.get(key) ?? false,
      name: input.name,
      email: input.email,
      phone: input.phone,
      corporate: false,
      metadata: input.metadata,
      default_payment_source_id: null,
      payment_sources: { object: 'list', has_more: false, data: [] },
      created_at: this.seconds(),
    };
    this.customers.set(customer.id, { customer, behaviours: new Map() });
    return customer;
  }

  /** The customer as the API shows it to this key (its environment only). */
  getCustomer(id: string, key?: string): SimCustomerJson | undefined {
    const record = this.customers.get(id);
    if (!record) return undefined;
    if (key !== undefined && this.keys.get(key) !== record.customer.livemode) return undefined;
    return record.customer;
  }

  listCustomers(): SimCustomerJson[] {
    return [...this.customers.values()].map((r) => r.customer);
  }

  /**
   * Keeps a card typed into the hosted page on the customer (on-demand checkouts): its last four
   * digits, brand and expiry, and how it behaves when charged. The number itself is not kept.
   */
  addSource(
    customerId: string,
    card: { number: string; holder: string; expiry: string },
  ): SimPaymentSource | undefined {
    const record = this.customers.get(customerId);
    if (!record) return undefined;
    const number = card.number.replace(/\D/g, '');
    const [month, year] = card.expiry.split('/').map((v) => v.replace(/\D/g, ''));
    const sources = record.customer.payment_sources.data;
    const source: SimPaymentSource = {
      id: `src_${alnum(17)}`,
      object: 'payment_source',
      type: 'card',
      parent_id: customerId,
      created_at: this.seconds(),
      last4: number.slice(-4),
      bin: number.slice(0, 6),
      brand: brandOf(number),
      card_type: 'credit',
      exp_month: (month ?? '12').padStart(2, '0').slice(-2),
      exp_year: (year ?? '30').slice(-2),
      name: card.holder.slice(0, 100),
      default: sources.length === 0,
      visible_on_checkout: true,
      payment_source_status: 'active',
    };
    sources.push(source);
    record.behaviours.set(source.id, behaviourOf(number));
    if (!record.customer.default_payment_source_id) record.customer.default_payment_source_id = source.id;
    return source;
  }

  /** Deletes a saved card (the API's DELETE, or a test removing it "at the provider meanwhile"). */
  removeSource(customerId: string, sourceId: string): SimPaymentSource | undefined {
    const record = this.customers.get(customerId);
    if (!record) return undefined;
    const sources = record.customer.payment_sources.data;
    const index = sources.findIndex((s) => s.id === sourceId);
    if (index < 0) return undefined;
    const [removed] = sources.splice(index, 1);
    record.behaviours.delete(sourceId);
    if (record.customer.default_payment_source_id === sourceId) {
      record.customer.default_payment_source_id = sources[0]?.id ?? null;
    }
    return removed;
  }

  /** Charges an order of a customer to one of that customer's payment sources. */
  chargeSource(record: SimOrderRecord, sourceId: string, baseUrl: string): SourceChargeOutcome {
    const order = record.order;
    const customerId = order.customer_info.customer_id;
    const owner = typeof customerId === 'string' ? this.customers.get(customerId) : undefined;
    const source = owner?.customer.payment_sources.data.find((s) => s.id === sourceId);
    if (!owner || !source) return { kind: 'source_not_found' };
    if (!this.isPayable(order) || order.charges.data.some((c) => c.status === 'pending_payment')) {
      return { kind: 'not_payable', status: order.payment_status ?? 'unknown' };
    }
    const method: SimCardMethod = {
      object: 'card_payment',
      type: 'credit',
      brand: source.brand,
      last4: source.last4,
      name: source.name,
      country: 'MX',
    };
    const behaviour = owner.behaviours.get(sourceId) ?? 'approve';
    if (behaviour === 'decline') return this.decline(record, method);
    if (behaviour === 'challenge') {
      const charge = this.newCharge(order, 'pending_payment', method);
      this.setStatus(record, 'pending_payment');
      order.next_action = {
        type: 'redirect_to_url',
        redirect_to_url: { url: `${baseUrl}/three-ds/${charge.id}`, return_url: order.return_url ?? '' },
      };
      this.challenges.set(charge.id, order.id);
      return { kind: 'challenge', charge };
    }
    const charge = this.newCharge(order, 'paid', method);
    const previous = this.setStatus(record, 'paid');
    this.emit(record, 'order.paid', previous);
    return { kind: 'paid', charge };
  }

  /** The order and charge of a pending 3-D Secure challenge. */
  challenge(chargeId: string): { record: SimOrderRecord; charge: SimCharge } | undefined {
    const orderId = this.challenges.get(chargeId);
    const record = orderId ? this.getOrder(orderId) : undefined;
    const charge = record?.order.charges.data.find((c) => c.id === chargeId);
    return record && charge ? { record, charge } : undefined;
  }

  /** The shopper passes (or fails) the bank's 3-D Secure challenge. */
  completeChallenge(chargeId: string, authenticated: boolean): SimOrderRecord | undefined {
    const found = this.challenge(chargeId);
    if (!found || found.charge.status !== 'pending_payment') return found?.record;
    const { record, charge } = found;
    delete record.order.next_action;
    this.challenges.delete(chargeId);
    if (authenticated) {
      charge.status = 'paid';
      charge.paid_at = this.seconds();
      const previous = this.setStatus(record, 'paid');
      this.emit(record, 'order.paid', previous);
    } else {
      charge.status = 'declined';
      charge.failure_code = 'three_d_secure_failed';
      charge.failure_message =
        record.lang === 'en' ? '3-D Secure authentication failed.' : 'La autenticación 3-D Secure falló.';
      const previous = this.setStatus(record, 'declined');
      this.emit(record, 'order.declined', previous);
    }
    return record;
  }

  /** The pending OXXO or SPEI charge of an order, if one was issued. */
  pendingVoucher(order: SimOrderJson): SimCharge | undefined {
    return order.charges.data.find((c) => c.status === 'pending_payment');
  }

  /** Issues an OXXO cash reference or a SPEI CLABE (once: asking again shows the same one). */
  issueVoucher(record: SimOrderRecord, kind: 'cash' | 'bank_transfer'): SimCharge | { notPayable: string } {
    const order = record.order;
    const existing = this.pendingVoucher(order);
    if (existing) return existing;
    if (!this.isPayable(order)) return { notPayable: order.payment_status ?? 'unknown' };
    const expires = order.checkout?.expires_at ?? this.seconds() + 86_400;
    const method: SimCashMethod | SimSpeiMethod =
      kind === 'cash'
        ? {
            object: 'cash_payment',
            type: 'oxxo',
            service_name: 'OxxoPay',
            store_name: 'OXXO',
            reference: `9300${digits(10)}`,
            barcode_url: 'https://s3.amazonaws.com/cash_payment_barcodes/sandbox_reference.png',
            expires_at: expires,
          }
        : {
            object: 'bank_transfer_payment',
            type: 'spei',
            bank: 'STP',
            clabe: `646180${digits(12)}`,
            receiving_account_number: `646180${digits(12)}`,
            expires_at: expires,
          };
    const charge = this.newCharge(order, 'pending_payment', method);
    const previous = this.setStatus(record, 'pending_payment');
    this.emit(record, 'order.pending_payment', previous);
    return charge;
  }

  /** The shopper pays the voucher at the store (OXXO) or from the bank (SPEI). */
  payVoucher(record: SimOrderRecord): SimCharge | null {
    const charge = this.pendingVoucher(record.order);
    if (!charge || record.order.payment_status !== 'pending_payment') return null;
    charge.status = 'paid';
    charge.paid_at = this.seconds();
    if (record.order.checkout) record.order.checkout.status = 'Finalized';
    const previous = this.setStatus(record, 'paid');
    this.emit(record, 'order.paid', previous);
    return charge;
  }

  /** Expires an unpaid order now (checkout and pending vouchers), with its `order.expired` event. */
  expire(record: SimOrderRecord): boolean {
    return this.closeUnpaid(record, 'expired', 'Expired');
  }

  /** Cancels an unpaid order, with its `order.canceled` event. */
  cancel(record: SimOrderRecord): boolean {
    return this.closeUnpaid(record, 'canceled', 'Canceled');
  }

  /** Ends an order nobody paid: pending vouchers expire, and its `order.<status>` event goes out. */
  private closeUnpaid(
    record: SimOrderRecord,
    status: 'expired' | 'canceled',
    checkoutStatus: 'Expired' | 'Canceled',
  ): boolean {
    const s = record.order.payment_status;
    if (s !== undefined && s !== 'pending_payment' && s !== 'declined') return false;
    for (const c of record.order.charges.data) if (c.status === 'pending_payment') c.status = 'expired';
    if (record.order.checkout) record.order.checkout.status = checkoutStatus;
    const previous = this.setStatus(record, status);
    this.emit(record, `order.${status}`, previous);
    return true;
  }

  private expireIfDue(record: SimOrderRecord): void {
    const checkout = record.order.checkout;
    if (checkout && checkout.expires_at <= this.seconds()) this.expire(record);
  }

  /** A refund (cards only), with its `order.refunded` / `order.partially_refunded` event. */
  refund(
    record: SimOrderRecord,
    amount: number,
    reason: string,
  ): { ok: true } | { ok: false; status: 422 | 428; param: string; message: { es: string; en: string } } {
    const order = record.order;
    if (order.payment_status !== 'paid' && order.payment_status !== 'partially_refunded') {
      return {
        ok: false,
        status: 428,
        param: 'order',
        message: { es: 'La orden no está pagada.', en: 'The order is not paid.' },
      };
    }
    const charge = order.charges.data.find((c) => c.status === 'paid' || c.status === 'partially_refunded');
    if (!charge || charge.payment_method.object !== 'card_payment') {
      return {
        ok: false,
        status: 422,
        param: 'charge',
        message: {
          es: 'Solo se pueden reembolsar pagos con tarjeta.',
          en: 'Only card payments can be refunded.',
        },
      };
    }
    const left = order.amount - order.amount_refunded;
    if (amount > left) {
      return {
        ok: false,
        status: 422,
        param: 'amount',
        message: {
          es: 'El monto del reembolso excede el monto disponible.',
          en: 'The refund amount exceeds the refundable amount.',
        },
      };
    }
    order.amount_refunded += amount;
    const status = order.amount_refunded === order.amount ? 'refunded' : 'partially_refunded';
    charge.status = status;
    charge.refunds.data.push({
      id: `ref_${alnum(17)}`,
      object: 'refund',
      amount,
      reason,
      created_at: this.seconds(),
    });
    const previous = this.setStatus(record, status);
    this.emit(record, `order.${status}`, previous);
    return { ok: true };
  }

  // ---------------------------------------------------------------- webhooks and events

  /** Registers a webhook (as `POST /webhooks` does) and sends it a `webhook_ping`. */
  registerWebhook(url: string, livemode: boolean): SimWebhook {
    const hook: SimWebhook = {
      id: hex(12),
      object: 'webhook',
      url,
      status: 'listening',
      livemode,
      synchronous: false,
      subscribed_events: [],
    };
    this.hooks.push(hook);
    this.deliverTo(hook, this.newEvent('webhook_ping', livemode, {}, {}));
    return hook;
  }

  webhooksFor(livemode: boolean): SimWebhook[] {
    return this.hooks.filter((h) => h.livemode === livemode);
  }

  /**
   * The URL every event (test and live) is delivered to, as configured in a dashboard; null stops
   * it. Independent of the webhooks registered through the API.
   */
  setWebhookUrl(url: string | null): void {
    this.fixedWebhook = url
      ? {
          id: 'dashboard',
          object: 'webhook',
          url,
          status: 'listening',
          livemode: false,
          synchronous: false,
          subscribed_events: [],
        }
      : null;
  }

  get webhookUrl(): string | null {
    return this.fixedWebhook?.url ?? null;
  }

  private newEvent(
    type: string,
    livemode: boolean,
    object: unknown,
    previous: Record<string, unknown>,
  ): SimEvent {
    const event: SimEvent = {
      id: `${hex(12)}`,
      object: 'event',
      type,
      livemode,
      created_at: this.seconds(),
      data: { object, previous_attributes: previous },
      webhook_status: 'pending',
      webhook_logs: [],
    };
    this.eventLog.push(event);
    return event;
  }

  /** Records an order event and delivers it to every webhook of the order's environment. */
  emit(record: SimOrderRecord, type: string, previousStatus?: string): SimEvent {
    const order = record.order;
    const event = this.newEvent(
      type,
      order.livemode,
      JSON.parse(JSON.stringify(order)) as unknown,
      previousStatus === undefined ? {} : { payment_status: previousStatus },
    );
    const targets = [...(this.fixedWebhook ? [this.fixedWebhook] : []), ...this.webhooksFor(order.livemode)];
    for (const hook of targets) this.deliverTo(hook, event);
    return event;
  }

  /** Sends an event again, as Conekta's dashboard "resend" does. */
  resend(eventId: string): boolean {
    const event = this.eventLog.find((e) => e.id === eventId);
    if (!event) return false;
    const targets = [...(this.fixedWebhook ? [this.fixedWebhook] : []), ...this.webhooksFor(event.livemode)];
    for (const hook of targets) this.deliverTo(hook, event);
    return true;
  }

  get events(): SimEvent[] {
    return [...this.eventLog];
  }

  eventsFor(orderId: string): SimEvent[] {
    return this.eventLog.filter((e) => (e.data.object as { id?: string }).id === orderId);
  }

  get deliveries(): SimDelivery[] {
    return this.deliveryLog.map((d) => ({ ...d }));
  }

  deliveriesFor(orderId: string): SimDelivery[] {
    const ids = new Set(this.eventsFor(orderId).map((e) => e.id));
    return this.deliveries.filter((d) => ids.has(d.eventId));
  }

  private deliverTo(hook: SimWebhook, event: SimEvent): void {
    if (this.closed) return;
    const task = (async () => {
      if (this.knobs.holdWebhooks) await new Promise<void>((resolve) => this.held.push(resolve));
      if (this.knobs.webhookDelayMs > 0) await this.sleep(this.knobs.webhookDelayMs);
      if (this.closed) return;
      if (this.knobs.loseWebhooks > 0) {
        this.knobs.loseWebhooks--;
        this.deliveryLog.push({
          eventId: event.id,
          type: event.type,
          url: hook.url,
          copy: 1,
          attempt: 1,
          status: null,
          lost: true,
          at: new Date().toISOString(),
        });
        return;
      }
      let copies = 1;
      if (this.knobs.duplicateWebhooks > 0) {
        this.knobs.duplicateWebhooks--;
        copies = 2;
      }
      await Promise.all(Array.from({ length: copies }, (_, i) => this.send(hook.url, event, i + 1)));
    })();
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }

  private async send(url: string, event: SimEvent, copy: number): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= 1 + this.webhookRetries; attempt++) {
      if (this.closed) return;
      if (attempt > 1) await this.sleep(this.webhookRetryDelayMs);
      const record: SimDelivery = {
        eventId: event.id,
        type: event.type,
        url,
        copy,
        attempt,
        status: null,
        at: new Date().toISOString(),
      };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'Conekta Webhooks (simulator)' },
          body,
          signal: AbortSignal.timeout(this.webhookTimeoutMs),
        });
        record.status = res.status;
        record.response = (await res.text()).slice(0, 500);
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      this.deliveryLog.push(record);
      if (record.status !== null && record.status >= 200 && record.status < 300) return;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Sends the deliveries held by `holdWebhooks` and turns it off. */
  releaseWebhooks(): void {
    this.knobs.holdWebhooks = false;
    for (const go of this.held.splice(0)) go();
  }

  /** Resolves once no delivery is in flight (held ones are not waited for). */
  async settled(): Promise<void> {
    while (this.inflight.size > this.held.length) {
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  // ---------------------------------------------------------------- API requests and faults

  recordRequest(entry: Omit<SimApiRequest, 'at'>): SimApiRequest {
    const record: SimApiRequest = { ...entry, at: new Date().toISOString() };
    this.requestLog.push(record);
    return record;
  }

  get requests(): SimApiRequest[] {
    return this.requestLog.map((r) => ({ ...r }));
  }

  /** The next `n` API calls answer `status` in Conekta's error shape (with a log_id). */
  failNext(n: number, status = 500, message?: string): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`fault status must be 400-599, got ${status}`);
    }
    for (let i = 0; i < n; i++) this.knobs.queued.push({ status, ...(message ? { message } : {}) });
  }

  nextFault(): SimFault | undefined {
    return this.knobs.queued.shift();
  }

  /** Every API answer waits this long (slow answers, timeouts). */
  set delayMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('delayMs must be a non-negative number');
    this.knobs.delayMs = ms;
  }

  get delayMs(): number {
    return this.knobs.delayMs;
  }

  /** Drops the next `n` webhook deliveries. */
  loseNextWebhooks(n = 1): void {
    this.knobs.loseWebhooks += n;
  }

  /** Sends the next `n` webhook deliveries twice, concurrently. */
  duplicateNextWebhooks(n = 1): void {
    this.knobs.duplicateWebhooks += n;
  }

  /** Waits as the delay knob says; resolves false when the simulator closed meanwhile. */
  async hold(): Promise<boolean> {
    if (this.knobs.delayMs > 0) await this.sleep(this.knobs.delayMs);
    return !this.closed;
  }

  /** Charges are answered this late, after they were made (the client times out: a lost answer). */
  lateChargeAnswers(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('ms must be a non-negative number');
    this.knobs.lateChargeAnswerMs = ms;
  }

  /** Waits as the late-charge knob says; false when the simulator closed meanwhile. */
  async lateChargeAnswer(): Promise<boolean> {
    if (this.knobs.lateChargeAnswerMs > 0) await this.sleep(this.knobs.lateChargeAnswerMs);
    return !this.closed;
  }

  clearFaults(): void {
    this.knobs.queued = [];
    this.knobs.delayMs = 0;
    this.knobs.loseWebhooks = 0;
    this.knobs.duplicateWebhooks = 0;
    this.knobs.webhookDelayMs = 0;
    this.knobs.lateChargeAnswerMs = 0;
    this.knobs.dropCharges = 0;
    this.releaseWebhooks();
  }

  /** The next `n` charge requests never reach Conekta: the connection drops, no charge is made. */
  dropNextCharges(n = 1): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
    this.knobs.dropCharges += n;
  }

  /** Whether this charge request is one of the dropped ones (counts it). */
  takeDroppedCharge(): boolean {
    if (this.knobs.dropCharges <= 0) return false;
    this.knobs.dropCharges--;
    return true;
  }

  /** Forgets orders, events, deliveries, requests, registered webhooks and faults (keys stay). */
  reset(): void {
    this.clearFaults();
    this.orders.clear();
    this.checkouts.clear();
    this.customers.clear();
    this.challenges.clear();
    this.hooks.length = 0;
    this.eventLog.length = 0;
    this.deliveryLog.length = 0;
    this.requestLog.length = 0;
    this.now = Date.now;
  }

  dispose(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const go of this.held.splice(0)) go();
  }
}
