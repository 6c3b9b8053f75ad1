import { createHmac, randomBytes, randomInt } from 'node:crypto';
import axios from 'axios';
import { brandOf } from '../cards';
import { checkFaultStatus, nonNegative, WaitList, type HoldOutcome } from '../faults';

/** Keys of the demo merchant (sandbox only: they open nothing real). */
export const DEMO_ECARTPAY_PUBLIC_KEY = 'pub_sandbox_ecartpay_demo';
export const DEMO_ECARTPAY_PRIVATE_KEY = 'prv_sandbox_ecartpay_demo_0123456789';
export const DEMO_ECARTPAY_WEBHOOK_SECRET = 'whsec_sandbox_ecartpay_demo_0123456789';

/** API operations, for targeted faults and the call log. */
export const ECART_OPERATIONS = [
  'token',
  'createOrder',
  'getOrder',
  'refund',
  'createCustomer',
  'listCards',
  'deleteCard',
  'cardToken',
  'threeDSecure',
  'customerSession',
] as const;
export type EcartOperation = (typeof ECART_OPERATIONS)[number];

export interface SimEcartItem {
  name: string;
  quantity: number;
  price: number;
}

export interface SimEcartOrder {
  id: string;
  number: string;
  status: string;
  currency: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  items: SimEcartItem[];
  totals: { subtotal: number; total: number; tax: number; discount: number; shipping: number };
  notify_url?: string;
  redirect_url?: string;
  pay_link: string;
  refunds: { amount: number; reason: string; created_at: string }[];
  created_at: string;
  updated_at: string;
  /** Internal: the merchant (public key) that owns the order; only its tokens see it. */
  merchant: string;
  /** Internal: total and refunded amount in hundredths (Ecart amounts have 2 decimals). */
  totalHundredths: number;
  refundedHundredths: number;
  /** Saved cards: the customer the order is for (its pay page may keep the card). */
  customer_id?: string;
}

/** A customer's saved card as the API shows it (only the last four digits are ever kept). */
export interface SimEcartCard {
  id: string;
  customer_id: string;
  name: string;
  last4: string;
  brand: string;
  exp_month: string;
  exp_year: string;
  default: boolean;
  created_at: string;
}

export interface SimEcartCustomer {
  id: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  user_id?: string;
  created_at: string;
}

/** How a saved card behaves when charged (from the test card it was saved from). */
export type SimEcartBehaviour = 'approve' | 'decline' | 'challenge';

/** Ecart's 3-D Secure step-up test cards (the challenge page decides the outcome), and a decline card. */
export function ecartBehaviourOf(number: string): SimEcartBehaviour {
  if (number === '4000000000000127') return 'decline';
  if (number === '4000000000002503' || number === '4000000000002370') return 'challenge';
  return 'approve';
}

export interface RecordedCall {
  operation: EcartOperation;
  method: string;
  path: string;
  /** `ok`, `missing`, `bad` (unknown/garbled, `Bearer …`), `expired` (issued but expired or revoked). */
  auth: 'ok' | 'missing' | 'bad' | 'expired';
  /** The status answered; null while held or if never answered (simulator closed). */
  status: number | null;
  fault?: 'fail' | 'delay';
  body?: unknown;
  at: string;
}

export interface SentNotification {
  webhookId: string;
  orderId: string;
  event: string;
  status: string;
  url: string;
  attempt: number;
  /** Same delivery sent again on purpose (duplicate knob). */
  duplicate: boolean;
  outcome: 'lost' | 'pending' | 'delivered' | 'refused' | 'error';
  httpStatus?: number;
  error?: string;
  responseBody?: unknown;
  at: string;
}

type Fault = { status: number; operation?: EcartOperation };

