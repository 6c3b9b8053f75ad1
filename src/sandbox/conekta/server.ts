import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { PUBLIC_DIR } from '../../paths';
import { createConektaSimulator, type ConektaSimulatorOptions } from './router';
import type { ConektaSimulatorState } from './state';

export interface RunningConektaSimulator {
  /** e.g. `http://127.0.0.1:PORT`: the API base URL (CONEKTA_API_URL) and the hosted pages' origin. */
  url: string;
  state: ConektaSimulatorState;
  /** Where every event is delivered (e.g. once the app under test has a port). */
  setWebhookUrl(url: string | null): void;
  /** Stops listening, drops in-flight deliveries and destroys open sockets; never hangs. */
  close(): Promise<void>;
}

/** Runs the Conekta simulator as its own HTTP server on 127.0.0.1 (random port unless given). */
export async function startConektaSimulator(
  opts: ConektaSimulatorOptions & { port?: number } = {},
): Promise<RunningConektaSimulator> {
  const sim = createConektaSimulator(opts);
  const app = express();
  app.disable('x-powered-by');
  app.use('/public', express.static(PUBLIC_DIR, { fallthrough: false }));
  app.use('/', sim.router);

  const server = app.listen(opts.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    state: sim.state,
    setWebhookUrl: sim.setWebhookUrl,
    close() {
      closing ??= new Promise<void>((resolve) => {
        sim.state.dispose();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
