import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { LogCapture } from '../support/app';

/** Where each test's last page is saved; CI keeps the folder as an artifact (see the README). */
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Demo {
  url: string;
  server: RunningServer;
  logs: LogCapture;
}

/**
 * The app exactly as `npm start` runs it on a fresh clone: demo mode, PGlite, simulators mounted.
 * `env` adds variables (e.g. a provider's keys and API URL: that provider then talks to them instead).
 */
export async function startDemo(env: Record<string, string> = {}): Promise<Demo> {
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-demo-')),
    LOG_LEVEL: 'info',
    ...env,
  });
  const logs = new LogCapture();
  const server = await startServer(config, {
    logger: createLogger({ level: 'info', destination: logs }),
    sync: { pollMs: 100, baseDelayMs: 100 },
  });
  return { url: server.url, server, logs };
}

/** Types a card into the (simulated) Conekta hosted checkout's form, expiry 12/30; does not submit. */
export async function fillConektaCard(
  page: Page,
  card: { number: string; holder: string; cvc: string },
): Promise<void> {
  await page.waitForSelector('#card-form');
  await page.fill('#card-number', card.number);
  await page.fill('#card-name', card.holder);
  await page.fill('#card-expiry', '12/30');
  await page.fill('#card-cvc', card.cvc);
}

/** A browser suite's fixtures: one demo app and one Chromium for the file, a fresh page per test. */
export interface BrowserSuite {
  demo: Demo;
  browser: Browser;
  page: Page;
}

/**
 * Registers the suite's hooks and returns the fixtures they fill in: read `s.page` and `s.demo`
 * inside tests and hooks (they are set once the suite's hooks ran).
 */
export function browserSuite(): BrowserSuite {
  const s = {} as BrowserSuite;
  beforeAll(async () => {
    s.demo = await startDemo();
    s.browser = await launchChromium();
  });
  afterAll(async () => {
    await s.browser?.close();
    await s.demo?.server.close();
  });
  beforeEach(async () => {
    s.page = await s.browser.newPage();
  });
  afterEach(async () => {
    await s.page?.close();
  });
  return s;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Clicks "Go to Payment" for one of the demo carts and waits for the provider's page (or chooser). */
export async function goToPayment(
  page: Page,
  demo: Demo,
  cartId: string,
  lang: 'es' | 'en' = 'es',
): Promise<void> {
  await page.goto(`${demo.url}/sandbox/ecwid/store?lang=${lang}`);
  await page.locator(`[data-cart-id="${cartId}"] button[type="submit"]`).click();
}

export type ProviderId = 'etpay' | 'conekta' | 'ecartpay';

/**
 * After "Go to Payment": waits for the chooser (several providers take the currency) or the provider's
 * own page (only one does); on the chooser, clicks the provider. Ends on the provider's hosted page.
 */
export async function chooseProvider(page: Page, provider: ProviderId): Promise<void> {
  const onProvider = (url: URL) => url.pathname.startsWith(`/sandbox/${provider}/`);
  const onChooser = (url: URL) => /^\/pay\/[^/]+\/checkout$/.test(url.pathname);
  await page.waitForURL((url) => onChooser(url) || onProvider(url));
  if (onChooser(new URL(page.url()))) {
    await page.locator(`#provider-${provider}`).click();
    await page.waitForURL(onProvider);
  }
}

/** The Ecwid order the simulator's store page (the app's returnUrl) shows. */
export interface EcwidOrder {
  storeId: number;
  referenceTransactionId: string;
  orderId: string;
  currency: string;
  total: number;
  paymentStatus: string;
  externalTransactionId: string | null;
  paymentMessage: string | null;
}

/** Waits until the shopper is back on the store (the returnUrl page) and returns which order it shows. */
export async function backOnStore(page: Page): Promise<{ storeId: number; ref: string }> {
  await page.waitForURL((url) => url.pathname.startsWith('/sandbox/ecwid/store/return/'));
  await page.locator('[data-order-status]').first().waitFor();
  const [, storeId, ref] = /\/store\/return\/(\d+)\/([^/?]+)/.exec(new URL(page.url()).pathname)!;
  return { storeId: Number(storeId), ref: decodeURIComponent(ref!) };
}

/** The status shown on the store's order page. */
export async function shownStatus(page: Page): Promise<string | null> {
  return page.locator('[data-order-status]').first().getAttribute('data-order-status');
}

/** The order as the Ecwid simulator holds it (its control API): what Ecwid really recorded. */
export async function ecwidOrder(demo: Demo, order: { storeId: number; ref: string }): Promise<EcwidOrder> {
  const res = await fetch(
    `${demo.url}/sandbox/ecwid/_control/orders/${order.storeId}/${encodeURIComponent(order.ref)}`,
  );
  if (!res.ok) throw new Error(`Ecwid simulator: order ${order.ref} answered ${res.status}`);
  return (await res.json()) as EcwidOrder;
}

/**
 * Polls the Ecwid simulator until the order reaches `status` (a change no page shows by itself, e.g. a
 * webhook delivered while the shopper is away). Fails with the last status seen.
 */
export async function waitForEcwidStatus(
  demo: Demo,
  order: { storeId: number; ref: string },
  status: string,
  timeoutMs = 20_000,
): Promise<EcwidOrder> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await ecwidOrder(demo, order);
    if (current.paymentStatus === status) return current;
    if (Date.now() > deadline) {
      throw new Error(`Ecwid order ${order.ref} is ${current.paymentStatus}, expected ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
