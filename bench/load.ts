import path from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { CartItemInput } from '../src/sandbox/ecwid/payload';

export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadJob {
  url: string;
  connections: number;
  /** Exactly this many requests (each list entry once when amount = requests.length)… */
  amount?: number;
  /** …or as many as fit in this time. */
  durationS?: number;
  /** Taken in turn, so consecutive requests differ. */
  requests: PlannedRequest[];
  /** Instead of `requests`: fresh encrypted Ecwid payment forms built by the worker. */
  generate?: { clientSecret: string; storeId: number; token: string; items: CartItemInput[] };
  /** HTTP statuses that count as success; anything else is an error. */
  expect: number[];
}

export interface LoadResult {
  responses: number;
  /** Wall clock (ms since the epoch) when the first request went out. */
  startedAtMs: number;
  /** From the first request out to the last response in. */
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  statuses: Record<string, number>;
  errors: number;
  /** Share of the run this (the app's) thread was busy: near 1, the app itself is the bottleneck. */
  appThreadBusy?: number;
}

/** Runs one autocannon job in a worker thread. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // Worker threads do not inherit tsx's hooks: the worker registers them before loading the file.
    const file = path.join(__dirname, 'loadWorker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, {
      eval: true,
      workerData: job,
    });
    let elu: EventLoopUtilization | undefined;
    worker.on(
      'message',
      (message: { started: true } | { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        if ('started' in message) {
          elu = performance.eventLoopUtilization();
          return;
        }
        void worker.terminate();
        if (!message.ok) return reject(new Error(message.error));
        const busy = elu ? performance.eventLoopUtilization(elu).utilization : undefined;
        resolve({ ...message.result, ...(busy !== undefined ? { appThreadBusy: busy } : {}) });
      },
    );
    worker.once('error', reject);
  });
}
