import { z } from 'zod';

/**
 * Fault-injection pieces the simulators share: status and duration checks, waits that closing a
 * simulator cuts short, and the hang/delay knobs of an API (Ecwid's and ETpay's) with their part of
 * the control API.
 */

/** How a held call ends: it proceeds, or the simulator closed meanwhile and it must not be answered. */
export type HoldOutcome = 'go' | 'aborted';

/** A simulated failure must be an HTTP error status: a 2xx "failure" would pass unnoticed. */
export function checkFaultStatus(status: number): number {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`fault status must be an HTTP error status (400-599), got ${status}`);
  }
  return status;
}

export function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

type Waiter = { resolve: (outcome: HoldOutcome) => void; timer?: NodeJS.Timeout };

/**
 * Pending waits that can all be let go at once, their timers cleared: a closing simulator must leave
 * no request hanging and no timer running.
 */
export class WaitList {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Resolves when released. */
  untilReleased(): Promise<HoldOutcome> {
    return new Promise((resolve) => this.waiters.add({ resolve }));
  }

  /** Resolves `'go'` after `ms`, or earlier as released. */
  sleep(ms: number): Promise<HoldOutcome> {
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve('go');
      }, ms);
      this.waiters.add(waiter);
    });
  }

  release(outcome: HoldOutcome): void {
    for (const w of [...this.waiters]) {
      if (w.timer) clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(outcome);
    }
  }
}

/**
 * The `hang` and `delayMs` knobs of a simulated API, for the states of the simulators that have them.
 * While `hang` is on, calls wait unanswered (turning it off lets them proceed); `delayMs` makes every
 * answer slow. `dispose()` (the simulator closes) drops whatever is held.
 */
export class HangDelayKnobs {
  private hanging = false;
  private delay = 0;
  private readonly hung = new WaitList();
  private readonly delayed = new WaitList();
  /** Set once the simulator closed: nothing more is answered or sent. */
  protected closed = false;

  /** Milliseconds every API answer waits before being processed (a slow provider). */
  get delayMs(): number {
    return this.delay;
  }

  set delayMs(ms: number) {
    this.delay = nonNegative('delayMs', ms);
  }

  /** While on, API calls are held unanswered; turning it off lets the held calls proceed. */
  get hang(): boolean {
    return this.hanging;
  }

  set hang(on: boolean) {
    this.hanging = on;
    if (!on) this.hung.release('go');
  }

  /** API calls held right now by `hang` or `delayMs`. */
  protected get heldCalls(): number {
    return this.hung.size + this.delayed.size;
  }

  /**
   * Waits as the knobs say (hang, then delay). Resolves `'aborted'` when the simulator closed
   * meanwhile: the caller must then not answer.
   */
  async hold(): Promise<HoldOutcome> {
    if (this.closed) return 'aborted';
    if (this.hanging && (await this.hung.untilReleased()) === 'aborted') return 'aborted';
    if (this.delay > 0 && (await this.delayed.sleep(this.delay)) === 'aborted') return 'aborted';
    return this.closed ? 'aborted' : 'go';
  }

  /** No hang, no delay (held calls proceed). */
  protected clearHangAndDelay(): void {
    this.delay = 0;
    this.hang = false;
  }

  /** Called when the simulator closes: held calls are dropped, their timers cleared. */
  dispose(): void {
    this.closed = true;
    this.hung.release('aborted');
    this.delayed.release('aborted');
  }
}

/** `failNext` in a control API: how many calls fail, and with which error status (500 by default). */
export const failNextShape = {
  count: z.number().int().min(0).max(10_000),
  status: z.number().int().min(400).max(599).optional(),
};

/** The control API's `POST /faults` knobs of a HangDelayKnobs simulator; each simulator adds its own. */
export const hangDelayFaultsShape = {
  clear: z.boolean().optional(),
  /** A count, or `{count, status}`. */
  failNext: z.union([failNextShape.count, z.object(failNextShape)]).optional(),
  delayMs: z.number().min(0).max(600_000).optional(),
  hang: z.boolean().optional(),
};

type HangDelayFaults = z.infer<z.ZodObject<typeof hangDelayFaultsShape>>;

/**
 * Applies those knobs, `clear` first: one call can reset everything and set new knobs. Queued
 * failures go before any the caller queues next (their order is the order they hit).
 */
export function applyHangDelayFaults(
  state: HangDelayKnobs & { clearFaults(): void; failNext(n: number, status?: number): void },
  f: HangDelayFaults,
): void {
  if (f.clear) state.clearFaults();
  if (typeof f.failNext === 'number') state.failNext(f.failNext);
  else if (f.failNext) state.failNext(f.failNext.count, f.failNext.status);
  if (f.delayMs !== undefined) state.delayMs = f.delayMs;
  if (f.hang !== undefined) state.hang = f.hang;
}
