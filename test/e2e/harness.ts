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

/** The app exactly as `npm start` runs it on a fresh clone: demo mode, PGlite, simulators mounted. */
export async function startDemo(): Promise<Demo> {
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-demo-')),
    LOG_LEVEL: 'info',
  });
  const logs = new LogCapture();
  const server = await startServer(config, {
    logger: createLogger({ level: 'info', destination: logs }),
    sync: { pollMs: 100, baseDelayMs: 100 },
  });
  return { url: server.url, server, logs };
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
