import express from 'express';
import { VIEWS_DIR } from '../../paths';
import { createEcwidSimulator, type EcwidSimulatorOptions } from './router';
import { serveSimulator } from '../serve';
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
  const { url, close } = await serveSimulator(sim, {
    port: opts.port,
    configure: (app) => {
      app.set('view engine', 'ejs');
      app.set('views', VIEWS_DIR);
      app.use(express.json({ limit: '1mb' }));
      app.use(express.urlencoded({ extended: false, limit: '2mb' }));
    },
  });
  return {
    url,
    apiUrl: `${url}/api/v3`,
    setPaymentUrl: sim.setPaymentUrl,
    state: sim.state,
    close,
  };
}
