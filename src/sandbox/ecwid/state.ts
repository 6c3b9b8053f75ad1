import { checkFaultStatus, HangDelayKnobs, nonNegative } from '../faults';
import type { EcwidOrderJson, EcwidPaymentRequestJson } from './payload';
import { newStoreToken } from './payload';

/** The statuses Ecwid accepts in an order update. */
export const ECWID_PAYMENT_STATUSES = [
  'AWAITING_PAYMENT',
  'PAID',
  'CANCELLED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
  'INCOMPLETE',
] as const;
export type SimPaymentStatus = (typeof ECWID_PAYMENT_STATUSES)[number];

export function isPaymentStatus(value: unknown): value is SimPaymentStatus {
  return typeof value === 'string' && (ECWID_PAYMENT_STATUSES as readonly string[]).includes(value);
}

export interface SimOrder {
  storeId: number;
  referenceTransactionId: string;
  /** The order id shown to people (`cart.order.id`). */
  orderId: string;
  currency: string;
  total: number;
  lang: string;
  paymentStatus: SimPaymentStatus;
  externalTransactionId?: string;
  paymentMessage?: string;
  privateAdminNotes?: string;
  /** Every returnUrl `key` issued for this order (each "Go to Payment" issues a new one). */
  returnKeys: string[];
  /** The latest returnUrl issued. */
  returnUrl: string;
  /** The order as sent in the last payment request, for GET answers. */
  order: EcwidOrderJson;
  /** The app-storage keys sent with the last request (a repeated "Go to Payment" sends them again). */
  merchantAppSettings: Record<string, string>;
  /** Status changes in order, the first being the request's INCOMPLETE. */
  statusHistory: { paymentStatus: SimPaymentStatus; at: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface RecordedUpdate {
  /** As received in the path (not validated). */
  storeId: string;
  orderRef: string;
  /** Whether `Authorization: Bearer <token>` matched the store's token. */
  authOk: boolean;
  body: unknown;
  /** The HTTP status answered; `null` while the request is held (delay/hang) or if never answered. */
  status: number | null;
  /** Which fault, if any, produced the answer. */
  fault?: 'fail' | 'rate_limit' | 'random_fail' | 'abandoned';
  receivedAt: string;
  answeredAt?: string;
}

export interface FaultSnapshot {
  /** One-shot faults still queued, first is next. */
  queued: ({ kind: 'fail'; status: number } | { kind: 'rate_limit'; retryAfterSeconds: number })[];
  delayMs: number;
  hang: boolean;
  failRate: { p: number; status: number; seed?: number } | null;
  /** Requests currently held by `hang` or `delayMs`. */
  held: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'fail'; status: number; random: boolean }
  | { kind: 'rate_limit'; retryAfterSeconds: number };

/** Small seeded PRNG (mulberry32), so `failRate` runs can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function key(storeId: number, referenceTransactionId: string): string {
  return `${storeId}\u0000${referenceTransactionId}`;
}

/**
 * In-memory state of the Ecwid simulator: stores and their tokens, orders, every PUT received, and
 * fault injection for the REST API (`/api/v3/...`): queued and random failures here, hang and delay
 * from HangDelayKnobs.
 */
export class EcwidSimulatorState extends HangDelayKnobs {
  /** Tokens each store accepts (normally one; requests built with another token add theirs). */
  private readonly stores = new Map<number, Set<string>>();
  private readonly orders = new Map<string, SimOrder>();
  private readonly recorded: RecordedUpdate[] = [];
  private queue: FaultSnapshot['queued'] = [];
  private rate: { p: number; status: number; seed?: number; random: () => number } | null = null;

  // ---- stores and orders ----

  /** The store's primary token; created (`secret_…`) on first use unless given (then added). */
  ensureStore(storeId: number, token?: string): string {
    const tokens = this.stores.get(storeId);
    if (tokens && tokens.size > 0) {
      if (token !== undefined) tokens.add(token);
      return token ?? [...tokens][0]!;
    }
    const value = token ?? newStoreToken();
    this.stores.set(storeId, new Set([value]));
    return value;
  }

  /**
   * Makes `token` the only token the store accepts, or with `null` revokes them all (every call
   * then gets 403, as after the app is uninstalled).
   */
  setStoreToken(storeId: number, token: string | null): void {
    if (token === null) this.stores.delete(storeId);
    else this.stores.set(storeId, new Set([token]));
  }

  /** The store's primary token (the first it was given). */
  storeToken(storeId: number): string | undefined {
    const tokens = this.stores.get(storeId);
    return tokens ? [...tokens][0] : undefined;
  }

  /** Whether the store accepts this token. */
  acceptsToken(storeId: number, token: string): boolean {
    return this.stores.get(storeId)?.has(token) ?? false;
  }

  /**
   * Records a payment request as sent to the app: creates the order (INCOMPLETE) or, for a repeated
   * "Go to Payment" on the same order, keeps its status and adds the new returnUrl key. The store
   * accepts the request's token from then on (the request carries the token Ecwid gave the app).
   */
  registerRequest(json: EcwidPaymentRequestJson): SimOrder {
    const { storeId } = json;
    const order = json.cart.order;
    this.ensureStore(storeId, json.token);
    const returnKey = new URL(json.returnUrl).searchParams.get('key') ?? '';
    const now = new Date().toISOString();
    const k = key(storeId, order.referenceTransactionId);
    const existing = this.orders.get(k);
    if (existing) {
      existing.returnKeys.push(returnKey);
      existing.returnUrl = json.returnUrl;
      existing.order = order;
      existing.merchantAppSettings = json.merchantAppSettings;
      existing.currency = json.cart.currency;
      existing.total = order.total;
      existing.lang = json.lang;
      existing.updatedAt = now;
      return existing;
    }
    const created: SimOrder = {
      storeId,
      referenceTransactionId: order.referenceTransactionId,
      orderId: order.id,
      currency: json.cart.currency,
      total: order.total,
      lang: json.lang,
      paymentStatus: 'INCOMPLETE',
      returnKeys: [returnKey],
      returnUrl: json.returnUrl,
      order,
      merchantAppSettings: json.merchantAppSettings,
      statusHistory: [{ paymentStatus: 'INCOMPLETE', at: now }],
      createdAt: now,
      updatedAt: now,
    };
    this.orders.set(k, created);
    return created;
  }

  getOrder(storeId: number, referenceTransactionId: string): SimOrder | undefined {
    return this.orders.get(key(storeId, referenceTransactionId));
  }

  listOrders(): SimOrder[] {
    return [...this.orders.values()];
  }

  /** Applies the writable fields of an update (validated by the router). */
  applyUpdate(
    order: SimOrder,
    update: {
      paymentStatus?: SimPaymentStatus;
      externalTransactionId?: string;
      paymentMessage?: string;
      privateAdminNotes?: string;
    },
  ): void {
    const now = new Date().toISOString();
    if (update.externalTransactionId !== undefined)
      order.externalTransactionId = update.externalTransactionId;
    if (update.privateAdminNotes !== undefined) order.privateAdminNotes = update.privateAdminNotes;
    if (update.paymentMessage !== undefined) order.paymentMessage = update.paymentMessage;
    if (update.paymentStatus !== undefined && update.paymentStatus !== order.paymentStatus) {
      order.paymentStatus = update.paymentStatus;
      order.statusHistory.push({ paymentStatus: update.paymentStatus, at: now });
      // Ecwid clears the failure text once the order is paid.
      if (update.paymentStatus === 'PAID' && update.paymentMessage === undefined) delete order.paymentMessage;
    }
    order.updatedAt = now;
  }

  // ---- recorded updates ----

  recordUpdate(entry: Omit<RecordedUpdate, 'status' | 'receivedAt'>): RecordedUpdate {
    const record: RecordedUpdate = { ...entry, status: null, receivedAt: new Date().toISOString() };
    this.recorded.push(record);
    return record;
  }

  /** Every PUT received, oldest first (copies). */
  get updates(): RecordedUpdate[] {
    return this.recorded.map((r) => ({ ...r }));
  }

  updatesFor(storeId: number, referenceTransactionId: string): RecordedUpdate[] {
    return this.updates.filter((u) => u.storeId === String(storeId) && u.orderRef === referenceTransactionId);
  }

  // ---- faults ----

  /** The next `n` API calls answer `status` (500 by default) with an Ecwid error body. */
  failNext(n: number, status = 500): void {
    checkFaultStatus(status);
    for (let i = 0; i < n; i += 1) this.queue.push({ kind: 'fail', status });
  }

  /** The next `n` API calls answer 429 `RATE_LIMITED` with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(retryAfterSeconds: number, n = 1): void {
    nonNegative('retryAfterSeconds', retryAfterSeconds);
    for (let i = 0; i < n; i += 1) this.queue.push({ kind: 'rate_limit', retryAfterSeconds });
  }

  /**
   * Each API call fails with probability `p` (after queued faults). With a `seed` the sequence of
   * outcomes is reproducible; without one it uses Math.random. `p = 0` turns it off.
   */
  failRate(p: number, status = 500, seed?: number): void {
    if (!(p >= 0 && p <= 1)) throw new RangeError('failRate p must be between 0 and 1');
    checkFaultStatus(status);
    this.rate =
      p === 0
        ? null
        : {
            p,
            status,
            ...(seed === undefined ? {} : { seed }),
            random: seed === undefined ? Math.random : seededRandom(seed),
          };
  }

  /** Removes every fault (held calls proceed). */
  clearFaults(): void {
    this.queue = [];
    this.rate = null;
    this.clearHangAndDelay();
  }

  get faults(): FaultSnapshot {
    return {
      queued: this.queue.map((f) => ({ ...f })),
      delayMs: this.delayMs,
      hang: this.hang,
      failRate: this.rate
        ? {
            p: this.rate.p,
            status: this.rate.status,
            ...(this.rate.seed === undefined ? {} : { seed: this.rate.seed }),
          }
        : null,
      held: this.heldCalls,
    };
  }

  /** Forgets everything: stores, orders, recorded updates and faults. */
  reset(): void {
    this.clearFaults();
    this.stores.clear();
    this.orders.clear();
    this.recorded.length = 0;
  }

  /** Consumes the next fault for an API call. */
  nextFault(): FaultDecision {
    const queued = this.queue.shift();
    if (queued?.kind === 'fail') return { kind: 'fail', status: queued.status, random: false };
    if (queued?.kind === 'rate_limit') return queued;
    if (this.rate && this.rate.random() < this.rate.p)
      return { kind: 'fail', status: this.rate.status, random: true };
    return { kind: 'none' };
  }
}
