import type { Db, Queryable } from '../db';
import type { EcwidClient, EcwidOrderUpdate } from '../ecwid/client';
import type { Logger } from '../logger';
import { findStore } from '../merchants/stores';
import type { Secrets } from '../secrets';
import type { Payment } from './model';

/**
 * The durable outbox of Ecwid order updates. Entries are written in the same transaction as the
 * payment's state change, so a crash between "provider said paid" and "Ecwid knows" loses nothing.
 * Delivery is at-least-once with a lease (safe across processes: SKIP LOCKED + a lease column);
 * the PUT is idempotent, so a redelivery after a crash sets the same status again.
 */
export async function enqueueEcwidUpdate(
  q: Queryable,
  payment: Payment,
  update: EcwidOrderUpdate,
): Promise<void> {
  await q.query(
    `INSERT INTO ecwid_updates (payment_id, store_id, reference_transaction_id, payment_status,
                                external_transaction_id, payment_message)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      payment.id,
      payment.storeId,
      payment.referenceTransactionId,
      update.paymentStatus,
      update.externalTransactionId ?? null,
      update.paymentMessage ?? null,
    ],
  );
}

interface OutboxRow {
  id: number;
  payment_id: string;
  store_id: number | string;
  reference_transaction_id: string;
  payment_status: EcwidOrderUpdate['paymentStatus'];
  external_transaction_id: string | null;
  payment_message: string | null;
  attempts: number;
}

export interface EcwidSyncOptions {
  /** First retry delay; doubles each attempt (with jitter) up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many failed attempts the entry is marked failed for the merchant to retry. */
  maxAttempts: number;
  /** How long a claimed entry stays reserved for one process (longer than any HTTP timeout). */
  leaseMs: number;
  pollMs: number;
  batchSize: number;
  /** Deliveries of one batch in flight at once (each row is a different payment's oldest update). */
  concurrency: number;
  requestTimeoutMs: number;
}

export const DEFAULT_SYNC_OPTIONS: EcwidSyncOptions = {
  baseDelayMs: 2_000,
  maxDelayMs: 60 * 60_000,
  maxAttempts: 25,
  leaseMs: 60_000,
  pollMs: 1_000,
  batchSize: 20,
  concurrency: 4,
  requestTimeoutMs: 10_000,
};

export type DeliveryOutcome = 'delivered' | 'retry_later' | 'failed';

export const MAX_RETRY_AFTER_MS = 60 * 60_000;

export function retryDelayMs(
  attempts: number,
  opts: Pick<EcwidSyncOptions, 'baseDelayMs' | 'maxDelayMs'>,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exponential = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  // Jitter between half and all of the delay, so many failed entries do not retry in lockstep.
  const jittered = Math.round(exponential * (0.5 + random() / 2));
  // Honour Retry-After, up to an hour (a bogus "wait a year" must not park an update).
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

export class EcwidSync {
  private readonly opts: EcwidSyncOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  /** A kick arrived while a round was running: the next round starts right after it. */
  private kicked = false;

  constructor(
    private readonly deps: { db: Db; ecwid: EcwidClient; secrets: Secrets; logger: Logger },
    opts: Partial<EcwidSyncOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SYNC_OPTIONS, ...opts };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the delivery in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Something was enqueued: look now rather than at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.kicked = true;
    else this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kicked = false;
      let busy = false;
      this.running = this.runOnce()
        .then((claimed) => {
          // A full batch may have left more due entries behind it.
          busy = claimed >= this.opts.batchSize;
        })
        .catch((err: unknown) => this.deps.logger.error({ err }, 'ecwid sync round failed'))
        .finally(() => {
          this.running = null;
          // Under load, waiting a whole poll between rounds capped delivery at batchSize per pollMs.
          this.schedule(busy || this.kicked ? 0 : this.opts.pollMs);
        });
    }, delay);
    this.timer.unref?.();
  }

  /** Claims due entries and delivers them. Returns how many were attempted. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim(null);
    // A batch holds at most one (the oldest) update per payment, so its rows may go out side by
    // side without reordering any payment's updates. One at a time, a burst of notifications
    // reached Ecwid at the pace of one round trip each.
    let next = 0;
    // One store's token is read once per batch (a batch is often one busy store's updates).
    const tokens = new Map<number, Promise<string | null>>();
    const lanes = Array.from(
      { length: Math.min(Math.max(1, this.opts.concurrency), claimed.length) },
      async () => {
        while (next < claimed.length)
          await this.deliver(claimed[next++]!, this.opts.requestTimeoutMs, tokens);
      },
    );
    const failed = (await Promise.allSettled(lanes)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return claimed.length;
  }

  /**
   * One synchronous attempt for one payment (the shopper's return), bounded by `timeoutMs`. When
   * another worker holds the update, waits for it within the same bound. What does not get
   * through in time stays in the outbox for the worker.
   */
  async deliverNow(paymentId: string, timeoutMs: number): Promise<DeliveryOutcome | 'nothing_due'> {
    const deadline = Date.now() + timeoutMs;
    let sawWork = false;
    for (;;) {
      for (const row of await this.claim(paymentId)) {
        sawWork = true;
        const result = await this.deliver(row, Math.max(250, deadline - Date.now()));
        if (result !== 'delivered') return result;
      }
      const [left] = await this.deps.db.query<{ pending: number; leased: number; due: number }>(
        `SELECT count(*)::int AS pending,
                count(*) FILTER (WHERE locked_until > now())::int AS leased,
                count(*) FILTER (WHERE next_attempt_at <= now())::int AS due
         FROM ecwid_updates WHERE payment_id = $1 AND status = 'pending'`,
        [paymentId],
      );
      if (!left || left.pending === 0) return sawWork ? 'delivered' : 'nothing_due';
      sawWork = true;
      // Waiting for a backoff is the worker's job; waiting for another process's delivery is ours.
      if ((left.leased === 0 && left.due === 0) || Date.now() >= deadline) return 'retry_later';
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async claim(paymentId: string | null): Promise<OutboxRow[]> {
    // Oldest pending entry per payment only, so a payment's updates reach Ecwid in order.
    return this.deps.db.query<OutboxRow>(
      `UPDATE ecwid_updates SET locked_until = now() + make_interval(secs => $2::double precision / 1000), attempts = attempts + 1
       WHERE id IN (
         SELECT u.id FROM ecwid_updates u
         WHERE u.status = 'pending' AND u.next_attempt_at <= now()
           AND (u.locked_until IS NULL OR u.locked_until < now())
           AND ($3::text IS NULL OR u.payment_id = $3)
           AND NOT EXISTS (SELECT 1 FROM ecwid_updates e
                           WHERE e.payment_id = u.payment_id AND e.id < u.id AND e.status = 'pending')
         ORDER BY u.id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, payment_id, store_id, reference_transaction_id, payment_status, external_transaction_id,
                 payment_message, attempts`,
      [paymentId ? 1 : this.opts.batchSize, this.opts.leaseMs, paymentId],
    );
  }

  private async deliver(
    row: OutboxRow,
    timeoutMs: number,
    tokens?: Map<number, Promise<string | null>>,
  ): Promise<DeliveryOutcome> {
    const log = this.deps.logger.child({ paymentId: row.payment_id, outboxId: row.id });
    const storeId = Number(row.store_id);
    let pendingToken = tokens?.get(storeId);
    if (!pendingToken) {
      pendingToken = this.storeToken(storeId);
      tokens?.set(storeId, pendingToken);
    }
    const token = await pendingToken;
    if (!token) return this.markFailed(row, null, 'no usable Ecwid token for this store', log);

    const result = await this.deps.ecwid.updateOrder(
      storeId,
      row.reference_transaction_id,
      token,
      {
        paymentStatus: row.payment_status,
        ...(row.external_transaction_id ? { externalTransactionId: row.external_transaction_id } : {}),
        ...(row.payment_message ? { paymentMessage: row.payment_message } : {}),
      },
      { timeoutMs },
    );
    if (result.ok) {
      await this.deps.db.query(
        `UPDATE ecwid_updates SET status = 'delivered', delivered_at = now(), locked_until = NULL,
            last_error = NULL, last_http_status = 200 WHERE id = $1`,
        [row.id],
      );
      log.info({ paymentStatus: row.payment_status, attempts: row.attempts }, 'ecwid order updated');
      return 'delivered';
    }
    if (!result.retryable || row.attempts >= this.opts.maxAttempts) {
      return this.markFailed(row, result.status ?? null, result.message, log);
    }
    const delay = retryDelayMs(row.attempts, this.opts, result.retryAfterMs);
    await this.deps.db.query(
      `UPDATE ecwid_updates SET locked_until = NULL, last_error = $2, last_http_status = $3,
          next_attempt_at = now() + make_interval(secs => $4::double precision / 1000) WHERE id = $1`,
      [row.id, result.message, result.status ?? null, delay],
    );
    log.warn(
      { status: result.status, attempts: row.attempts, retryInMs: delay },
      'ecwid update will be retried',
    );
    return 'retry_later';
  }

  private async markFailed(
    row: OutboxRow,
    status: number | null,
    message: string,
    log: Logger,
  ): Promise<'failed'> {
    await this.deps.db.query(
      `UPDATE ecwid_updates SET status = 'failed', locked_until = NULL, last_error = $2, last_http_status = $3
       WHERE id = $1`,
      [row.id, message, status],
    );
    log.error(
      { status, attempts: row.attempts, reason: message },
      'ecwid update needs the merchant’s attention',
    );
    return 'failed';
  }

  private async storeToken(storeId: number): Promise<string | null> {
    const store = await findStore(this.deps.db, storeId);
    if (!store?.tokenSealed) return null;
    try {
      return this.deps.secrets.unseal(store.tokenSealed);
    } catch {
      return null;
    }
  }
}

/** Puts a failed update back in the queue (the merchant's "retry Ecwid update"). */
export async function retryFailedUpdates(q: Queryable, paymentId: string): Promise<number> {
  const rows = await q.query(
    `UPDATE ecwid_updates SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL
     WHERE payment_id = $1 AND status = 'failed' RETURNING id`,
    [paymentId],
  );
  return rows.length;
}
