import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { PUBLIC_DIR } from '../../paths';
import { createEcartPaySimulator, type EcartPaySimulatorOptions } from './router';
import type { EcartPaySimulatorState } from './state';

export interface RunningEcartPaySimulator {
  /** e.g. `http://127.0.0.1:PORT`; pay links are `${url}/checkout?id=…`. */
  url: string;
  /** `${url}/api`, what the app takes as ECARTPAY_API_URL. */
  apiUrl: string;
  state: EcartPaySimulatorState;
  /** Stops listening, drops scheduled notifications and destroys open sockets; never hangs. */
  close(): Promise<void>;
}

/** Runs the Ecart Pay simulator as its own HTTP server on 127.0.0.1 (random port unless given). */
export async function startEcartPaySimulator(
  opts: EcartPaySimulatorOptions & { port?: number } = {},
): Promise<RunningEcartPaySimulator> {
  const sim = createEcartPaySimulator(opts);
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
  const url = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/api`,
    state: sim.state,
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
