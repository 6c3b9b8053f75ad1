import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { PUBLIC_DIR, VIEWS_DIR } from '../../paths';
import { createEcwidSimulator, type EcwidSimulatorOptions } from './router';
import type { EcwidSimulatorState } from './state';

export interface RunningEcwidSimulator {
  /** e.g. `http://127.0.0.1:PORT`; the Ecwid API base is `${url}/api/v3`. */
  url: string;
  /** `${url}/api/v3`, what the app takes as ECWID_API_URL. */
  apiUrl: string;
  state: EcwidSimulatorState;
  /** Changes where the storefront posts payments (when the app starts after the simulator). */
  setPaymentUrl(url: string): void;
  /** Stops listening and destroys open sockets (held requests included); never hangs. */
  close(): Promise<void>;
}

/** Runs the simulator as its own HTTP server on 127.0.0.1 (random port unless given). */
export async function startEcwidSimulator(
  opts: EcwidSimulatorOptions & { port?: number },
): Promise<RunningEcwidSimulator> {
  const sim = createEcwidSimulator(opts);
  const app = express();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '2mb' }));
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
    apiUrl: `${url}/api/v3`,
    state: sim.state,
    setPaymentUrl: sim.setPaymentUrl,
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
