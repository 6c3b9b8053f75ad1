import { createEtpaySimulator, type EtpaySimulatorOptions } from './router';
import { serveSimulator } from '../serve';
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
  const { url, close } = await serveSimulator(sim, { port: opts.port });
  return {
    url,
    apiUrl: `${url}/api`,
    pmtUrl: `${url}/pmt`,
    state: sim.state,
    close,
  };
}
