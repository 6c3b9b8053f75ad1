import type { Logger } from '../../src/logger';
import { createEcartPayProvider, type EcartPayProvider } from '../../src/providers/ecartpay/provider';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';
import type { Harness, SimulatedProvider, World } from './harness';

export type EcartPayHarness = Harness<RunningEcartPaySimulator, EcartPayProvider>;
export type EcartPayWorld = World<RunningEcartPaySimulator, EcartPayProvider>;

/** Ecart Pay through its simulator, with these keys on both sides. */
export function simulatedEcartPay(opts: {
  publicKey: string;
  privateKey: string;
  webhookSecret: string;
  timeoutMs?: number;
  logger?: Logger;
}): SimulatedProvider<RunningEcartPaySimulator, EcartPayProvider> {
  const { timeoutMs, logger, ...keys } = opts;
  return {
    id: 'ecartpay',
    startSimulator: () => startEcartPaySimulator(keys),
    createProvider: (sim, db) =>
      createEcartPayProvider({ apiUrl: sim.apiUrl, ...keys, db, timeoutMs, logger }),
    async resetSimulator(sim) {
      sim.state.reset();
    },
  };
}
