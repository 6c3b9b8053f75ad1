import { createEcartPaySimulator, type EcartPaySimulatorOptions } from './router';
import { serveSimulator } from '../serve';
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
  const { url, close } = await serveSimulator(sim, { port: opts.port });
  return {
    url,
    apiUrl: `${url}/api`,
    state: sim.state,
    close,
  };
}
