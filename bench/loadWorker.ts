/**
 * The load generator, in its own worker thread so autocannon does not share the event loop of the
 * app it measures. Each request is taken from the job's list in turn (distinct payloads), or built
 * on demand for the memory run (fresh encrypted Ecwid payloads, so 20,000 bodies are never held).
 * Latencies are the exact per-response times autocannon reports (ms, fractional).
 */
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { buildPaymentRequest, encryptPaymentRequest } from '../src/sandbox/ecwid/payload';
import type { LoadJob, LoadResult, PlannedRequest } from './load';

async function run(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const pick = (): PlannedRequest => {
    const i = next++;
    if (job.generate) return generated(job.generate, i);
    return job.requests[i % job.requests.length]!;
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  parentPort!.postMessage({ started: true });
  const started = process.hrtime.bigint();
  const startedAtMs = Date.now();
  let finish!: (error: Error | null, result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: job.url,
      connections: job.connections,
      ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.durationS ?? 10 }),
      timeout: 30,
      requests: [
        {
          setupRequest: (req) => {
            const r = pick();
            return {
              ...req,
              method: r.method,
              path: r.path,
              headers: r.headers ?? {},
              ...(r.body !== undefined ? { body: r.body } : {}),
            };
          },
        },
      ],
    },
    (error, result) => finish(error, result),
  );
  // autocannon reports `done` on its next one-second tick: the clock stops at the last response.
  let last = started;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    last = process.hrtime.bigint();
    latencies.push(responseTime);
    statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
  });
  const result = await done;
  const seconds = Number(last - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : NaN;
  const unexpected = Object.entries(statuses)
    .filter(([status]) => !job.expect.includes(Number(status)))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    responses: latencies.length,
    startedAtMs,
    seconds,
    rps: latencies.length / seconds,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: latencies.at(-1) ?? NaN,
    statuses,
    errors: unexpected + result.errors + result.timeouts,
  };
}

/** A fresh Ecwid payment form (both encrypted fields, as Ecwid sends them) for the memory run. */
function generated(g: NonNullable<LoadJob['generate']>, i: number): PlannedRequest {
  const json = buildPaymentRequest({
    storeId: g.storeId,
    token: g.token,
    currency: i % 2 ? 'CLP' : 'MXN',
    lang: i % 3 ? 'es' : 'en',
    items: g.items,
  });
  return {
    method: 'POST',
    path: '/ecwid/payment',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(encryptPaymentRequest(json, g.clientSecret)).toString(),
  };
}

run(workerData as LoadJob).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (error: unknown) => parentPort!.postMessage({ ok: false, error: String(error) }),
);
