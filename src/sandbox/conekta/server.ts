import { createConektaSimulator, type ConektaSimulatorOptions } from './router';
import { serveSimulator } from '../serve';
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
  const { url, close } = await serveSimulator(sim, { port: opts.port });
  return {
    url,
    setWebhookUrl: sim.setWebhookUrl,
    state: sim.state,
    close,
  };
}
