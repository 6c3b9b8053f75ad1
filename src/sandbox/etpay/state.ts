import { randomInt } from 'node:crypto';
import { SignJWT } from 'jose';
import { checkFaultStatus, HangDelayKnobs, WaitList } from '../faults';

/** Banks the funnel offers (codes as ETpay's `user_bank_code`). */
export const SIM_BANKS: Readonly<Record<'CLP' | 'MXN', readonly { code: string; name: string }[]>> = {
  CLP: [
    { code: 'cl_estado', name: 'BancoEstado' },
    { code: 'cl_santander', name: 'Banco Santander' },
    { code: 'cl_bch', name: 'Banco de Chile' },
    { code: 'cl_bci', name: 'Bci' },
    { code: 'cl_falabella', name: 'Banco Falabella' },
    { code: 'cl_itau', name: 'Itaú' },
    { code: 'cl_scotiabank', name: 'Scotiabank' },
    { code: 'cl_test', name: 'Banco de prueba' },
  ],
  MXN: [
    { code: 'mx_bbva', name: 'BBVA México' },
    { code: 'mx_banorte', name: 'Banorte' },
    { code: 'mx_santander', name: 'Santander México' },
    { code: 'mx_banamex', name: 'Banamex' },
    { code: 'mx_azteca', name: 'Banco Azteca' },
    { code: 'mx_test', name: 'Banco de prueba' },
  ],
};

export interface SimMetadata {
  name: string;
  value: string;
  show: boolean;
}

/** One payment attempt inside a session (the shopper tried a bank transfer). */
export interface SimAttempt {
  paymentToken: string;
  /** `success`, `failed`, or whatever a test sets. */
  status: string;
  bankCode: string;
  bankName: string;
  reason: string;
  code: string;
  /** `DD-MM-YYYY HH:mm:ss` (UTC), ETpay's format. */
  paymentDate: string;
  /** As ETpay reports it (defaults to the session's amount and currency). */
  amount: number;
  currency: string;
}

export interface SimSession {
  token: string;
  signatureToken: string;
  merchantCode: string;
  merchantOrderId: string;
  orderAmount: number;
  currency: string;
  customerEmail?: string;
  metadata: SimMetadata[];
  userBankCode?: string;
  completedUrl?: string;
  cancellationUrl?: string;
  webhookUrl?: string;
  concat?: string;
  attempts: SimAttempt[];
  /** The body `session/initialize` received (the merchant API token replaced). */
  request: Record<string, unknown>;
  createdAt: string;
}

/** One HTTP delivery of a notification (copies and retries each get their own). */
export interface SimDelivery {
  token: string;
  paymentToken: string;
  url: string;
  /** The JWT sent (`{"payment": jwt}`). */
  jwt: string;
  /** HTTP status answered; null on a network error or while in flight. */
  status: number | null;
  error?: string;
  /** The app's answer body, for assertions. */
  response?: unknown;
  sentAt: string;
  answeredAt?: string;
}

/** One call to the ETpay API. */
export interface SimApiCall {
  path: string;
  status: number | null;
  fault?: 'fail' | 'abandoned';
  receivedAt: string;
}

/** A notification the simulator owes (sent, dropped, held or delayed as the knobs say). */
export interface PendingNotification {
  session: SimSession;
  attempt: SimAttempt;
}

export interface NotificationKnobs {
  /** The next N notifications are lost (never sent). */
  drop: number;
  /** Each notification is sent 1 + copies times (concurrently: the app must apply it once). */
  copies: number;
  /** Notifications leave this long after the action; the shopper is redirected at once. */
  delayMs: number;
  /** Notifications are held until releaseNotifications() (to send them late or out of order). */
  hold: boolean;
  /** Redeliveries after a non-2xx answer or network error (ETpay's policy is undocumented). */
  retries: number;
  retryDelayMs: number;
}

const DEFAULT_KNOBS: NotificationKnobs = {
  drop: 0,
  copies: 0,
  delayMs: 0,
  hold: false,
  retries: 2,
  retryDelayMs: 50,
};

