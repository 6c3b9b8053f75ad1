/**
 * `npm run bench`: throughput and latency of the app's hot paths under concurrent load, against a
 * bare Express "hello" route measured in the same run on the same machine, plus memory over 20,000
 * payments. The app runs in production mode in this process with the REAL providers (ETpay, Conekta,
 * Ecart Pay) pointed at their simulators, and the Ecwid simulator taking the order updates, all on
 * loopback; autocannon runs in a worker thread. PGlite (on disk, in a temp dir) unless DATABASE_URL
 * is set (then a fresh schema of that PostgreSQL, dropped at the end). Two floor rows run scenarios
 * 1 and 3's I/O alone through the bare app (bench/floor.ts): the most any implementation could reach
 * here. Nothing here is asserted: it prints a table and writes bench/results.json.
 *
 *   npm run bench
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench
 *
 * Knobs (environment): BENCH_CONNECTIONS (10), BENCH_BARE_SECONDS (8), BENCH_INTAKE (5000 requests),
 * BENCH_CHECKOUTS (1000 per provider), BENCH_MEMORY_PAYMENTS (20000), BENCH_WARMUP (600);
 * BENCH_ONLY=intake stops after scenario 1 (for profiling).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startConektaSimulator } from '../src/sandbox/conekta/server';
import { TEST_CARDS } from '../src/sandbox/conekta/state';
import { startEcartPaySimulator } from '../src/sandbox/ecartpay/server';
import { ecartNotificationHeaders } from '../src/sandbox/ecartpay/state';
import { buildPaymentRequest, encryptPaymentRequest, type CartItemInput } from '../src/sandbox/ecwid/payload';
import { startEcwidSimulator } from '../src/sandbox/ecwid/server';
import { startEtpaySimulator } from '../src/sandbox/etpay/server';
import { signAttempt } from '../src/sandbox/etpay/state';
import { startServer, type RunningServer } from '../src/server';
import { mountFloors } from './floor';
import { runLoad, type LoadResult, type PlannedRequest } from './load';

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? '');
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const BARE_SECONDS = env('BENCH_BARE_SECONDS', 8);
const INTAKE = env('BENCH_INTAKE', 5000);
const CHECKOUTS = env('BENCH_CHECKOUTS', 1000);
const MEMORY_PAYMENTS = env('BENCH_MEMORY_PAYMENTS', 20_000);
const WARMUP = env('BENCH_WARMUP', 600);

const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const STORE_ID = 1003;
const STORE_TOKEN = `secret_${randomBytes(18).toString('base64url')}`;
const ETPAY = { merchantCode: 'cl_bench_tienda', token: 'etpay-bench-api-token-0123456789abcdef' };
const CONEKTA_KEY = 'key_BenchConektaPrivate0123456789';
const ECART = {
  publicKey: 'pub_bench_0123',
  privateKey: 'prv_bench_4567',
  webhookSecret: 'whsec_bench_89ab',
};

/** One order line (~5 KB of JSON with the rest of Ecwid's order: ~7 KB per encrypted field). */
const ONE_ITEM: (currency: string) => CartItemInput[] = (currency) => [
  {
    name: currency === 'CLP' ? 'Set de regalo: café de especialidad y taza' : 'Café de Chiapas 500 g',
    price: currency === 'CLP' ? 15990 : 289.5,
    quantity: 2,
    sku: 'BENCH-0001',
    shortDescription: 'Tostado medio, notas de cacao y frutos rojos. Envío en 48 horas.',
  },
];

interface Row {
  name: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  ratio_to_bare: number;
  requests: number;
  /** How busy the app's thread was (event-loop utilisation, 0–1). */
  app_thread_busy: number;
  /**
   * CPU time per request: this whole process (app, simulators and the load generator's thread) and,
   * when the database is a local PostgreSQL, its server processes. Unlike req/s, other programs
   * running on the machine barely change these.
   */
  cpu_us_per_request?: { process: number; postgres?: number };
  note?: string;
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? +n.toFixed(digits) : n);
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
const gc = () => (globalThis as { gc?: () => void }).gc;