/** Ecart's `x-pay-signature` hex for `{timestamp}.{webhookId}.{JSON.stringify(data)}` (its own code, for the simulator). */
export function signEcartNotification(
  secret: string,
  timestamp: string,
  webhookId: string,
  data: unknown,
): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.${webhookId}.${JSON.stringify(data)}`)
    .digest('hex');
}

/** Headers of a signed notification, as Ecart sends them (tests forge and replay with this). */
export function ecartNotificationHeaders(
  secret: string,
  data: unknown,
  opts: { timestamp?: number; webhookId?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.timestamp ?? Date.now());
  const webhookId = opts.webhookId ?? `hook_${randomBytes(12).toString('hex')}`;
  return {
    'x-pay-timestamp': timestamp,
    'x-pay-webhook-id': webhookId,
    'x-pay-signature': `SHA256=${signEcartNotification(secret, timestamp, webhookId, data)}`,
  };
}

/**
 * In-memory state of the Ecart Pay simulator: merchants and their tokens, orders, every API call and
 * notification, and the knobs tests turn (API failures and slowness, lost/duplicate/delayed
 * notifications, miscomputed totals, token expiry).
 */
export class EcartPaySimulatorState {
  /** public key → private key. */
  private readonly merchants = new Map<string, string>();
  private readonly tokens = new Map<string, { merchant: string; expiresAt: number; revoked: boolean }>();
  private readonly orders = new Map<string, SimEcartOrder>();
  private readonly customers = new Map<
    string,
    {
      merchant: string;
      customer: SimEcartCustomer;
      cards: SimEcartCard[];
      behaviours: Map<string, SimEcartBehaviour>;
    }
  >();
  private readonly cvcCards = new Set<string>();
  private readonly verifiedCvcs: { cardId: string; cvc: string }[] = [];
  private readonly sessions = new Map<string, { merchant: string; customerId: string; expiresAt: number }>();
  private readonly cardTokens = new Map<
    string,
    { merchant: string; customerId: string; cardId: string; used: boolean }
  >();
  private readonly threeDs = new Map<string, { orderId: string; redirectUrl: string; done: boolean }>();
  private late: { ms: number; operation?: EcartOperation } = { ms: 0 };
  private readonly callLog: RecordedCall[] = [];
  private readonly sent: SentNotification[] = [];
  /** Scheduled notifications and redeliveries. */
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Slow and late answers waiting. */
  private readonly waits = new WaitList();
  private readonly signingKey = randomBytes(32);
  private faultQueue: Fault[] = [];
  private delay: { ms: number; operation?: EcartOperation } = { ms: 0 };
  private lose = 0;
  private duplicate = 0;
  private skew: { hundredths: number; count: number } = { hundredths: 0, count: 0 };
  private closed = false;
  private inFlight = 0;

  /** How long issued tokens live (Ecart: 1 hour). Lower it to make tokens expire during a test. */
  tokenTtlMs = 60 * 60_000;
  /** The account webhook secret: notifications are signed when set. */
  webhookSecret: string | undefined;
  /** Wait before each notification is sent (a delayed notification arrives after the shopper). */
  notificationDelayMs = 0;
  /** Waits between attempts after a 5xx or network error (Ecart: about 5 attempts, 10–30 s apart). 4xx is never retried. */
  retryDelaysMs: number[] = [10_000, 20_000, 30_000, 30_000];
  /** How long a notification waits for the app's answer (Ecart: 5 s). */
  notificationTimeoutMs = 5_000;

  constructor(
    opts: { merchants?: { publicKey: string; privateKey: string }[]; webhookSecret?: string } = {},
  ) {
    for (const m of opts.merchants ?? []) this.addMerchant(m.publicKey, m.privateKey);
    this.webhookSecret = opts.webhookSecret;
  }

  // ---- merchants and tokens ----

  addMerchant(publicKey: string, privateKey: string): void {
    this.merchants.set(publicKey, privateKey);
  }

  /** Issues a token when the Basic credentials match a merchant; null otherwise. */
  issueToken(publicKey: string, privateKey: string): string | null {
    if (this.merchants.get(publicKey) !== privateKey) return null;
    const issuedAt = Date.now();
    const expiresAt = issuedAt + this.tokenTtlMs;
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
      sub: publicKey,
      iat: Math.floor(issuedAt / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: randomBytes(8).toString('hex'),
    })}`;
    const token = `${unsigned}.${createHmac('sha256', this.signingKey).update(unsigned).digest('base64url')}`;
    this.tokens.set(token, { merchant: publicKey, expiresAt, revoked: false });
    return token;
  }

  /** The merchant a raw `Authorization` token belongs to, or why it is refused. */
  checkToken(
    header: string | undefined,
  ): { ok: true; merchant: string } | { ok: false; auth: 'missing' | 'bad' | 'expired' } {
    if (!header) return { ok: false, auth: 'missing' };
    const entry = this.tokens.get(header.trim());
    if (!entry) return { ok: false, auth: 'bad' };
    if (entry.revoked || entry.expiresAt <= Date.now()) return { ok: false, auth: 'expired' };
    return { ok: true, merchant: entry.merchant };
  }

  /** Every token issued so far is refused from now on (as after their hour is up). */
  expireAllTokens(): void {
    for (const entry of this.tokens.values()) entry.revoked = true;
  }

  /** Every token ever issued (tests check none reaches a log). */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  // ---- orders ----

  /** Creates an order from validated input; totals computed from the items in hundredths. */
  createOrder(
    merchant: string,
    input: Omit<
      SimEcartOrder,
      | 'id'
      | 'number'
      | 'status'
      | 'totals'
      | 'pay_link'
      | 'refunds'
      | 'created_at'
      | 'updated_at'
      | 'merchant'
      | 'totalHundredths'
      | 'refundedHundredths'
    >,
    payLinkBase: string,
  ): SimEcartOrder {
    const id = randomBytes(12).toString('hex');
    let hundredths = input.items.reduce((sum, i) => sum + Math.round(i.price * 100) * i.quantity, 0);
    const subtotal = hundredths;
    if (this.skew.count > 0) {
      this.skew.count -= 1;
      hundredths = Math.max(0, hundredths + this.skew.hundredths);
    }
    const now = new Date().toISOString();
    const order: SimEcartOrder = {
      ...input,
      id,
      number: `OR${String(randomInt(0, 99_999_999)).padStart(8, '0')}${'ABCDEFGHJK'[randomInt(10)]}`,
      status: 'created',
      totals: { subtotal: subtotal / 100, total: hundredths / 100, tax: 0, discount: 0, shipping: 0 },
      pay_link: `${payLinkBase.replace(/\/+$/, '')}/checkout?id=${id}`,
      refunds: [],
      created_at: now,
      updated_at: now,
      merchant,
      totalHundredths: hundredths,
      refundedHundredths: 0,
    };
    this.orders.set(id, order);
    return order;
  }

  getOrder(id: string): SimEcartOrder | undefined {
    return this.orders.get(id);
  }

  listOrders(): SimEcartOrder[] {
    return [...this.orders.values()];
  }

  /** The order as Ecart's API shows it (no internal fields). */
  publicOrder(order: SimEcartOrder): Record<string, unknown> {
    const { merchant: _m, totalHundredths: _t, refundedHundredths: _r, ...visible } = order;
    return structuredClone(visible);
  }

  /** Moves an order to a status and, when it changed and the order has a notify_url, notifies it. */
  setStatus(order: SimEcartOrder, status: string, opts: { notify?: boolean } = {}): boolean {
    if (order.status === status) return false;
    order.status = status;
    order.updated_at = new Date().toISOString();
    if (opts.notify !== false) this.notify(order);
    return true;
  }

  /** Records a refund (validated by the router) and moves the order to refunded / partially_refunded. */
  refund(order: SimEcartOrder, hundredths: number, reason: string): void {
    order.refundedHundredths += hundredths;
    order.refunds.push({ amount: hundredths / 100, reason, created_at: new Date().toISOString() });
    this.setStatus(
      order,
      order.refundedHundredths >= order.totalHundredths ? 'refunded' : 'partially_refunded',
    );
  }

  /** Changes an order's total after creation (a provider answer that does not match the payment). */
  setOrderTotal(order: SimEcartOrder, total: number, currency?: string): void {
    order.totalHundredths = Math.round(total * 100);
    order.totals = { ...order.totals, total: order.totalHundredths / 100 };
    if (currency) order.currency = currency;
  }

  // ---- customers, saved cards, card tokens, 3-D Secure ----

  createCustomer(merchant: string, input: Omit<SimEcartCustomer, 'id' | 'created_at'>): SimEcartCustomer {
    const customer: SimEcartCustomer = {
      id: randomBytes(12).toString('hex'),
      ...input,
      created_at: new Date().toISOString(),
    };
    this.customers.set(customer.id, { merchant, customer, cards: [], behaviours: new Map() });
    return customer;
  }

  /** The customer, seen by its merchant only. */
  customerOf(merchant: string | null, id: string): SimEcartCustomer | undefined {
    const entry = this.customers.get(id);
    return entry && (merchant === null || entry.merchant === merchant) ? entry.customer : undefined;
  }

  listCustomers(): SimEcartCustomer[] {
    return [...this.customers.values()].map((e) => e.customer);
  }

  cardsOf(customerId: string): SimEcartCard[] {
    return [...(this.customers.get(customerId)?.cards ?? [])];
  }

  /** Keeps a card typed on the pay page on the customer: last 4 digits, brand, expiry, behaviour. */
  addCard(
    customerId: string,
    card: { number: string; name: string; expiry: string },
  ): SimEcartCard | undefined {
    const entry = this.customers.get(customerId);
    if (!entry) return undefined;
    const number = card.number.replace(/\D/g, '');
    const [month, year] = card.expiry.split('/').map((v) => v.replace(/\D/g, ''));
    const saved: SimEcartCard = {
      id: randomBytes(12).toString('hex'),
      customer_id: customerId,
      name: card.name.slice(0, 100),
      last4: number.slice(-4),
      brand: brandOf(number),
      exp_month: (month ?? '12').padStart(2, '0').slice(-2),
      exp_year: (year ?? '30').length === 2 ? `20${year ?? '30'}` : (year ?? '2030'),
      default: entry.cards.length === 0,
      created_at: new Date().toISOString(),
    };
    entry.cards.push(saved);
    entry.behaviours.set(saved.id, ecartBehaviourOf(number));
    return saved;
  }

  removeCard(customerId: string, cardId: string): SimEcartCard | undefined {
    const entry = this.customers.get(customerId);
    const index = entry?.cards.findIndex((c) => c.id === cardId) ?? -1;
    if (!entry || index < 0) return undefined;
    const [removed] = entry.cards.splice(index, 1);
    entry.behaviours.delete(cardId);
    return removed;
  }

  /**
   * A single-use token of a saved card of one of the merchant's customers. `not_found`: no such card;
   * `cvc_required`: the card must be verified with its security code (typed in Ecart's component).
   */
  issueCardToken(
    merchant: string,
    cardId: string,
    cvc?: string,
  ): string | 'not_found' | 'cvc_required' | 'cvc_invalid' {
    for (const [customerId, entry] of this.customers) {
      if (entry.merchant !== merchant || !entry.cards.some((c) => c.id === cardId)) continue;
      if (cvc !== undefined && !/^\d{3,4}$/.test(cvc)) return 'cvc_invalid';
      if (this.cvcCards.has(cardId) && cvc === undefined) return 'cvc_required';
      const token = `ca_${randomBytes(9).toString('hex')}`;
      this.cardTokens.set(token, { merchant, customerId, cardId, used: false });
      if (cvc !== undefined) this.verifiedCvcs.push({ cardId, cvc });
      return token;
    }
    return 'not_found';
  }

  /** From now on this saved card is tokenized only with its security code (`POST /tokens` without it: 400). */
  requireCvc(cardId: string): void {
    this.cvcCards.add(cardId);
  }

  /** Security codes typed in the component, as Ecart received them (tests prove they were typed there). */
  get typedCvcs(): { cardId: string; cvc: string }[] {
    return [...this.verifiedCvcs];
  }

  /** A customer session (`POST /customers/{id}/session`) for Ecart's browser component, 30 minutes. */
  createSession(merchant: string, customerId: string): string {
    const id = `cs_${randomBytes(12).toString('hex')}`;
    this.sessions.set(id, { merchant, customerId, expiresAt: Date.now() + 30 * 60_000 });
    return id;
  }

  /** The session's merchant and customer while it is valid. */
  sessionOf(id: string): { merchant: string; customerId: string } | undefined {
    const s = this.sessions.get(id);
    return s && s.expiresAt > Date.now() ? { merchant: s.merchant, customerId: s.customerId } : undefined;
  }

  /** Whether a card token can pay an order of this merchant's customer (unused, that customer's card). */
  cardTokenUsable(merchant: string, customerId: string, token: string): boolean {
    const t = this.cardTokens.get(token);
    return t !== undefined && !t.used && t.merchant === merchant && t.customerId === customerId;
  }

  /**
   * Pays a new order with a card token (used once, for the order's own customer): paid, declined, or
   * left `created` until its 3-D Secure challenge. null when the token cannot pay this order.
   */
  payWithCardToken(order: SimEcartOrder, token: string): 'paid' | 'declined' | 'challenge' | null {
    const t = this.cardTokens.get(token);
    if (!t || t.used || t.merchant !== order.merchant || t.customerId !== order.customer_id) return null;
    const behaviour = this.customers.get(t.customerId)?.behaviours.get(t.cardId);
    if (!behaviour) return null;
    t.used = true;
    if (behaviour === 'challenge') return 'challenge';
    this.setStatus(order, behaviour === 'approve' ? 'paid' : 'declined');
    return behaviour === 'approve' ? 'paid' : 'declined';
  }

  /** The card token paid this order (3-D Secure enrollment of that order only). */
  tokenPaid(token: string, order: SimEcartOrder): boolean {
    const t = this.cardTokens.get(token);
    return t !== undefined && t.used && t.merchant === order.merchant && t.customerId === order.customer_id;
  }

  startThreeDs(order: SimEcartOrder, redirectUrl: string): string {
    const id = `3ds_${randomBytes(9).toString('hex')}`;
    this.threeDs.set(id, { orderId: order.id, redirectUrl, done: false });
    return id;
  }

  threeDsOf(id: string): { order: SimEcartOrder; redirectUrl: string; done: boolean } | undefined {
    const entry = this.threeDs.get(id);
    const order = entry ? this.orders.get(entry.orderId) : undefined;
    return entry && order ? { order, redirectUrl: entry.redirectUrl, done: entry.done } : undefined;
  }

  /** The shopper passes (or fails) the bank's challenge: the order is paid or declined, and notified. */
  completeThreeDs(id: string, authenticated: boolean): SimEcartOrder | undefined {
    const entry = this.threeDs.get(id);
    const order = entry ? this.orders.get(entry.orderId) : undefined;
    if (!entry || !order) return undefined;
    if (!entry.done && order.status === 'created') this.setStatus(order, authenticated ? 'paid' : 'declined');
    entry.done = true;
    return order;
  }

  /** Answers of `operation` (or all) come `ms` late, after the call was processed (lost answers). */
  lateAnswers(ms: number, operation?: EcartOperation): void {
    this.late = { ms: nonNegative('ms', ms), ...(operation ? { operation } : {}) };
  }

  lateFor(operation: EcartOperation): number {
    return this.late.operation === undefined || this.late.operation === operation ? this.late.ms : 0;
  }

  // ---- calls ----

  recordCall(entry: Omit<RecordedCall, 'status' | 'at'>): RecordedCall {
    const record: RecordedCall = { ...entry, status: null, at: new Date().toISOString() };
    this.callLog.push(record);
    return record;
  }

  /** Every API call received, oldest first (copies). */
  get calls(): RecordedCall[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  callsTo(operation: EcartOperation): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  // ---- faults ----

  /** The next `n` calls (of `operation`, or any) answer `status` with Ecart's error body. */
  failNext(n: number, status = 500, operation?: EcartOperation): void {
    checkFaultStatus(status);
    for (let i = 0; i < n; i += 1) this.faultQueue.push({ status, ...(operation ? { operation } : {}) });
  }

  /** Consumes the next queued failure that applies to this operation. */
  nextFault(operation: EcartOperation): number | null {
    const index = this.faultQueue.findIndex((f) => f.operation === undefined || f.operation === operation);
    if (index < 0) return null;
    const [fault] = this.faultQueue.splice(index, 1);
    return fault!.status;
  }

  /** Every API answer (of `operation`, or all) waits `ms` first: slow answers, client timeouts. */
  slowAnswers(ms: number, operation?: EcartOperation): void {
    this.delay = { ms: nonNegative('ms', ms), ...(operation ? { operation } : {}) };
  }

  delayFor(operation: EcartOperation): number {
    return this.delay.operation === undefined || this.delay.operation === operation ? this.delay.ms : 0;
  }

  /** The next `n` notifications are never sent (lost on the way). */
  loseNextNotifications(n = 1): void {
    this.lose += nonNegative('n', n);
  }

  /** The next `n` notifications are delivered twice (same webhook id, as a redelivery). */
  duplicateNextNotifications(n = 1): void {
    this.duplicate += nonNegative('n', n);
  }

  /** The next `count` orders get a total off by `hundredths` (e.g. 1 = one cent more than the items). */
  skewNextTotals(hundredths: number, count = 1): void {
    this.skew = { hundredths, count: nonNegative('count', count) };
  }

  clearFaults(): void {
    this.faultQueue = [];
    this.delay = { ms: 0 };
    this.late = { ms: 0 };
    this.lose = 0;
    this.duplicate = 0;
    this.skew = { hundredths: 0, count: 0 };
    this.notificationDelayMs = 0;
  }

  get faults() {
    return {
      failNext: this.faultQueue.map((f) => ({ ...f })),
      slowAnswers: { ...this.delay },
      lateAnswers: { ...this.late },
      loseNotifications: this.lose,
      duplicateNotifications: this.duplicate,
      notificationDelayMs: this.notificationDelayMs,
      skewTotals: { ...this.skew },
      tokenTtlMs: this.tokenTtlMs,
    };
  }

  /** Waits `ms` (a slow answer); 'aborted' when the simulator closes meanwhile. */
  async wait(ms: number): Promise<HoldOutcome> {
    if (this.closed) return 'aborted';
    if (ms <= 0) return 'go';
    return (await this.waits.sleep(ms)) === 'go' && !this.closed ? 'go' : 'aborted';
  }

  // ---- notifications ----

  /** Every notification attempt, oldest first (copies). */
  get notifications(): SentNotification[] {
    return this.sent.map((n) => ({ ...n }));
  }

  notificationsFor(orderId: string): SentNotification[] {
    return this.notifications.filter((n) => n.orderId === orderId);
  }

  /** Notifications scheduled or on the wire. */
  get pendingNotifications(): number {
    return this.inFlight;
  }

  /** Sends the order's status change to its notify_url, as the knobs say. */
  notify(order: SimEcartOrder): void {
    if (!order.notify_url || this.closed) return;
    const event =
      order.status === 'paid'
        ? 'orders.confirmation'
        : order.status === 'created'
          ? 'orders.create'
          : 'orders.update';
    const delivery = {
      webhookId: `hook_${randomBytes(12).toString('hex')}`,
      orderId: order.id,
      event,
      status: order.status,
      url: order.notify_url,
      body: { event, data: { id: order.id, number: order.number, status: order.status } },
    };
    if (this.lose > 0) {
      this.lose -= 1;
      this.sent.push({ ...this.entry(delivery, 1, false), outcome: 'lost' });
      return;
    }
    const twice = this.duplicate > 0;
    if (twice) this.duplicate -= 1;
    this.schedule(this.notificationDelayMs, () => this.deliver(delivery, 1, false));
    if (twice) this.schedule(this.notificationDelayMs, () => this.deliver(delivery, 1, true));
  }

  private entry(
    d: { webhookId: string; orderId: string; event: string; status: string; url: string },
    attempt: number,
    duplicate: boolean,
  ): SentNotification {
    return {
      webhookId: d.webhookId,
      orderId: d.orderId,
      event: d.event,
      status: d.status,
      url: d.url,
      attempt,
      duplicate,
      outcome: 'pending',
      at: new Date().toISOString(),
    };
  }

  private schedule(ms: number, fn: () => Promise<void>): void {
    this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) {
        this.inFlight = Math.max(0, this.inFlight - 1);
        return;
      }
      fn().finally(() => (this.inFlight = Math.max(0, this.inFlight - 1)));
    }, ms);
    this.timers.add(timer);
  }

  private async deliver(
    d: {
      webhookId: string;
      orderId: string;
      event: string;
      status: string;
      url: string;
      body: { data: unknown };
    },
    attempt: number,
    duplicate: boolean,
  ): Promise<void> {
    const record = this.entry(d, attempt, duplicate);
    this.sent.push(record);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'EcartPay-Simulator/1.0',
    };
    if (this.webhookSecret) {
      Object.assign(
        headers,
        ecartNotificationHeaders(this.webhookSecret, d.body.data, { webhookId: d.webhookId }),
      );
    }
    let retry: boolean;
    try {
      const res = await axios.post(d.url, JSON.stringify(d.body), {
        headers,
        timeout: this.notificationTimeoutMs,
        validateStatus: () => true,
        maxRedirects: 0,
      });
      record.httpStatus = res.status;
      record.responseBody = res.data as unknown;
      record.outcome =
        res.status >= 200 && res.status < 300 ? 'delivered' : res.status >= 500 ? 'error' : 'refused';
      retry = res.status >= 500;
    } catch (error) {
      record.outcome = 'error';
      record.error = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
      retry = true;
    }
    const wait = this.retryDelaysMs[attempt - 1];
    if (retry && !duplicate && wait !== undefined && !this.closed) {
      this.schedule(wait, () => this.deliver(d, attempt + 1, false));
    }
  }

  // ---- lifecycle ----

  /** Scheduled sends are dropped and waiting answers aborted. */
  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waits.release('aborted');
  }

  /** Forgets orders, tokens, calls, notifications and faults (merchants and settings stay). */
  reset(): void {
    this.clearFaults();
    this.tokens.clear();
    this.orders.clear();
    this.customers.clear();
    this.cardTokens.clear();
    this.cvcCards.clear();
    this.verifiedCvcs.length = 0;
    this.sessions.clear();
    this.threeDs.clear();
    this.callLog.length = 0;
    this.sent.length = 0;
    this.stopTimers();
    this.inFlight = 0;
  }

  /** Called when the simulator closes: timers cleared, held answers dropped, nothing more is sent. */
  dispose(): void {
    this.closed = true;
    this.stopTimers();
  }
}
