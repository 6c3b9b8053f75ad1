import request from 'supertest';
import { createEtpayProvider, type EtpayProvider } from '../../../../src/providers/etpay/provider';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../../../src/sandbox/ecwid/server';
import { startEtpaySimulator, type RunningEtpaySimulator } from '../../../../src/sandbox/etpay/server';
import type { SimSession } from '../../../../src/sandbox/etpay/state';
import { startTestApp, TEST_CLIENT_SECRET, type TestApp } from '../../../support/app';
import { openTestDb, type TestDb } from '../../../support/db';
import { paymentFlow } from '../../../support/flow';

export const ETPAY_MERCHANT_CODE = 'cl_tienda_pruebas';
export const ETPAY_API_TOKEN = 'etpay-api-token-PROBE-7f3a9c1e5b2d4f6a8c0e';

/** The real app (production mode) wired to the ETpay provider, with the Ecwid and ETpay simulators. */
export interface EtpayHarness {
  t: TestDb;
  ecwid: RunningEcwidSimulator;
  etpay: RunningEtpaySimulator;
  app: TestApp;
  provider: EtpayProvider;
  flow: ReturnType<typeof paymentFlow>;
  /** Between tests: empty tables, simulators and knobs. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startEtpayHarness(
  kind: 'pglite' | 'postgres',
  opts: { timeoutMs?: number; statusTimeoutMs?: number } = {},
): Promise<EtpayHarness> {
  const t = await openTestDb(kind);
  const ecwid = await startEcwidSimulator({
    clientId: 'test-client',
    clientSecret: TEST_CLIENT_SECRET,
    paymentUrl: 'http://127.0.0.1:9/unused',
  });
  const etpay = await startEtpaySimulator({
    merchantCode: ETPAY_MERCHANT_CODE,
    merchantApiToken: ETPAY_API_TOKEN,
  });
  const provider = createEtpayProvider({
    merchantCode: ETPAY_MERCHANT_CODE,
    merchantApiToken: ETPAY_API_TOKEN,
    apiUrl: etpay.apiUrl,
    pmtUrl: etpay.pmtUrl,
    timeoutMs: opts.timeoutMs ?? 2_000,
    statusTimeoutMs: opts.statusTimeoutMs ?? 2_000,
  });
  const app = await startTestApp({
    db: t.db,
    ecwidApiUrl: `${ecwid.url}/api/v3`,
    providers: [provider],
    defaultProviders: ['etpay'],
  });
  const flow = paymentFlow(app.url, ecwid);
  return {
    t,
    ecwid,
    etpay,
    app,
    provider,
    flow,
    async reset() {
      await etpay.state.settled();
      etpay.state.reset();
      ecwid.state.reset();
      await t.reset();
    },
    async close() {
      await app?.close();
      await etpay?.close();
      await ecwid?.close();
      await t?.dispose();
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
  const session = h.etpay.state.session(token);
  if (!funnelUrl.startsWith(`${h.etpay.pmtUrl}/session/`) || !session) {
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

export type { SimSession };