async function main() {
  process.env.NODE_ENV = 'production';
  if (!gc()) {
    console.error('Run with --expose-gc (npm run bench does): the memory figures need a forced GC.');
    process.exit(2);
  }
  const started = Date.now();
  const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

  // ---------------------------------------------------------------- simulators and database
  const ecwid = await startEcwidSimulator({
    clientId: 'bench',
    clientSecret: CLIENT_SECRET,
    paymentUrl: 'http://127.0.0.1:9/unused',
  });
  const etpay = await startEtpaySimulator({
    merchantCode: ETPAY.merchantCode,
    merchantApiToken: ETPAY.token,
  });
  const conekta = await startConektaSimulator({ privateKeys: [CONEKTA_KEY] });
  const ecart = await startEcartPaySimulator({ ...ECART });

  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  let databaseUrl: string | undefined;
  let schema: string | undefined;
  if (process.env.DATABASE_URL) {
    schema = `bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }

  // ---------------------------------------------------------------- the app, production mode
  const config = loadConfig({
    PORT: '0',
    APP_URL: 'http://127.0.0.1:0',
    ECWID_CLIENT_ID: 'bench',
    ECWID_CLIENT_SECRET: CLIENT_SECRET,
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    ECWID_API_URL: ecwid.apiUrl,
    DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    LOG_LEVEL: 'info',
    PAYMENT_PROVIDERS: 'etpay,conekta,ecartpay',
    ETPAY_MERCHANT_CODE: ETPAY.merchantCode,
    ETPAY_MERCHANT_API_TOKEN: ETPAY.token,
    ETPAY_API_URL: etpay.apiUrl,
    ETPAY_PMT_URL: etpay.pmtUrl,
    CONEKTA_PRIVATE_KEY: CONEKTA_KEY,
    CONEKTA_API_URL: conekta.url,
    CONEKTA_LIVEMODE: 'false',
    ECARTPAY_PUBLIC_KEY: ECART.publicKey,
    ECARTPAY_PRIVATE_KEY: ECART.privateKey,
    ECARTPAY_API_URL: ecart.apiUrl,
    ECARTPAY_WEBHOOK_SECRET: ECART.webhookSecret,
    // Generous abuse limits: the bench is one client hammering from one address.
    RATE_LIMIT_SHOPPER_PER_MINUTE: '100000000',
    RATE_LIMIT_WEBHOOK_PER_MINUTE: '100000000',
  });
  if (config.demo) throw new Error('the bench must run the app in production mode');
  // Production logging (info, JSON, redaction) written to /dev/null: its cost is part of the figures.
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null' }) });
  const app: RunningServer = await startServer(config, { logger });
  const db = app.db;
  log(`app on ${app.url} (${db.kind}, production mode), simulators on loopback`);

  // ---------------------------------------------------------------- bare Express, same process
  const bare = express();
  bare.disable('x-powered-by');
  bare.get('/hello', (_req, res) => {
    res.send('hello');
  });
  const bareServer = bare.listen(0, '127.0.0.1');
  await new Promise((resolve) => bareServer.once('listening', resolve));
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;

  const paymentForm = (currency: 'CLP' | 'MXN', i: number) => {
    const json = buildPaymentRequest({
      simulatorBaseUrl: ecwid.url,
      clientId: 'bench',
      storeId: STORE_ID,
      token: STORE_TOKEN,
      currency,
      lang: i % 3 ? 'es' : 'en',
      items: ONE_ITEM(currency),
    });
    ecwid.state.registerRequest(json);
    return {
      json,
      request: {
        method: 'POST',
        path: '/ecwid/payment',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(encryptPaymentRequest(json, CLIENT_SECRET)).toString(),
      } satisfies PlannedRequest,
    };
  };
  const job = (url: string, requests: PlannedRequest[], expect: number[]) =>
    runLoad({ url, connections: CONNECTIONS, amount: requests.length, requests, expect });
  const localPostgres =
    databaseUrl !== undefined && ['127.0.0.1', 'localhost'].includes(new URL(databaseUrl).hostname);

  const rows: Row[] = [];
  let bareRps = NaN;
  const record = (name: string, r: LoadResult, note?: string, rps = r.rps, cpu?: CpuSpent) => {
    const row: Row = {
      name,
      rps: round(rps, 0),
      p50_ms: round(r.p50_ms),
      p99_ms: round(r.p99_ms),
      errors: r.errors,
      ratio_to_bare: round(rps / bareRps, 3),
      requests: r.responses,
      app_thread_busy: round(r.appThreadBusy ?? NaN),
      ...(cpu ? { cpu_us_per_request: cpu.perRequest(r.responses) } : {}),
      ...(note ? { note } : {}),
    };
    rows.push(row);
    log(
      `${name}: ${row.rps} req/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, errors ${row.errors} ${JSON.stringify(r.statuses)}, app thread busy ${row.app_thread_busy}${row.cpu_us_per_request ? `, CPU µs/request ${JSON.stringify(row.cpu_us_per_request)}` : ''}`,
    );
    return row;
  };

  // ---------------------------------------------------------------- warm-up (JIT, pools, caches)
  let pageBytes: number;
  {
    const forms = Array.from({ length: WARMUP }, (_, i) => paymentForm(i % 2 ? 'CLP' : 'MXN', i).request);
    const page = await fetch(`${app.url}/ecwid/payment`, {
      method: 'POST',
      headers: forms[0]!.headers,
      body: forms[0]!.body,
    });
    pageBytes = Buffer.byteLength(await page.text());
    await job(app.url, forms.slice(1), [200]);
    await runLoad({
      url: bareUrl,
      connections: CONNECTIONS,
      durationS: 2,
      requests: [{ method: 'GET', path: '/hello' }],
      expect: [200],
    });
    log(`warm-up: ${WARMUP} payment requests`);
  }
  const floors = await mountFloors(bare, db, pageBytes);

  // ---------------------------------------------------------------- bare Express
  {
    const cpu = cpuMeter(false);
    const r = await runLoad({
      url: bareUrl,
      connections: CONNECTIONS,
      durationS: BARE_SECONDS,
      requests: [{ method: 'GET', path: '/hello' }],
      expect: [200],
    });
    bareRps = r.rps;
    record('bare Express "hello"', r, undefined, r.rps, cpu.stop());
  }

  // ---------------------------------------------------------------- 1. POST /ecwid/payment
  await db.query('TRUNCATE ecwid_updates, payment_events, payments CASCADE');
  {
    const forms = Array.from({ length: INTAKE }, (_, i) => paymentForm(i % 2 ? 'CLP' : 'MXN', i));
    const bytes = Buffer.byteLength(forms[0]!.request.body);
    const cpu = cpuMeter(localPostgres);
    const r = await job(
      app.url,
      forms.map((f) => f.request),
      [200],
    );
    record(
      '1. POST /ecwid/payment',
      r,
      `${INTAKE} distinct orders, ${(bytes / 1024).toFixed(1)} KB form (enc_data + data of a ~5 KB order): decrypt, validate, persist, render`,
      r.rps,
      cpu.stop(),
    );
    const floorCpu = cpuMeter(localPostgres);
    const floor = await job(
      bareUrl,
      forms.map((f) => ({ ...f.request, path: '/floor/payment' })),
      [200],
    );
    record(
      'floor of 1',
      floor,
      `the same forms through bare Express: urlencoded parse, one INSERT, a ${(pageBytes / 1024).toFixed(1)} KB page; none of the app's work`,
      floor.rps,
      floorCpu.stop(),
    );
  }

  if (process.env.BENCH_ONLY === 'intake') {
    // A profiling aid (e.g. with --cpu-prof): scenario 1 alone, no report.
    await tearDown();
    return;
  }

  // ---------------------------------------------------------------- 2. checkout redirect
  const created = await db.query<{ id: string; currency: string }>(
    "SELECT id, currency FROM payments WHERE state = 'created' ORDER BY created_at",
  );
  const clp = created.filter((p) => p.currency.trim() === 'CLP').slice(0, CHECKOUTS);
  const mxn = created.filter((p) => p.currency.trim() === 'MXN');
  const byProvider = {
    etpay: clp.map((p) => p.id),
    conekta: mxn
      .filter((_, i) => i % 2 === 0)
      .slice(0, CHECKOUTS)
      .map((p) => p.id),
    ecartpay: mxn
      .filter((_, i) => i % 2 === 1)
      .slice(0, CHECKOUTS)
      .map((p) => p.id),
  };
  const names = { etpay: 'ETpay session', conekta: 'Conekta order', ecartpay: 'Ecart Pay order' };
  for (const provider of ['etpay', 'conekta', 'ecartpay'] as const) {
    const requests = byProvider[provider].map((id): PlannedRequest => ({
      method: 'GET',
      // CLP is offered by ETpay and Ecart Pay, MXN by Conekta and Ecart Pay: the shopper's choice.
      path: `/pay/${id}/checkout?provider=${provider}`,
    }));
    const cpu = cpuMeter(localPostgres);
    const r = await job(app.url, requests, [303]);
    record(
      `2. checkout → ${names[provider]}`,
      r,
      'GET /pay/:id/checkout: provider API call, record, 303',
      r.rps,
      cpu.stop(),
    );
  }

  // ---------------------------------------------------------------- 3. notifications → Ecwid
  const opened = await db.query<{ id: string; provider: string; provider_reference: string }>(
    "SELECT id, provider, provider_reference FROM payments WHERE state = 'checkout_open'",
  );
  const notifications: Record<string, PlannedRequest[]> = { etpay: [], conekta: [], ecartpay: [] };
  for (const p of opened) {
    if (p.provider === 'etpay') {
      const session = etpay.state.session(p.provider_reference)!;
      const attempt = etpay.state.addAttempt(session, { status: 'success' });
      notifications.etpay!.push({
        method: 'POST',
        path: `/webhooks/etpay/${p.id}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payment: await signAttempt(session, attempt) }),
      });
    } else if (p.provider === 'conekta') {
      const order = conekta.state.getOrder(p.provider_reference)!;
      conekta.state.payWithCard(order, TEST_CARDS.approved, 'Bench Shopper');
      const event = conekta.state.eventsFor(order.order.id).find((e) => e.type === 'order.paid')!;
      notifications.conekta!.push({
        method: 'POST',
        path: '/webhooks/conekta',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
    } else if (p.provider === 'ecartpay') {
      const order = ecart.state.getOrder(p.provider_reference)!;
      ecart.state.setStatus(order, 'paid', { notify: false });
      const data = { id: order.id, number: order.number, status: order.status };
      notifications.ecartpay!.push({
        method: 'POST',
        path: `/webhooks/ecartpay/${p.id}`,
        headers: {
          'content-type': 'application/json',
          ...ecartNotificationHeaders(ECART.webhookSecret, data),
        },
        body: JSON.stringify({ event: 'orders.confirmation', data }),
      });
    }
  }
  const notes = {
    etpay: 'HS256 JWT verified with the session key',
    conekta: 'event re-fetched from Conekta',
    ecartpay: 'HMAC checked, order re-fetched from Ecart Pay',
  };
  for (const provider of ['etpay', 'conekta', 'ecartpay'] as const) {
    const requests = notifications[provider]!;
    if (requests.length === 0) throw new Error(`no open ${provider} checkout to notify`);
    const before = ecwid.state.updates.length;
    const cpu = cpuMeter(localPostgres);
    const r = await job(app.url, requests, [200]);
    // Through to the Ecwid update: the clock stops when the last PUT PAID was answered by Ecwid.
    const drained = await waitFor(async () => {
      const [row] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM ecwid_updates WHERE status = 'pending'",
      );
      return row!.n === 0;
    }, 120_000);
    const spent = cpu.stop();
    const puts = ecwid.state.updates
      .slice(before)
      .filter((u) => u.status === 200 && (u.body as { paymentStatus?: string }).paymentStatus === 'PAID');
    const lastPutMs = Math.max(r.startedAtMs, ...puts.map((u) => Date.parse(u.answeredAt ?? '')));
    const seconds = Math.max(r.seconds, (lastPutMs - r.startedAtMs) / 1000);
    const missing = requests.length - puts.length;
    const row = record(
      `3. notification → Ecwid PAID: ${names[provider].split(' ')[0] === 'Ecart' ? 'Ecart Pay' : names[provider].split(' ')[0]}`,
      { ...r, errors: r.errors + Math.max(0, missing) + (drained ? 0 : 1) },
      `${notes[provider]}; rps counts until the last Ecwid PUT was answered (HTTP acknowledgements alone: ${round(r.rps, 0)} req/s)`,
      puts.length / seconds,
      spent,
    );
    row.requests = requests.length;
  }
  {
    const requests = Array.from({ length: CHECKOUTS }, (_, i): PlannedRequest => ({
      method: 'POST',
      path: '/floor/notification',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `p${i}` }),
    }));
    const cpu = cpuMeter(localPostgres);
    const r = await job(bareUrl, requests, [200]);
    record(
      'floor of 3',
      r,
      "bare Express: JSON body, an HTTP GET (the re-fetch), one UPDATE, an HTTP PUT (the Ecwid update); none of the app's work",
      r.rps,
      cpu.stop(),
    );
  }

  // ---------------------------------------------------------------- 4. memory over 20,000 payments
  await db.query('TRUNCATE ecwid_updates, payment_events, payments CASCADE');
  etpay.state.reset();
  conekta.state.reset();
  ecart.state.reset();
  await settleGc();
  const rssStart = process.memoryUsage().rss;
  log(`memory: RSS ${mb(rssStart)} MB before ${MEMORY_PAYMENTS} payments`);
  const memoryRun = await runLoad({
    url: app.url,
    connections: CONNECTIONS,
    amount: MEMORY_PAYMENTS,
    requests: [],
    generate: { clientSecret: CLIENT_SECRET, storeId: STORE_ID, token: STORE_TOKEN, items: ONE_ITEM('MXN') },
    expect: [200],
  });
  const rssEnd = process.memoryUsage().rss;
  await settleGc();
  const rssAfterGc = process.memoryUsage().rss;
  log(
    `memory: ${memoryRun.responses} payments at ${round(memoryRun.rps, 0)} req/s (errors ${memoryRun.errors}); RSS ${mb(rssEnd)} MB after, ${mb(rssAfterGc)} MB after GC`,
  );

  // ---------------------------------------------------------------- report
  const cpu = cpus();
  const results = {
    // Row's optional fields are left out of the JSON when absent.
    scenarios: rows,
    rss_mb: { start: mb(rssStart), end: mb(rssEnd), after_gc: mb(rssAfterGc) },
    memory_payments: memoryRun.responses,
    memory_errors: memoryRun.errors,
    connections: CONNECTIONS,
    node: process.version,
    cpus: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
    database: db.kind === 'postgres' ? 'postgres' : 'pglite',
    date: new Date().toISOString(),
  };
  const intake = rows.find((r) => r.name.startsWith('1.'))!;
  const notify = rows.filter((r) => r.name.startsWith('3.'));
  const growth = results.rss_mb.after_gc - results.rss_mb.start;
  const floorOf = (n: 1 | 3) => rows.find((r) => r.name === `floor of ${n}`)!.ratio_to_bare;
  const targets = [
    [
      'scenario 1 ≥ 0.35 × bare',
      intake.ratio_to_bare >= 0.35,
      `${intake.ratio_to_bare} (its I/O alone, no app work: ${floorOf(1)})`,
    ],
    [
      'scenario 3 ≥ 0.20 × bare',
      notify.every((r) => r.ratio_to_bare >= 0.2),
      `${notify.map((r) => r.ratio_to_bare).join(' / ')} (its I/O alone, no app work: ${floorOf(3)})`,
    ],
    [`scenario 1 p99 ≤ 25 ms at ${CONNECTIONS} connections`, intake.p99_ms <= 25, `${intake.p99_ms} ms`],
    ['RSS growth after GC ≤ 30 MB', growth <= 30, `${round(growth, 1)} MB`],
  ] as const;

  console.log('');
  console.log(
    `Node ${results.node}, ${results.cpus}, database ${results.database}, ${CONNECTIONS} connections`,
  );
  console.table(
    rows.map((r) => ({
      scenario: r.name,
      'req/s': r.rps,
      'p50 ms': r.p50_ms,
      'p99 ms': r.p99_ms,
      errors: r.errors,
      'ratio to bare': r.ratio_to_bare,
      'app thread busy': r.app_thread_busy,
    })),
  );
  console.log(
    `memory over ${memoryRun.responses} payments: RSS ${results.rss_mb.start} MB → ${results.rss_mb.end} MB, ${results.rss_mb.after_gc} MB after GC`,
  );
  for (const [what, met, figure] of targets) console.log(`${met ? 'met   ' : 'MISSED'}  ${what}: ${figure}`);
  writeFileSync(
    path.join(__dirname, 'results.json'),
    `${JSON.stringify({ ...results, targets: targets.map(([target, met, value]) => ({ target, met, value })) }, null, 2)}\n`,
  );
  log('wrote bench/results.json');

  await tearDown();

  async function tearDown() {
    await floors.close();
    await app.close();
    await new Promise((resolve) => bareServer.close(resolve));
    await Promise.all([ecwid.close(), etpay.close(), conekta.close(), ecart.close()]);
    if (schema && process.env.DATABASE_URL) {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function settleGc(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc()!();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

interface CpuSpent {
  perRequest(requests: number): { process: number; postgres?: number };
}

/** CPU used from now until stop(): this process, and the local PostgreSQL server's processes if asked. */
function cpuMeter(withPostgres: boolean): { stop(): CpuSpent } {
  const process0 = process.cpuUsage();
  const postgres0 = withPostgres ? postgresCpuMicros() : undefined;
  return {
    stop() {
      const p = process.cpuUsage(process0);
      const pg = postgres0 !== undefined ? postgresCpuMicros() - postgres0 : undefined;
      return {
        perRequest: (n) => ({
          process: round((p.user + p.system) / n, 0),
          ...(pg !== undefined ? { postgres: round(pg / n, 0) } : {}),
        }),
      };
    },
  };
}

/** User + system CPU of every `postgres` process on this machine, in µs (Linux /proc; 0 elsewhere). */
function postgresCpuMicros(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
        const fields = stat.slice(close + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}
/** Linux's USER_HZ: /proc times are in 1/100 s on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;
