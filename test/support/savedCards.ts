import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db';
import type { Secrets } from '../../src/secrets';

/**
 * Shared pieces of the saved-card tests: the recording proxy a World's app runs behind (`startWorld`
 * in ./harness: APP_URL points at it, so every request to our server — the shopper's, the providers'
 * redirects and notifications — passes through it and is kept), shopper helpers that read the
 * checkout step's forms, and the checks that no card number or CVC ever reaches our server, its logs
 * or its database.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  target: string | null;
  close(): Promise<void>;
}

/** A transparent HTTP proxy that keeps every request it forwards (set `target` once the app runs). */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const state = { target: null as string | null };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
      });
      if (!state.target) {
        res.statusCode = 503;
        return res.end('proxy target not set');
      }
      const target = new URL(req.url ?? '/', state.target);
      const upstream = httpRequest(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.statusCode = 502;
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get target() {
      return state.target;
    },
    set target(v: string | null) {
      state.target = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Answer {
  status: number;
  location: string | null;
  html: string;
  csp?: string | null;
}

/** One hop, redirects not followed. */
export async function hop(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return {
    status: res.status,
    location: res.headers.get('location'),
    html: await res.text(),
    csp: res.headers.get('content-security-policy'),
  };
}

export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return hop(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Follows redirects (relative ones against `base`) until an answer that is not a redirect, or `stop`. */
export async function follow(
  start: string,
  base: string,
  stop: (url: string) => boolean = () => false,
  max = 10,
): Promise<{ url: string; answer: Answer }> {
  let url = new URL(start, base).toString();
  for (let i = 0; i < max; i++) {
    const answer = await hop(url);
    if (answer.status < 300 || answer.status >= 400 || !answer.location) return { url, answer };
    url = new URL(answer.location, url).toString();
    if (stop(url)) return { url, answer: { status: 0, location: null, html: '' } };
  }
  throw new Error(`too many redirects from ${start}`);
}

export interface CardOnPage {
  id: string;
  label: string;
  payToken: string;
  removeToken: string;
}

/** The saved cards the checkout step offers, with their forms' tokens. */
export function cardsOnPage(html: string): CardOnPage[] {
  const cards: CardOnPage[] = [];
  const re =
    /<form id="pay-form-(sc_[A-Za-z0-9_-]+)"[\s\S]*?name="t" value="([^"]+)"[\s\S]*?<button[^>]*>([^<]+)<\/button>[\s\S]*?<form id="remove-form-\1"[\s\S]*?name="t" value="([^"]+)"/g;
  for (const m of html.matchAll(re)) {
    cards.push({ id: m[1]!, payToken: m[2]!, label: decode(m[3]!.trim()), removeToken: m[4]! });
  }
  return cards;
}

export function notice(html: string): string | null {
  const m = /id="saved-card-notice">([^<]*)</.exec(html);
  return m ? decode(m[1]!) : null;
}

export function decode(text: string): string {
  return text
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A form token as the app would sign it, with any claims (tests of the server-side checks). */
export function craftToken(
  secrets: Secrets,
  c: { action: 'pay' | 'remove'; paymentId: string; savedCardId: string; expiresAt?: number; nonce?: string },
): string {
  return secrets.sign(
    JSON.stringify({
      k: `sc-${c.action}`,
      p: c.paymentId,
      c: c.savedCardId,
      n: c.nonce ?? randomBytes(16).toString('base64url'),
      x: c.expiresAt ?? Date.now() + 600_000,
    }),
  );
}

// ---------------------------------------------------------------- no card data anywhere

/** The test cards the simulators know, and a distinctive CVC the tests type. */
export const TEST_PANS = [
  '4242424242424242',
  '4000000000000127',
  '4000000000001091',
  '4000000000002701',
  '4000000000002503',
];
export const TEST_CVC = '737';

/** The card form of a provider's hosted page (both simulators' take these fields), as the shopper fills it. */
export function typedCard(card: { number: string; name: string; expiry: string; save?: boolean }) {
  return {
    card_number: card.number,
    card_name: card.name,
    card_expiry: card.expiry,
    card_cvc: TEST_CVC,
    ...(card.save ? { save_card: 'on' } : {}),
  };
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Card numbers (the test ones, or any Luhn-valid 13–19 digit run, spaced or not) and CVC fields found in a text. */
export function cardDataIn(text: string): string[] {
  const found: string[] = [];
  const digitsOnly = text.replace(/[\s-]/g, '');
  for (const pan of TEST_PANS) if (digitsOnly.includes(pan)) found.push(`test card ${pan.slice(-4)}`);
  for (const m of text.matchAll(/(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.])/g)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhn(digits))
      found.push(`card-like number …${digits.slice(-4)}`);
  }
  if (/\b(card_number|card_cvc|cvc|cvv|security_code)\b/i.test(text))
    found.push('a card number or CVC field');
  if (new RegExp(`(cvc|cvv)[^\\n]{0,20}${TEST_CVC}`, 'i').test(text)) found.push('the test CVC');
  return found;
}

/** Every row of every table of the test schema as JSON, sealed columns unsealed too. */
export async function dumpDatabase(db: Db, secrets: Secrets): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.query<Record<string, unknown>>(`SELECT * FROM "${table_name}"`);
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (column.endsWith('_sealed') && typeof value === 'string') {
          try {
            row[`${column}__unsealed`] = secrets.unseal(value);
          } catch {
            row[`${column}__unsealed`] = '(not openable)';
          }
        }
      }
      parts.push(`${table_name}: ${JSON.stringify(row)}`);
    }
  }
  return parts.join('\n');
}
