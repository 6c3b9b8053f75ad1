import type { PaymentDeps } from './deps';
import { refreshStatus } from './refreshStatus';
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from './repository';

export interface ReconcileOptions {
  /** How often each process looks for open payments to check. */
  intervalMs: number;
  /** Only payments untouched for at least this long (their notification should have come by now). */
  minAgeMs: number;
  /** Payments older than this are no longer asked about. */
  maxAgeMs: number;
  /** How long a checked payment waits before it is asked about again. */
  recheckMs: number;
  batchSize: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  intervalMs: 5 * 60_000,
  minAgeMs: 10 * 60_000,
  maxAgeMs: 7 * 24 * 60 * 60_000,
  recheckMs: 30 * 60_000,
  batchSize: 50,
};

/**
 * Asks providers about payments left open (checkout opened or awaiting payment) whose
 * notification may have been lost, and applies the answer through the same use case as webhooks.
 * Each payment is claimed with SKIP LOCKED and pushed forward in time, so several processes never
 * ask about the same payment at once.
 */
export class Reconciler {
  private readonly opts: ReconcileOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: PaymentDeps,
    opts: Partial<ReconcileOptions> = {},
  ) {
    this.opts = { ...DEFAULT_RECONCILE_OPTIONS, ...opts };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'reconciliation round failed'))
        .finally(() => (this.running = null));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round: returns how many payments were checked and how many changed. */
  async runOnce(): Promise<{ checked: number; changed: number }> {
    const rows = await this.deps.db.query<PaymentRow>(
      `UPDATE payments SET next_check_at = now() + make_interval(secs => $4::double precision / 1000)
       WHERE id IN (
         SELECT id FROM payments
         WHERE state IN ('checkout_open', 'pending') AND provider IS NOT NULL
           AND updated_at <= now() - make_interval(secs => $1::double precision / 1000)
           AND created_at >= now() - make_interval(secs => $2::double precision / 1000)
           AND (next_check_at IS NULL OR next_check_at <= now())
         ORDER BY next_check_at NULLS FIRST, updated_at
         LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${PAYMENT_COLUMNS}`,
      [this.opts.minAgeMs, this.opts.maxAgeMs, this.opts.batchSize, this.opts.recheckMs],
    );
    let changed = 0;
    for (const payment of rows.map(toPayment)) {
      const after = await refreshStatus(this.deps, payment, 'reconcile');
      if (after.state !== payment.state) changed++;
    }
    // Receipts only refuse replays within a signature's lifetime (minutes): a week is plenty.
    await this.deps.db.query("DELETE FROM webhook_receipts WHERE received_at < now() - interval '7 days'");
    if (rows.length > 0) this.deps.logger.info({ checked: rows.length, changed }, 'reconciliation round');
    return { checked: rows.length, changed };
  }
}
