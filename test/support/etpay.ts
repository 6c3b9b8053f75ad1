import request from 'supertest';
import { createEtpayProvider, type EtpayProvider } from '../../src/providers/etpay/provider';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../src/sandbox/etpay/server';
import type { Harness, SimulatedProvider } from './harness';

export const ETPAY_MERCHANT_CODE = 'cl_tienda_pruebas';
export const ETPAY_API_TOKEN = 'etpay-api-token-PROBE-7f3a9c1e5b2d4f6a8c0e';

export type EtpayHarness = Harness<RunningEtpaySimulator, EtpayProvider>;

/** ETpay through its simulator, for this merchant. */
export function simulatedEtpay(
  opts: { timeoutMs?: number; statusTimeoutMs?: number } = {},
): SimulatedProvider<RunningEtpaySimulator, EtpayProvider> {
  return {
    id: 'etpay',
    startSimulator: () =>
      startEtpaySimulator({ merchantCode: ETPAY_MERCHANT_CODE, merchantApiToken: ETPAY_API_TOKEN }),
    createProvider: (sim) =>
      createEtpayProvider({
        merchantCode: ETPAY_MERCHANT_CODE,
        merchantApiToken: ETPAY_API_TOKEN,
        apiUrl: sim.apiUrl,
        pmtUrl: sim.pmtUrl,
        timeoutMs: opts.timeoutMs ?? 2_000,
        statusTimeoutMs: opts.statusTimeoutMs ?? 2_000,
      }),
    async resetSimulator(sim) {
      await sim.state.settled();
      sim.state.reset();
    },
  };
}

/** Path and query of an absolute URL on the app (supertest wants them relative). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** The shopper's "continue" to checkout: returns the ETpay funnel URL and its session. */
export async function openFunnel(h: EtpayHarness, paymentId: string) {
  const res = await request(h.app.url).get(`/pay/${paymentId}/checkout`);
  if (res.status !== 303) throw new Error(`checkout answered ${res.status}: ${res.text.slice(0, 200)}`);
  const funnelUrl = String(res.headers.location);
  const token = decodeURIComponent(funnelUrl.split('/session/')[1] ?? '');
  const session = h.sim.state.session(token);
  if (!funnelUrl.startsWith(`${h.sim.pmtUrl}/session/`) || !session) {
    throw new Error(`unexpected funnel redirect ${funnelUrl}`);
  }
  return { funnelUrl, session };
}

/** Clicks a funnel button (what the browser posts); returns where ETpay sends the shopper. */
export async function clickFunnel(
  funnelUrl: string,
  action: 'approve' | 'reject' | 'cancel',
  bank = 'cl_bch',
): Promise<{ status: number; location: string; text: string }> {
  const res = await request(new URL(funnelUrl).origin)
    .post(new URL(funnelUrl).pathname)
    .type('form')
    .send({ action, bank, lang: 'es' });
  return { status: res.status, location: String(res.headers.location ?? ''), text: res.text };
}

/** Follows ETpay's redirect to the app's return URL; returns the app's answer. */
export function followReturn(h: EtpayHarness, location: string) {
  if (!location.startsWith(`${h.app.url}/return/`)) throw new Error(`not an app return URL: ${location}`);
  return request(h.app.url).get(pathOf(location));
}
