/**
 * The real server in its own process (for multi-process and crash tests), with the provider double.
 * Started with tsx; logs JSON lines to stdout like production. Test-only knobs come from TEST_* env.
 */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { createProviderDouble } from './providerDouble';

async function main() {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const double = createProviderDouble();
  double.knobs.hangCheckout = process.env.TEST_DOUBLE_CHECKOUT_HANGS === 'true';
  const createCheckout = double.provider.createCheckout.bind(double.provider);
  double.provider.createCheckout = (input) => {
    logger.info({ paymentId: input.payment.id }, 'double checkout called');
    return createCheckout(input);
  };
  const running = await startServer(
    { ...config, defaultProviders: ['double'] as unknown as typeof config.defaultProviders },
    {
      logger,
      providers: [double.provider],
      sync: {
        baseDelayMs: Number(process.env.TEST_SYNC_BASE_DELAY_MS ?? 50),
        maxDelayMs: 500,
        pollMs: Number(process.env.TEST_SYNC_POLL_MS ?? 50),
        leaseMs: Number(process.env.TEST_SYNC_LEASE_MS ?? 60_000),
        requestTimeoutMs: Number(process.env.TEST_SYNC_TIMEOUT_MS ?? 10_000),
      },
    },
  );
  process.on('unhandledRejection', (reason) => running.logger.error({ err: reason }, 'unhandled rejection'));
  process.once('SIGTERM', () => void running.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`child failed: ${String(error)}\n`);
  process.exit(1);
});
