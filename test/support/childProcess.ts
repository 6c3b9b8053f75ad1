import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import { TEST_CLIENT_SECRET, TEST_SECRET_KEY } from './app';
import { openTestDb, type TestDb } from './db';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ChildApp {
  url: string;
  process: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the app in a separate Node process on the given database and Ecwid API. */
export async function startChildApp(
  env: { DATABASE_URL: string; ECWID_API_URL: string } & Record<string, string>,
): Promise<ChildApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/childServer.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      ECWID_CLIENT_ID: 'test-client',
      ECWID_CLIENT_SECRET: TEST_CLIENT_SECRET,
      SECRET_KEY: TEST_SECRET_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let buffer = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') resolve(`http://127.0.0.1:${String(entry.port)}`);
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before listening: ${stderr}`)));
  });
  const url = await ready;
  return {
    url,
    process: child,
    logs,
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}

/** A suite's fixtures for app processes on one PostgreSQL schema, updating one Ecwid simulator. */
export interface ProcessesOnPostgres {
  t: TestDb;
  ecwid: RunningEcwidSimulator;
  /** Started by the tests; killed (SIGKILL) after each one, before the tables are emptied. */
  children: ChildApp[];
  /** What a child app needs to reach the database and the Ecwid simulator. */
  env(): { DATABASE_URL: string; ECWID_API_URL: string };
}

/** Registers the suite's hooks and returns the fixtures they fill in (set once `beforeAll` ran). */
export function processesOnPostgres(): ProcessesOnPostgres {
  const w: ProcessesOnPostgres = {
    children: [],
    env: () => ({ DATABASE_URL: w.t.url!, ECWID_API_URL: `${w.ecwid.url}/api/v3` }),
  } as Partial<ProcessesOnPostgres> as ProcessesOnPostgres;
  beforeAll(async () => {
    w.t = await openTestDb('postgres');
    w.ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
  });
  afterEach(async () => {
    await Promise.all(w.children.splice(0).map((c) => c.kill('SIGKILL')));
    w.ecwid.state.reset();
    await w.t.reset();
  });
  afterAll(async () => {
    await w.ecwid?.close();
    await w.t?.dispose();
  });
  return w;
}
