import type { Db } from '../../src/db';
import type { PaymentProvider } from '../../src/providers/types';
import { startEcwidSimulator, type RunningEcwidSimulator } from '../../src/sandbox/ecwid/server';
import type { RecordedUpdate, SimOrder } from '../../src/sandbox/ecwid/state';
import { createSecrets, type Secrets } from '../../src/secrets';
import { startTestApp, TEST_CLIENT_SECRET, TEST_SECRET_KEY, type TestApp } from './app';
import { openTestDb, type TestDb } from './db';
import { paymentFlow } from './flow';
import { startRecordingProxy, type RecordingProxy } from './savedCards';

type DbKind = 'pglite' | 'postgres';
type Closable = { close(): Promise<void> };

/**
 * One provider as the integration suites run it: its simulator, and the provider the app is given,
 * talking to that simulator. `startHarness` and `startWorld` take one of these (see
 * `simulatedConekta`, `simulatedEcartPay`, `simulatedEtpay`).
 */
export interface SimulatedProvider<Sim extends Closable, Provider extends PaymentProvider> {
  /** The provider's id: the stores' default provider. */
  id: string;
  startSimulator(): Promise<Sim>;
  createProvider(sim: Sim, db: Db): Provider;
  /** Once the app listens at `appUrl` (as providers reach it), e.g. where the simulator sends webhooks. */
  connect?(sim: Sim, appUrl: string): void;
  /** Between tests: the simulator emptied (what it still delivers first). */
  resetSimulator(sim: Sim): Promise<void>;
}

/** What names an order in Ecwid: a payment request (`flow.start(…).json`) or anything shaped like one. */
export interface EcwidOrderRef {
  storeId: number;
  cart: { order: { referenceTransactionId: string } };
}

/** A row of `payments`, with the columns the suites check. */
export interface PaymentRow {
  state: string;
  provider: string | null;
  provider_reference: string | null;
  provider_secrets_sealed: string | null;
  checkout_url: string | null;
  external_transaction_id: string | null;
  saved_card_id: string | null;
  refunded_amount: string | number;
}

/** The real app (production mode) with one simulated provider and the Ecwid simulator. */
export interface Harness<Sim = unknown, Provider extends PaymentProvider = PaymentProvider> {
  t: TestDb;
  ecwid: RunningEcwidSimulator;
  /** The provider's simulator. */
  sim: Sim;
  /** The provider the app runs with. */
  provider: Provider;
  app: TestApp;
  /** Where shoppers and providers reach the app: `app.url`, or the recording proxy in a World. */
  url: string;
  flow: ReturnType<typeof paymentFlow>;
  /** The order in the Ecwid simulator. */
  ecwidOrder(ref: EcwidOrderRef): SimOrder | undefined;
  /** Every update of the order the app sent to Ecwid, with Ecwid's answer (failed ones too). */
  ecwidUpdates(ref: EcwidOrderRef): RecordedUpdate[];
  /** The payment's row in the database (`SELECT *`). */
  paymentRow(id: string): Promise<PaymentRow>;
  /** Between tests: the simulators and tables emptied (and, in a World, the recorded requests). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A harness whose app is reached only through a recording proxy (APP_URL points at it). */
export interface World<S = unknown, P extends PaymentProvider = PaymentProvider> extends Harness<S, P> {
  proxy: RecordingProxy;
  secrets: Secrets;
}

/** Starts the provider's simulator, a fresh database of this kind, the Ecwid simulator and the app. */
export function startHarness<Sim extends Closable, Provider extends PaymentProvider>(
  kind: DbKind,
  simulated: SimulatedProvider<Sim, Provider>,
): Promise<Harness<Sim, Provider>> {
  return start(kind, simulated, null);
}

/** The harness behind the recording proxy: every request to our server is kept (saved-card suites). */
export async function startWorld<Sim extends Closable, Provider extends PaymentProvider>(
  kind: DbKind,
  simulated: SimulatedProvider<Sim, Provider>,
): Promise<World<Sim, Provider>> {
  const proxy = await startRecordingProxy();
  const harness = await start(kind, simulated, proxy);
  return { ...harness, proxy, secrets: createSecrets(TEST_SECRET_KEY) };
}

async function start<Sim extends Closable, Provider extends PaymentProvider>(
  kind: DbKind,
  simulated: SimulatedProvider<Sim, Provider>,
  proxy: RecordingProxy | null,
): Promise<Harness<Sim, Provider>> {
  // What has started, stopped in reverse order (also when a later step fails).
  const started: (() => Promise<void>)[] = proxy ? [() => proxy.close()] : [];
  const close = async () => {
    for (let stop = started.pop(); stop; stop = started.pop()) await stop();
  };
  try {
    const sim = await simulated.startSimulator();
    started.push(() => sim.close());
    const t = await openTestDb(kind);
    started.push(() => t.dispose());
    const ecwid = await startEcwidSimulator({
      clientId: 'test-client',
      clientSecret: TEST_CLIENT_SECRET,
      paymentUrl: 'http://127.0.0.1:9/unused',
    });
    started.push(() => ecwid.close());
    const provider = simulated.createProvider(sim, t.db);
    const app = await startTestApp({
      db: t.db,
      ecwidApiUrl: `${ecwid.url}/api/v3`,
      providers: [provider],
      defaultProviders: [simulated.id],
      ...(proxy ? { env: { APP_URL: proxy.url } } : {}),
    });
    started.push(() => app.close());
    if (proxy) proxy.target = app.url;
    const url = proxy?.url ?? app.url;
    simulated.connect?.(sim, url);
    return {
      t,
      ecwid,
      sim,
      provider,
      app,
      url,
      flow: paymentFlow(url, ecwid),
      ecwidOrder: (ref) => ecwid.state.getOrder(ref.storeId, ref.cart.order.referenceTransactionId),
      ecwidUpdates: (ref) => ecwid.state.updatesFor(ref.storeId, ref.cart.order.referenceTransactionId),
      async paymentRow(id) {
        const [row] = await t.db.query<PaymentRow>('SELECT * FROM payments WHERE id = $1', [id]);
        if (!row) throw new Error(`no payment ${id}`);
        return row;
      },
      async reset() {
        await simulated.resetSimulator(sim);
        await t.reset();
        ecwid.state.reset();
        if (proxy) proxy.requests.length = 0;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
