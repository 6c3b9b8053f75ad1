import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { openDatabase, type Db } from './db';
import { createEcwidClient } from './ecwid/client';
import { createLogger, type Logger } from './logger';
import { EcwidSync, type EcwidSyncOptions } from './payments/ecwidSync';
import { Reconciler, type ReconcileOptions } from './payments/reconcile';
import type { PaymentProvider, ProviderRegistry } from './providers/types';
import { builtInProviders } from './providers/builtIn';
import { demoSimulators } from './sandbox';
import { createSecrets } from './secrets';

export const REQUEST_HEADERS_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface RunningServer {
  url: string;
  db: Db;
  sync: EcwidSync;
  reconciler: Reconciler;
  logger: Logger;
  /** Graceful: stop accepting, finish in-flight requests, stop the worker, close the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Extra or replacement providers (tests plug a provider double in here). */
  providers?: PaymentProvider[];
  /** A database the caller owns (and closes); otherwise the configured one is opened and closed here. */
  db?: Db;
  sync?: Partial<EcwidSyncOptions>;
  reconcile?: Partial<ReconcileOptions>;
  /** Run the background jobs: Ecwid sync worker and reconciliation (default true). */
  worker?: boolean;
  /** Overrides REQUEST_HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS (tests use short ones). */
  requestTimeouts?: { headersMs: number; requestMs: number };
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: config.prettyLogs });
  for (const warning of config.warnings) logger.warn(warning);
  if (config.demo) {
    logger.warn(
      'DEMO MODE: Ecwid and provider simulators are mounted under /sandbox; no real payment is possible',
    );
  }
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openDatabase(config.database));
  const secrets = createSecrets(config.secretKey);
  // Listen before building the app so an ephemeral port (PORT=0, tests) is known for APP_URL.
  // Request timeouts are enforced by a periodic sweep: every 2 s rather than Node's default 30 s.
  const server: Server = createServer({ connectionsCheckingInterval: 2_000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const appUrl =
    config.port === 0 && config.appUrl.endsWith(':0') ? `http://127.0.0.1:${port}` : config.appUrl;

  // Demo defaults point at the mounted simulator: follow the real port there too.
  const ecwidApiUrl = config.ecwid.apiUrl.startsWith(`${config.appUrl}/sandbox/`)
    ? appUrl + config.ecwid.apiUrl.slice(config.appUrl.length)
    : config.ecwid.apiUrl;
  const registry: ProviderRegistry = new Map(
    [...builtInProviders(config, appUrl, { db, logger }), ...(opts.providers ?? [])].map((p) => [p.id, p]),
  );
  const sync = new EcwidSync({ db, ecwid: createEcwidClient(ecwidApiUrl), secrets, logger }, opts.sync);

  const paymentDeps = {
    db,
    secrets,
    logger,
    providers: registry,
    // Demo mode with no PAYMENT_PROVIDERS offers every built-in provider (each on its simulator).
    defaultProviders:
      config.demo && config.defaultProviders.length === 0 ? [...registry.keys()] : config.defaultProviders,
    appUrl,
    sync,
  };
  const reconciler = new Reconciler(paymentDeps, { ...config.reconcile, ...opts.reconcile });
  const app = createApp({
    ...paymentDeps,
    clientSecret: config.ecwid.clientSecret,
    clientId: config.ecwid.clientId,
    demo: config.demo,
    rateLimits: config.rateLimits,
    ...(config.demo ? { sandbox: demoSimulators(config, appUrl) } : {}),
  });
  server.on('request', app);

  server.keepAliveTimeout = 65_000;
  // A client gets this long to send its headers, and its whole request (a 2 MB payment form on a
  // slow line included); slow-drip clients are cut off instead of holding sockets for minutes.
  server.headersTimeout = opts.requestTimeouts?.headersMs ?? REQUEST_HEADERS_TIMEOUT_MS;
  server.requestTimeout = opts.requestTimeouts?.requestMs ?? REQUEST_TIMEOUT_MS;
  if (opts.worker !== false) {
    sync.start();
    reconciler.start();
  }
  logger.info(
    { port, database: db.kind, mode: config.demo ? 'demo' : 'production', providers: [...registry.keys()] },
    'listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    sync,
    reconciler,
    logger,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await stopped;
        await Promise.all([sync.stop(), reconciler.stop()]);
        if (ownsDb) await db.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const running = await startServer(config);
  // A stray rejection is a bug to log loudly, not a reason to drop in-flight payments.
  process.on('unhandledRejection', (reason) => running.logger.error({ err: reason }, 'unhandled rejection'));
  const shutdown = (signal: string) => {
    running.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
