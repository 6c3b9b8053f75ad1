import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config';
import type { Db } from '../../src/db';
import { createLogger } from '../../src/logger';
import type { EcwidSyncOptions } from '../../src/payments/ecwidSync';
import type { PaymentProvider } from '../../src/providers/types';
import { startServer, type RunningServer } from '../../src/server';

export const TEST_CLIENT_SECRET = 'test-client-secret-0123456789abcdef';
export const TEST_SECRET_KEY = 'test-secret-key-that-is-at-least-32-characters-long';

/** Collects every log line the app writes, for assertions (and to prove secrets never reach them). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestApp extends RunningServer {
  config: Config;
  logs: LogCapture;
}

/** The real app in production mode on an ephemeral port, with a provider double and a given Ecwid API. */
export async function startTestApp(opts: {
  db: Db;
  ecwidApiUrl: string;
  providers?: PaymentProvider[];
  defaultProviders?: string[];
  sync?: Partial<EcwidSyncOptions>;
  worker?: boolean;
  env?: Record<string, string>;
}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecwid-app-'));
  const config = loadConfig({
    PORT: '0',
    ECWID_CLIENT_ID: 'test-client',
    ECWID_CLIENT_SECRET: TEST_CLIENT_SECRET,
    SECRET_KEY: TEST_SECRET_KEY,
    ECWID_API_URL: opts.ecwidApiUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const withProviders: Config = {
    ...config,
    defaultProviders: (opts.defaultProviders ?? ['double']) as Config['defaultProviders'],
  };
  const logs = new LogCapture();
  const running = await startServer(withProviders, {
    db: opts.db,
    logger: createLogger({ level: 'debug', destination: logs }),
    providers: opts.providers ?? [],
    sync: { baseDelayMs: 20, maxDelayMs: 200, pollMs: 25, ...opts.sync },
    worker: opts.worker ?? true,
  });
  return { ...running, config: withProviders, logs };
}
