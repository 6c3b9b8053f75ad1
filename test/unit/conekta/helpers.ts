import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Helpers shared by the Conekta test files (kept here because test/unit/conekta/ is this
 * integration's folder): a webhook receiver and a shopper that drives the real HTML pages.
 */

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: {
    id?: string;
    type?: string;
    livemode?: boolean;
    data?: { object?: { id?: string; payment_status?: string } };
  };
}

/** A tiny HTTP server standing in for the app's webhook URL; answers `status` (200 by default). */
export async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  status: number;
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, json: JSON.parse(body) as Received['json'] });
      res.statusCode = state.status;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface PageAnswer {
  status: number;
  location: string | null;
  html: string;
  csp: string | null;
}

/** A browser that does not follow redirects, so each hop can be checked. */
export async function get(url: string): Promise<PageAnswer> {
  const res = await fetch(url, { redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    html: await res.text(),
    csp: res.headers.get('content-security-policy'),
  };
}

/** Submits the form `formId` of `page` (its real action, absolute against the page URL). */
export async function submit(
  pageUrl: string,
  html: string,
  formId: string,
  fields: Record<string, string> = {},
): Promise<PageAnswer> {
  const form = new RegExp(`<form id="${formId}"[^>]*action="([^"]+)"`).exec(html);
  if (!form) throw new Error(`no form #${formId} on ${pageUrl}`);
  const action = new URL(form[1]!.replace(/&amp;/g, '&'), pageUrl).toString();
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    html: await res.text(),
    csp: res.headers.get('content-security-policy'),
  };
}

/** The href of the link with this id. */
export function linkHref(html: string, id: string): string {
  const m = new RegExp(`id="${id}"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="${id}"`).exec(html);
  const href = m?.[1] ?? m?.[2];
  if (!href) throw new Error(`no link #${id}`);
  return href.replace(/&amp;/g, '&');
}

export const CARD_OK = '4242 4242 4242 4242';
export const CARD_DECLINED = '4000 0000 0000 0127';
export const cardFields = (number: string) => ({
  card_number: number,
  card_name: 'María González',
  card_expiry: '12/30',
  card_cvc: '123',
});
