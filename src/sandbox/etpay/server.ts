import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { PUBLIC_DIR } from '../../paths';
import { createEtpaySimulator, type EtpaySimulatorOptions } from './router';
import type { EtpaySimulatorState } from './state';

export interface RunningEtpaySimulator {
  /** e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** What the app takes as ETPAY_API_URL: `${url}/api`. */
  apiUrl: string;
  /** What the app takes as ETPAY_PMT_URL: `${url}/pmt`. */
  pmtUrl: string;
  state: EtpaySimulatorState;
  /** Stops listening, drops held calls and pending notifications, destroys sockets; never hangs. */
  close(): Promise<void>;
}

/** Runs the ETpay simulator as its own HTTP server on 127.0.0.1 (random port unless given). */
export async function startEtpaySimulator(
  opts: EtpaySimulatorOptions & { port?: number } = {},
): Promise<RunningEtpaySimulator> {
  const sim = createEtpaySimulator(opts);
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
    pmtUrl: `${url}/pmt`,
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
