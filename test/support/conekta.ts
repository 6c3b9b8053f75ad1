import { createConektaProvider, type ConektaProvider } from '../../src/providers/conekta/provider';
import { startConektaSimulator, type RunningConektaSimulator } from '../../src/sandbox/conekta/server';
import type { Harness, SimulatedProvider, World } from './harness';

export type ConektaHarness = Harness<RunningConektaSimulator, ConektaProvider>;
export type ConektaWorld = World<RunningConektaSimulator, ConektaProvider>;

/**
 * Conekta through its simulator (test mode), its webhooks sent to the app.
 * `otherAccountKeys`: keys of other Conekta accounts the simulator also accepts (not the app's).
 */
export function simulatedConekta(opts: {
  privateKey: string;
  otherAccountKeys?: string[];
  timeoutMs?: number;
}): SimulatedProvider<RunningConektaSimulator, ConektaProvider> {
  return {
    id: 'conekta',
    startSimulator: () =>
      startConektaSimulator({
        privateKeys: [opts.privateKey, ...(opts.otherAccountKeys ?? [])],
        webhookRetryDelayMs: 30,
      }),
    createProvider: (sim) =>
      createConektaProvider({
        apiUrl: sim.url,
        privateKey: opts.privateKey,
        livemode: false,
        timeoutMs: opts.timeoutMs,
        retryDelayMs: 10,
      }),
    connect: (sim, appUrl) => sim.setWebhookUrl(`${appUrl}/webhooks/conekta`),
    async resetSimulator(sim) {
      await sim.state.settled();
      sim.state.reset();
    },
  };
}