/** Random token in ETpay's style (letters and digits). */
export function simToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function etpayDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())}`;
}

/** The claims of an attempt, as in the notification JWT and the status API. */
export function attemptClaims(session: SimSession, attempt: SimAttempt): Record<string, unknown> {
  return {
    payment_token: attempt.paymentToken,
    session_token: session.token,
    merchant_order_id: session.merchantOrderId,
    merchant_amount: attempt.amount,
    merchant_currency: attempt.currency,
    user_bank: attempt.bankName,
    user_rut: '111111111',
    user_account: 'Cuenta Corriente 12345678',
    payment_status: attempt.status,
    payment_date: attempt.paymentDate,
    reason: attempt.reason,
    code: attempt.code,
  };
}

/** The notification JWT: HS256 with the session's signature_token as a raw string key, no exp. */
export async function signAttempt(session: SimSession, attempt: SimAttempt): Promise<string> {
  return new SignJWT(attemptClaims(session, attempt))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(session.signatureToken));
}

/**
 * In-memory state of the ETpay simulator: sessions and their attempts, notification deliveries, API
 * calls, and the test knobs (API faults and slow answers; lost, duplicated, delayed or held notifications).
 * Hang and delay of API calls come from HangDelayKnobs.
 */
export class EtpaySimulatorState extends HangDelayKnobs {
  readonly merchantCode: string;
  readonly merchantApiToken: string;
  readonly currency: string;
  private readonly sessionMap = new Map<string, SimSession>();
  private readonly deliveryLog: SimDelivery[] = [];
  private readonly calls: SimApiCall[] = [];
  private readonly held: PendingNotification[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: number[] = [];
  /** Pauses between redeliveries; cut short (and the retries stopped) when the simulator closes. */
  private readonly sleepers = new WaitList();
  /** Notification knobs (see NotificationKnobs); change them freely in tests. */
  notifications: NotificationKnobs = { ...DEFAULT_KNOBS };
  /** How long an action waits for the app's answer to its notification before redirecting. */
  notificationTimeoutMs: number;

  constructor(opts: {
    merchantCode: string;
    merchantApiToken: string;
    currency: string;
    notificationTimeoutMs?: number;
  }) {
    super();
    this.merchantCode = opts.merchantCode;
    this.merchantApiToken = opts.merchantApiToken;
    this.currency = opts.currency;
    this.notificationTimeoutMs = opts.notificationTimeoutMs ?? 5_000;
  }

  // ---- sessions ----

  createSession(input: Omit<SimSession, 'token' | 'signatureToken' | 'attempts' | 'createdAt'>): SimSession {
    const session: SimSession = {
      ...input,
      token: simToken(43),
      signatureToken: simToken(64),
      attempts: [],
      createdAt: new Date().toISOString(),
    };
    this.sessionMap.set(session.token, session);
    return session;
  }

  session(token: string): SimSession | undefined {
    return this.sessionMap.get(token);
  }

  get sessions(): SimSession[] {
    return [...this.sessionMap.values()];
  }

  /** The latest session created (handy in tests). */
  get lastSession(): SimSession | undefined {
    return this.sessions.at(-1);
  }

  /** Whether the session already has a successful attempt (it then takes no more). */
  isPaid(session: SimSession): boolean {
    return session.attempts.some((a) => a.status === 'success');
  }

  addAttempt(
    session: SimSession,
    fields: {
      status: string;
      bankCode?: string;
      reason?: string;
      code?: string;
      amount?: number;
      currency?: string;
    },
  ): SimAttempt {
    const banks = SIM_BANKS[session.currency === 'MXN' ? 'MXN' : 'CLP'];
    const bank = banks.find((b) => b.code === fields.bankCode) ?? banks.at(-1)!;
    const attempt: SimAttempt = {
      paymentToken: simToken(32),
      status: fields.status,
      bankCode: bank.code,
      bankName: bank.name,
      reason: fields.reason ?? (fields.status === 'success' ? '' : 'Transferencia rechazada por el banco'),
      code: fields.code ?? (fields.status === 'success' ? '' : 'TRANSFER_REJECTED'),
      paymentDate: etpayDate(new Date()),
      amount: fields.amount ?? session.orderAmount,
      currency: fields.currency ?? session.currency,
    };
    session.attempts.push(attempt);
    return attempt;
  }

  /** Attempts matching a status query, in the status API's shape. */
  findAttempts(query: { session_token?: string; merchant_order_id?: string; payment_token?: string }) {
    const out: Record<string, unknown>[] = [];
    for (const session of this.sessionMap.values()) {
      if (query.session_token !== undefined && session.token !== query.session_token) continue;
      if (query.merchant_order_id !== undefined && session.merchantOrderId !== query.merchant_order_id)
        continue;
      for (const attempt of session.attempts) {
        if (query.payment_token !== undefined && attempt.paymentToken !== query.payment_token) continue;
        out.push(attemptClaims(session, attempt));
      }
    }
    return out;
  }

  // ---- notifications ----

  get deliveries(): SimDelivery[] {
    return this.deliveryLog.map((d) => ({ ...d }));
  }

  deliveriesFor(token: string): SimDelivery[] {
    return this.deliveries.filter((d) => d.token === token);
  }

  /** Notifications held by `notifications.hold`. */
  get heldNotifications(): number {
    return this.held.length;
  }

  /**
   * Sends (or drops, delays, holds) the notification of an attempt as the knobs say. Resolves when
   * the deliveries made now are answered; delayed and held ones go later.
   */
  async notify(session: SimSession, attempt: SimAttempt): Promise<void> {
    if (!session.webhookUrl || this.closed) return;
    const k = this.notifications;
    if (k.drop > 0) {
      k.drop -= 1;
      return;
    }
    if (k.hold) {
      this.held.push({ session, attempt });
      return;
    }
    if (k.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.deliverCopies(session, attempt));
      }, k.delayMs);
      this.timers.add(timer);
      return;
    }
    await this.track(this.deliverCopies(session, attempt));
  }

  /** Sends the held notifications, in order or reversed (out of order), and waits for the answers. */
  async releaseNotifications(opts: { reverse?: boolean } = {}): Promise<void> {
    const batch = this.held.splice(0, this.held.length);
    if (opts.reverse) batch.reverse();
    for (const n of batch) await this.track(this.deliverCopies(n.session, n.attempt));
  }

  /** Sends an attempt's notification again (one delivery, no knobs), as a replaying ETpay would. */
  async resend(session: SimSession, attempt: SimAttempt): Promise<SimDelivery | undefined> {
    if (!session.webhookUrl) return undefined;
    return this.track(this.deliver(session, attempt, await signAttempt(session, attempt)));
  }

  /** Waits until every notification sent so far (delayed ones included, once fired) is answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async deliverCopies(session: SimSession, attempt: SimAttempt): Promise<void> {
    const jwt = await signAttempt(session, attempt);
    const copies = 1 + Math.max(0, this.notifications.copies);
    await Promise.all(Array.from({ length: copies }, () => this.deliverWithRetries(session, attempt, jwt)));
  }

  private async deliverWithRetries(session: SimSession, attempt: SimAttempt, jwt: string): Promise<void> {
    const { retries, retryDelayMs } = this.notifications;
    for (let i = 0; i <= retries && !this.closed; i += 1) {
      const d = await this.deliver(session, attempt, jwt);
      if (d.status !== null && d.status >= 200 && d.status < 300) return;
      // A 4xx is the app refusing the notification: ETpay would not insist either.
      if (d.status !== null && d.status < 500) return;
      await this.sleepers.sleep(retryDelayMs * 2 ** i);
    }
  }

  private async deliver(session: SimSession, attempt: SimAttempt, jwt: string): Promise<SimDelivery> {
    const record: SimDelivery = {
      token: session.token,
      paymentToken: attempt.paymentToken,
      url: session.webhookUrl!,
      jwt,
      status: null,
      sentAt: new Date().toISOString(),
    };
    this.deliveryLog.push(record);
    try {
      const res = await fetch(record.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'etpay-simulator' },
        body: JSON.stringify({ payment: jwt }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.notificationTimeoutMs),
      });
      record.status = res.status;
      const text = await res.text();
      try {
        record.response = JSON.parse(text) as unknown;
      } catch {
        record.response = text.slice(0, 500);
      }
    } catch (error) {
      record.error = error instanceof Error ? error.name : 'network error';
    }
    record.answeredAt = new Date().toISOString();
    return record;
  }

  // ---- API calls and faults ----

  recordCall(path: string): SimApiCall {
    const call: SimApiCall = { path, status: null, receivedAt: new Date().toISOString() };
    this.calls.push(call);
    return call;
  }

  get apiCalls(): SimApiCall[] {
    return this.calls.map((c) => ({ ...c }));
  }

  /** The next `n` API calls answer `status` (500 by default) with `{"message": …}`. */
  failNext(n: number, status = 500): void {
    checkFaultStatus(status);
    for (let i = 0; i < n; i += 1) this.queue.push(status);
  }

  /** Consumes the next queued failure, if any. */
  nextFailure(): number | undefined {
    return this.queue.shift();
  }

  /** Removes every fault and notification knob (held API calls proceed; held notifications are dropped). */
  clearFaults(): void {
    this.queue = [];
    this.clearHangAndDelay();
    this.notifications = { ...DEFAULT_KNOBS };
    this.held.length = 0;
  }

  /** Forgets sessions, deliveries, calls and faults. */
  reset(): void {
    this.clearFaults();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sessionMap.clear();
    this.deliveryLog.length = 0;
    this.calls.length = 0;
  }

  /** Called on close: held calls dropped, timers cleared, nothing more is sent. */
  override dispose(): void {
    super.dispose();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sleepers.release('aborted');
  }
}
