/**
 * Measures one `POST /ecwid/payment` (decrypt + validate + persist + render) end to end over HTTP:
 * sequential requests with fresh realistic payloads (several KB, both fields), on PGlite or on the
 * PostgreSQL in DATABASE_URL. Prints the median and tail latencies; nothing here is asserted.
 *
 *   npm run bench:intake            # PGlite in a temp dir
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:intake
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { buildPaymentRequest, encryptPaymentRequest } from '../src/sandbox/ecwid/payload';
import { startServer } from '../src/server';

const CLIENT_SECRET = 'bench-client-secret-0123456789';
const WARMUP = 100;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);

async function main() {
  const config = loadConfig({
    PORT: '0',
    ECWID_CLIENT_ID: 'bench',
    ECWID_CLIENT_SECRET: CLIENT_SECRET,
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    ECWID_API_URL: 'http://127.0.0.1:9/api/v3',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-intake-')),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    LOG_LEVEL: 'silent',
  });
  const app = await startServer(config, { logger: createLogger({ level: 'silent' }), worker: false });
  const bodies = Array.from({ length: WARMUP + REQUESTS }, (_, i) => {
    const json = buildPaymentRequest({
      currency: i % 2 ? 'CLP' : 'MXN',
      total: i % 2 ? 15990 : 2014.97,
      lang: 'es',
    });
    return new URLSearchParams(encryptPaymentRequest(json, CLIENT_SECRET)).toString();
  });
  const size = Buffer.byteLength(bodies[0]!);

  const times: number[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const start = performance.now();
    const res = await fetch(`${app.url}/ecwid/payment`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: bodies[i],
    });
    await res.text();
    if (res.status !== 200) throw new Error(`request ${i} answered ${res.status}`);
    if (i >= WARMUP) times.push(performance.now() - start);
  }
  await app.close();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const mean = times.reduce((s, v) => s + v, 0) / times.length;
  const figures = {
    database: app.db.kind,
    requests: times.length,
    body_bytes: size,
    median_ms: +at(0.5).toFixed(2),
    p90_ms: +at(0.9).toFixed(2),
    p99_ms: +at(0.99).toFixed(2),
    mean_ms: +mean.toFixed(2),
    sequential_rps: +(1000 / mean).toFixed(0),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  };
  console.table(figures);
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
