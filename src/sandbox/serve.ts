import type { AddressInfo, Socket } from 'node:net';
import express, { type Express, type Router } from 'express';
import { PUBLIC_DIR } from '../paths';

export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops listening and destroys open sockets (held requests included); never hangs. */
  close(): Promise<void>;
}

/**
 * Serves a simulator's router as its own HTTP server on 127.0.0.1 (random port unless given), with
 * the app's /public assets, for tests and benchmarks.
 */
export async function serveOnLoopback(
  router: Router,
  opts: { port?: number; configure?: (app: Express) => void; onClose?: () => void } = {},
): Promise<LoopbackServer> {
  const app = express();
  app.disable('x-powered-by');
  opts.configure?.(app);
  app.use('/public', express.static(PUBLIC_DIR, { fallthrough: false }));
  app.use('/', router);

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
    close() {
      closing ??= new Promise<void>((resolve) => {
        opts.onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** Serves a simulator on loopback; closing it first disposes its state (held calls, timers). */
export function serveSimulator(
  sim: { router: Router; state: { dispose(): void } },
  opts: { port?: number; configure?: (app: Express) => void } = {},
): Promise<LoopbackServer> {
  return serveOnLoopback(sim.router, { ...opts, onClose: () => sim.state.dispose() });
}
