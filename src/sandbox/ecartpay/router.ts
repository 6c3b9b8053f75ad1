import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { VIEWS_DIR } from '../../paths';
import { faultsRoute } from '../control';
import { failNextShape } from '../faults';
import { trackMount } from '../mount';
import { pageRenderer } from '../render';
import { formatAmount, simLang, simTexts, type SimLang } from './i18n';
import {
  DEMO_ECARTPAY_PRIVATE_KEY,
  DEMO_ECARTPAY_PUBLIC_KEY,
  ECART_OPERATIONS,
  EcartPaySimulatorState,
  ecartBehaviourOf,
  type EcartOperation,
  type RecordedCall,
  type SimEcartOrder,
} from './state';

export { DEMO_ECARTPAY_PRIVATE_KEY, DEMO_ECARTPAY_PUBLIC_KEY, DEMO_ECARTPAY_WEBHOOK_SECRET } from './state';

export interface EcartPaySimulatorOptions {
  /** The merchant's keys (default: the demo pair). More merchants: `state.addMerchant`. */
  publicKey?: string;
  privateKey?: string;
  /** The account webhook secret: notifications are signed (`x-pay-signature`) when set. */
  webhookSecret?: string;
  /** How long tokens live (default 1 hour, as Ecart's). */
  tokenTtlMs?: number;
  /**
   * Absolute URL where this router is reachable (e.g. `https://app.example/sandbox/ecartpay`), used in
   * `pay_link`. Without it, it is derived from each request (protocol, Host and mount path).
   */
  publicBaseUrl?: string;
}

export interface EcartPaySimulator {
  router: Router;
  state: EcartPaySimulatorState;
}

/** A merchant API call under way: its record and the merchant its token belongs to. */
type OpenCall = { record: RecordedCall; merchant: string };

/** Currencies Ecart Pay's API lists. */
const CURRENCIES = [
  'USD',
  'INR',
  'MXN',
  'BRL',
  'COP',
  'ARS',
  'GTQ',
  'CLP',
  'PEN',
  'CAD',
  'EUR',
  'AUD',
] as const;

const SIM_VIEWS = path.join(VIEWS_DIR, 'sandbox', 'ecartpay');

const twoDecimals = (n: number) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6;

const createOrderSchema = z.object({
  currency: z.enum(CURRENCIES),
  email: z.string().max(320).optional(),
  first_name: z.string().max(200).optional(),
  last_name: z.string().max(200).optional(),
  phone: z.string().max(40).optional(),
  items: z
    .array(
      z.object({
        name: z.string().min(1).max(500),
        quantity: z.number().int().positive().max(100_000),
        price: z.number().nonnegative().max(1e10).refine(twoDecimals, 'price has more than 2 decimals'),
      }),
    )
    .min(1)
    .max(100),
  notify_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  redirect_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  customer_id: z.string().max(100).optional(),
  token: z.string().max(200).optional(),
});

const customerSchema = z.object({
  first_name: z.string().max(200).optional(),
  last_name: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
  user_id: z.string().max(200).optional(),
});

const refundSchema = z.object({
  amount: z.number().positive().refine(twoDecimals, 'amount has more than 2 decimals'),
  reason: z.enum(['requested', 'duplicate', 'fraudulent']).optional(),
});

const operation = z.enum(ECART_OPERATIONS).optional();
const faultsSchema = z
  .object({
    clear: z.boolean().optional(),
    failNext: z.object({ ...failNextShape, operation }).optional(),
    slowAnswers: z.object({ ms: z.number().min(0).max(600_000), operation }).optional(),
    loseNotifications: z.number().int().min(0).max(10_000).optional(),
    duplicateNotifications: z.number().int().min(0).max(10_000).optional(),
    notificationDelayMs: z.number().min(0).max(600_000).optional(),
    skewTotals: z
      .object({ hundredths: z.number().int(), count: z.number().int().min(0).optional() })
      .optional(),
    tokenTtlMs: z.number().min(0).max(86_400_000).optional(),
    lateAnswers: z.object({ ms: z.number().min(0).max(600_000), operation }).optional(),
    retryDelaysMs: z.array(z.number().min(0).max(600_000)).max(10).optional(),
  })
  .strict();

/** Ecart's error shape. */
function ecartError(res: Response, status: number, message: string): void {
  res.status(status).json({ message, statusCode: status });
}

/**
 * The Ecart Pay simulator: the REST API under `/api` (token, orders, refunds: the documented
 * protocol), the hosted pay page at `pay_link` (`/checkout?id=…`, approve / decline / cancel), signed
 * notifications to each order's `notify_url`, and a control API for tests (`/_control`). Paths are
 * relative to where the router is mounted.
 */
export function createEcartPaySimulator(opts: EcartPaySimulatorOptions = {}): EcartPaySimulator {
  const state = new EcartPaySimulatorState({
    merchants: [
      {
        publicKey: opts.publicKey ?? DEMO_ECARTPAY_PUBLIC_KEY,
        privateKey: opts.privateKey ?? DEMO_ECARTPAY_PRIVATE_KEY,
      },
    ],
    ...(opts.webhookSecret ? { webhookSecret: opts.webhookSecret } : {}),
  });
  if (opts.tokenTtlMs !== undefined) state.tokenTtlMs = opts.tokenTtlMs;
  const router = express.Router();
  const { mountPath, baseUrlOf } = trackMount(router, opts.publicBaseUrl);

  // Pages whose form posts here and is then redirected to the shop name its URL (`formTargets`).
  const render = pageRenderer(SIM_VIEWS, { formatAmount });

  const errorPage = (res: Response, lang: SimLang, status: number): Promise<void> =>
    render(res, 'error', { lang, t: simTexts(lang), base: mountPath(res) }, status);

  // ---------------------------------------------------------------- REST API

  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));

  /** Holds (slow answers), then applies a queued failure. False when the answer is already given (or never will be). */
  async function gate(op: EcartOperation, res: Response, record: RecordedCall): Promise<boolean> {
    const delay = state.delayFor(op);
    if (delay > 0) {
      record.fault = 'delay';
      if ((await state.wait(delay)) === 'aborted') return false;
    }
    const status = state.nextFault(op);
    if (status === null) return true;
    Object.assign(record, { status, fault: 'fail' });
    ecartError(res, status, `Simulated failure (HTTP ${status})`);
    return false;
  }

  function answer(res: Response, record: RecordedCall, status: number, body: unknown): void {
    record.status = status;
    res.status(status).json(body);
  }

  /** An answer in Ecart's error shape. */
  function refuse(res: Response, record: RecordedCall, status: number, message: string): void {
    answer(res, record, status, { message, statusCode: status });
  }

  /** The merchant of the raw token in `Authorization`, or a 401 already sent. */
  function authorize(req: Request, res: Response, record: RecordedCall): string | null {
    const checked = state.checkToken(req.get('authorization'));
    if (checked.ok) return checked.merchant;
    record.auth = checked.auth;
    refuse(res, record, 401, checked.auth === 'expired' ? 'Token expired' : 'Unauthorized');
    return null;
  }

  /**
   * How every merchant call starts: recorded, held or failed as the faults say, then its bearer
   * token checked. The call's record and merchant, or null when the answer is already given.
   */
  async function openCall(
    req: Request,
    res: Response,
    call: { operation: EcartOperation; method: string; path: string; withBody?: boolean },
  ): Promise<OpenCall | null> {
    const record = state.recordCall({
      operation: call.operation,
      method: call.method,
      path: call.path,
      auth: 'ok',
      ...(call.withBody ? { body: req.body as unknown } : {}),
    });
    if (!(await gate(call.operation, res, record))) return null;
    const merchant = authorize(req, res, record);
    return merchant === null ? null : { record, merchant };
  }

  /** The merchant's order, or a 404 already sent. */
  function ownOrder(res: Response, call: OpenCall, id: string): SimEcartOrder | undefined {
    const order = state.getOrder(id);
    if (order && order.merchant === call.merchant) return order;
    refuse(res, call.record, 404, 'Order not found');
    return undefined;
  }

  /** Whether the customer is the merchant's; otherwise a 404 is already sent. */
  function ownCustomer(res: Response, call: OpenCall, id: string): boolean {
    if (state.customerOf(call.merchant, id)) return true;
    refuse(res, call.record, 404, 'Customer not found');
    return false;
  }

  api.post('/authorizations/token', async (req, res) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '');
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const record = state.recordCall({
      operation: 'token',
      method: 'POST',
      path: '/authorizations/token',
      auth: match ? 'ok' : 'missing',
    });
    if (!(await gate('token', res, record))) return;
    const token = colon > 0 ? state.issueToken(decoded.slice(0, colon), decoded.slice(colon + 1)) : null;
    if (!token) {
      record.auth = match ? 'bad' : 'missing';
      return refuse(res, record, 401, 'Invalid credentials');
    }
    answer(res, record, 200, { token });
  });

  api.post('/orders', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'createOrder',
      method: 'POST',
      path: '/orders',
      withBody: true,
    });
    if (!call) return;
    const { record, merchant } = call;
    const parsed = createOrderSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return refuse(res, record, 400, message);
    }
    const d = parsed.data;
    if (d.customer_id !== undefined && !ownCustomer(res, call, d.customer_id)) return;
    if (d.token !== undefined && (!d.customer_id || !state.cardTokenUsable(merchant, d.customer_id, d.token)))
      return refuse(res, record, 400, 'Invalid or used card token');
    const order = state.createOrder(
      merchant,
      {
        currency: d.currency,
        items: d.items,
        ...(d.email ? { email: d.email } : {}),
        ...(d.first_name ? { first_name: d.first_name } : {}),
        ...(d.last_name ? { last_name: d.last_name } : {}),
        ...(d.phone ? { phone: d.phone } : {}),
        ...(d.notify_url ? { notify_url: d.notify_url } : {}),
        ...(d.redirect_url ? { redirect_url: d.redirect_url } : {}),
        ...(d.customer_id ? { customer_id: d.customer_id } : {}),
      },
      baseUrlOf(req, res),
    );
    // Customer → card → token → order: the token pays the order at once (or after 3-D Secure).
    if (d.token) state.payWithCardToken(order, d.token);
    if (!(await late('createOrder', record))) return;
    answer(res, record, 200, state.publicOrder(order));
  });

  /** Processed already; the answer comes late (a client timeout hides the outcome). */
  async function late(op: EcartOperation, record: RecordedCall): Promise<boolean> {
    const ms = state.lateFor(op);
    if (ms <= 0) return true;
    record.fault = 'delay';
    return (await state.wait(ms)) === 'go';
  }

  // ---- saved cards: customers, cards, card tokens, 3-D Secure enrollment

  api.post('/customers', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'createCustomer',
      method: 'POST',
      path: '/customers',
      withBody: true,
    });
    if (!call) return;
    const parsed = customerSchema.safeParse(req.body ?? {});
    if (!parsed.success) return refuse(res, call.record, 400, 'Invalid customer');
    const d = parsed.data;
    const customer = state.createCustomer(call.merchant, {
      ...(d.first_name ? { first_name: d.first_name } : {}),
      ...(d.last_name ? { last_name: d.last_name } : {}),
      ...(d.email ? { email: d.email } : {}),
      ...(d.phone ? { phone: d.phone } : {}),
      ...(d.user_id ? { user_id: d.user_id } : {}),
    });
    answer(res, call.record, 200, customer);
  });

  api.get('/customers/:id/cards', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'listCards',
      method: 'GET',
      path: `/customers/${req.params.id}/cards`,
    });
    if (!call || !ownCustomer(res, call, req.params.id)) return;
    answer(res, call.record, 200, state.cardsOf(req.params.id));
  });

  api.delete('/customers/:id/cards/:cardId', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'deleteCard',
      method: 'DELETE',
      path: `/customers/${req.params.id}/cards/${req.params.cardId}`,
    });
    if (!call || !ownCustomer(res, call, req.params.id)) return;
    const removed = state.removeCard(req.params.id, req.params.cardId);
    if (!removed) return refuse(res, call.record, 404, 'Card not found');
    answer(res, call.record, 200, { ...removed, deleted: true });
  });

  api.post('/tokens', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'cardToken',
      method: 'POST',
      path: '/tokens',
      withBody: true,
    });
    if (!call) return;
    const { record } = call;
    const body = z
      .object({ id: z.string().max(100), cvc: z.string().max(4).optional() })
      .safeParse(req.body ?? {});
    if (!body.success) return refuse(res, record, 400, 'id is required');
    const token = state.issueCardToken(call.merchant, body.data.id, body.data.cvc);
    if (token === 'not_found') return refuse(res, record, 404, 'Card not found');
    if (token === 'cvc_required') return refuse(res, record, 400, 'cvc is required for this card');
    if (token === 'cvc_invalid') return refuse(res, record, 400, 'Invalid cvc');
    answer(res, record, 200, { token });
  });

  // Ecart's customer session for its browser component (pay.js): the component, on Ecart's origin,
  // takes what the shopper types there and gives the merchant's page a single-use card token.
  api.post('/customers/:id/session', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'customerSession',
      method: 'POST',
      path: `/customers/${req.params.id}/session`,
    });
    if (!call || !ownCustomer(res, call, req.params.id)) return;
    answer(res, call.record, 200, { id: state.createSession(call.merchant, req.params.id) });
  });

  api.post('/three-d-secure', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'threeDSecure',
      method: 'POST',
      path: '/three-d-secure',
      withBody: true,
    });
    if (!call) return;
    const { record } = call;
    const body = z
      .object({
        order_id: z.string().max(100),
        token: z.string().max(200),
        redirect_url: z.url({ protocol: /^https?$/ }).max(2000),
      })
      .safeParse(req.body ?? {});
    if (!body.success) return refuse(res, record, 400, 'order_id, token and redirect_url are required');
    const order = ownOrder(res, call, body.data.order_id);
    if (!order) return;
    if (order.status !== 'created' || !state.tokenPaid(body.data.token, order))
      return refuse(res, record, 400, 'The order cannot be authenticated');
    const id = state.startThreeDs(order, body.data.redirect_url);
    answer(res, record, 200, { id, url: `${baseUrlOf(req, res)}/three-d-secure/${id}` });
  });

  api.get('/orders/:id', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'getOrder',
      method: 'GET',
      path: `/orders/${req.params.id}`,
    });
    const order = call && ownOrder(res, call, req.params.id);
    if (!call || !order) return;
    answer(res, call.record, 200, state.publicOrder(order));
  });

  api.post('/orders/:id/refund', async (req, res) => {
    const call = await openCall(req, res, {
      operation: 'refund',
      method: 'POST',
      path: `/orders/${req.params.id}/refund`,
      withBody: true,
    });
    const order = call && ownOrder(res, call, req.params.id);
    if (!call || !order) return;
    const { record } = call;
    const parsed = refundSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      return refuse(res, record, 400, parsed.error.issues.map((i) => i.message).join('; '));
    if (order.status !== 'paid' && order.status !== 'partially_refunded')
      return refuse(res, record, 400, `Order cannot be refunded (status ${order.status})`);
    const hundredths = Math.round(parsed.data.amount * 100);
    if (order.refundedHundredths + hundredths > order.totalHundredths)
      return refuse(res, record, 400, 'Amount exceeds the refundable amount');
    state.refund(order, hundredths, parsed.data.reason ?? 'requested');
    answer(res, record, 200, state.publicOrder(order));
  });

  api.use((_req, res) => ecartError(res, 404, 'Not found'));
  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return ecartError(res, status, 'Malformed request body');
    return ecartError(res, 500, 'Internal error');
  });

  router.use('/api', api);

  // ---------------------------------------------------------------- Hosted pay page

  const page = express.Router();
  page.use(express.urlencoded({ extended: false, limit: '10kb' }));

  function orderPage(order: SimEcartOrder, lang: SimLang, res: Response) {
    const t = simTexts(lang);
    return render(
      res,
      'checkout',
      {
        lang,
        t,
        base: mountPath(res),
        order: state.publicOrder(order),
        payable: order.status === 'created',
        statusText: t.statuses[order.status] ?? order.status,
      },
      200,
      { formTargets: [order.redirect_url] },
    );
  }

  /** After the shopper's choice: back to the shop, or to the order's page when the shop gave no URL. */
  function leavePage(res: Response, order: SimEcartOrder, lang: SimLang): void {
    if (order.redirect_url) return res.redirect(303, order.redirect_url);
    res.redirect(303, `${mountPath(res)}/checkout?id=${encodeURIComponent(order.id)}&lang=${lang}`);
  }

  page.get('/', async (req, res) => {
    const lang = simLang(req.query.lang);
    const id = typeof req.query.id === 'string' ? req.query.id : '';
    const order = state.getOrder(id);
    if (!order) return errorPage(res, lang, 404);
    await orderPage(order, lang, res);
  });

  page.post('/:id', async (req, res) => {
    const lang = simLang((req.body as { lang?: unknown } | undefined)?.lang);
    const order = state.getOrder(req.params.id);
    if (!order) return errorPage(res, lang, 404);
    const action = (req.body as { action?: unknown } | undefined)?.action;
    if (action === 'card' && order.customer_id) {
      // A card typed on Ecart's page for a customer order; kept on the customer when asked (last 4 only).
      const form = req.body as Record<string, unknown>;
      const number = String(form.card_number ?? '').replace(/\D/g, '');
      if (order.status === 'created' && number.length >= 13) {
        const declined = ecartBehaviourOf(number) === 'decline';
        state.setStatus(order, declined ? 'declined' : 'paid');
        if (!declined && form.save_card === 'on') {
          state.addCard(order.customer_id, {
            number,
            name: String(form.card_name ?? ''),
            expiry: String(form.card_expiry ?? ''),
          });
        }
      }
      return leavePage(res, order, lang);
    }
    const next = { approve: 'paid', decline: 'declined', cancel: 'cancelled' }[String(action)];
    if (!next) return orderPage(order, lang, res);
    // Only an order awaiting payment can be paid, declined or cancelled (a second click changes nothing).
    if (order.status === 'created') state.setStatus(order, next);
    leavePage(res, order, lang);
  });

  router.use('/checkout', page);

  // ---------------------------------------------------------------- 3-D Secure challenge (saved cards)

  const threeDs = express.Router();
  threeDs.use(express.urlencoded({ extended: false, limit: '5kb' }));

  threeDs.get('/:id', async (req, res) => {
    const lang = simLang(req.query.lang);
    const found = state.threeDsOf(req.params.id);
    if (!found) return errorPage(res, lang, 404);
    await render(
      res,
      'three-d-secure',
      {
        lang,
        t: simTexts(lang),
        base: mountPath(res),
        action: `${mountPath(res)}/three-d-secure/${req.params.id}`,
        order: state.publicOrder(found.order),
        pending: !found.done && found.order.status === 'created',
      },
      200,
      { formTargets: [found.redirectUrl] },
    );
  });

  threeDs.post('/:id', async (req, res) => {
    const lang = simLang(req.query.lang);
    const found = state.threeDsOf(req.params.id);
    if (!found) return errorPage(res, lang, 404);
    const action = (req.body as { action?: unknown } | undefined)?.action;
    if (action !== 'approve' && action !== 'fail') return errorPage(res, lang, 400);
    state.completeThreeDs(req.params.id, action === 'approve');
    res.redirect(303, found.redirectUrl);
  });

  router.use('/three-d-secure', threeDs);

  // ---------------------------------------------------------------- Browser component (pay.js)
  //
  // `GET /sdk/pay.js` runs on the merchant's page: `EcartPay.verifyCard({session, card, container,
  // lang, onToken, onError})` frames `/sdk/verify` (this origin), where the shopper types the card's
  // security code; Ecart makes a single-use card token of it and the frame hands only that token to
  // the page (postMessage to the page's origin). The code itself never leaves this origin.

  const sdk = express.Router();
  sdk.use(express.urlencoded({ extended: false, limit: '5kb' }));

  sdk.get('/pay.js', (_req, res) => {
    res.set({ 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
    res.send(PAY_JS);
  });
  sdk.get('/verify.js', (_req, res) => {
    res.set({ 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
    res.send(VERIFY_FRAME_JS);
  });

  function verifyPage(
    res: Response,
    status: number,
    parent: string | null,
    body: { lang: SimLang; session?: string; card?: string; token?: string; error?: string; last4?: string },
  ): void {
    const en = body.lang === 'en';
    const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const inner = body.token
      ? `<p id="ecartpay-verified">${en ? 'Card verified.' : 'Tarjeta verificada.'}</p>`
      : `<form method="post" action="${esc(mountPath(res))}/sdk/verify" id="ecartpay-verify-form">
  <input type="hidden" name="session" value="${esc(body.session ?? '')}">
  <input type="hidden" name="card" value="${esc(body.card ?? '')}">
  <input type="hidden" name="parent" value="${esc(parent ?? '')}">
  <input type="hidden" name="lang" value="${body.lang}">
  <label>${en ? 'Security code of the card' : 'Código de seguridad de la tarjeta'}${body.last4 ? ` •••• ${esc(body.last4)}` : ''}
  <input id="ecartpay-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></label>
  ${body.error ? `<p id="ecartpay-verify-error">${esc(body.error)}</p>` : ''}
  <button id="ecartpay-verify-submit" type="submit">${en ? 'Verify' : 'Verificar'}</button>
</form>`;
    res
      .status(status)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': [
          "default-src 'none'",
          "script-src 'self'",
          "style-src 'self'",
          "form-action 'self'",
          "base-uri 'none'",
          // Framed by the merchant's page only.
          `frame-ancestors ${parent ?? "'none'"}`,
        ].join('; '),
        'Referrer-Policy': 'no-referrer',
      })
      .send(
        `<!doctype html><html lang="${body.lang}"><head><meta charset="utf-8"><title>Ecart Pay</title></head><body>
<div id="ecartpay-verify" data-parent="${esc(parent ?? '')}" data-token="${esc(body.token ?? '')}">${inner}</div>
<script src="${esc(mountPath(res))}/sdk/verify.js"></script></body></html>`,
      );
  }

  const originParam = (v: unknown): string | null => {
    try {
      const u = new URL(String(v));
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === String(v) ? u.origin : null;
    } catch {
      return null;
    }
  };

  sdk.get('/verify', (req, res) => {
    const lang = simLang(req.query.lang);
    const parent = originParam(req.query.parent);
    const session = state.sessionOf(String(req.query.session ?? ''));
    const card = String(req.query.card ?? '');
    const found = session ? state.cardsOf(session.customerId).find((c) => c.id === card) : undefined;
    if (!session || !found || !parent)
      return verifyPage(res, 400, parent, {
        lang,
        error: lang === 'en' ? 'Invalid session' : 'Sesión no válida',
      });
    verifyPage(res, 200, parent, {
      lang,
      session: String(req.query.session),
      card,
      last4: found.last4,
    });
  });

  sdk.post('/verify', (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const lang = simLang(form.lang);
    const parent = originParam(form.parent);
    const sessionId = String(form.session ?? '');
    const session = state.sessionOf(sessionId);
    const card = String(form.card ?? '');
    if (!session || !parent || !state.cardsOf(session.customerId).some((c) => c.id === card))
      return verifyPage(res, 400, parent, {
        lang,
        error: lang === 'en' ? 'Invalid session' : 'Sesión no válida',
      });
    const token = state.issueCardToken(session.merchant, card, String(form.cvc ?? ''));
    if (token === 'cvc_invalid' || token === 'cvc_required' || token === 'not_found')
      return verifyPage(res, 422, parent, {
        lang,
        session: sessionId,
        card,
        error: lang === 'en' ? 'Check the security code' : 'Revisa el código de seguridad',
      });
    verifyPage(res, 200, parent, { lang, token });
  });

  router.use('/sdk', sdk);

  // ---------------------------------------------------------------- Control API (tests, demo)

  const control = express.Router();
  control.use(express.json({ limit: '100kb' }));

  faultsRoute(control, faultsSchema, (f) => {
    if (f.clear) state.clearFaults();
    if (f.failNext) state.failNext(f.failNext.count, f.failNext.status, f.failNext.operation);
    if (f.slowAnswers) state.slowAnswers(f.slowAnswers.ms, f.slowAnswers.operation);
    if (f.loseNotifications !== undefined) state.loseNextNotifications(f.loseNotifications);
    if (f.duplicateNotifications !== undefined) state.duplicateNextNotifications(f.duplicateNotifications);
    if (f.notificationDelayMs !== undefined) state.notificationDelayMs = f.notificationDelayMs;
    if (f.skewTotals) state.skewNextTotals(f.skewTotals.hundredths, f.skewTotals.count ?? 1);
    if (f.tokenTtlMs !== undefined) state.tokenTtlMs = f.tokenTtlMs;
    if (f.lateAnswers) state.lateAnswers(f.lateAnswers.ms, f.lateAnswers.operation);
    if (f.retryDelaysMs) state.retryDelaysMs = f.retryDelaysMs;
    return state.faults;
  });

  control.get('/faults', (_req, res) => res.json(state.faults));

  control.post('/tokens/expire', (_req, res) => {
    state.expireAllTokens();
    res.json({ expired: state.issuedTokens.length });
  });

  control.get('/orders', (_req, res) =>
    res.json({ orders: state.listOrders().map((o) => state.publicOrder(o)) }),
  );

  control.get('/orders/:id', (req, res) => {
    const order = state.getOrder(req.params.id);
    if (!order) return res.status(404).json({ error: 'order not found' });
    res.json(state.publicOrder(order));
  });

  /** Moves an order to any status (e.g. `expired`), notifying unless `notify: false`. */
  control.post('/orders/:id/status', (req, res) => {
    const order = state.getOrder(req.params.id);
    const body = z
      .object({ status: z.string().regex(/^[a-z_]{1,40}$/), notify: z.boolean().optional() })
      .safeParse(req.body ?? {});
    if (!order || !body.success)
      return res.status(order ? 400 : 404).json({ error: 'expected {status} of a known order' });
    state.setStatus(order, body.data.status, { notify: body.data.notify ?? true });
    res.json(state.publicOrder(order));
  });

  control.get('/customers', (_req, res) =>
    res.json({ customers: state.listCustomers().map((c) => ({ ...c, cards: state.cardsOf(c.id) })) }),
  );

  /** From now on Ecart asks for this card's security code when it is tokenized. */
  control.post('/customers/:id/cards/:cardId/require-cvc', (req, res) => {
    if (!state.cardsOf(req.params.id).some((c) => c.id === req.params.cardId))
      return res.status(404).json({ error: 'card not found' });
    state.requireCvc(req.params.cardId);
    res.json({ ok: true });
  });

  /** A saved card removed at Ecart (e.g. by the shopper elsewhere) while the checkout step is open. */
  control.post('/customers/:id/cards/:cardId/delete', (req, res) => {
    const removed = state.removeCard(req.params.id, req.params.cardId);
    if (!removed) return res.status(404).json({ error: 'card not found' });
    res.json({ ...removed, deleted: true });
  });

  control.get('/notifications', (_req, res) => res.json({ notifications: state.notifications }));
  control.get('/calls', (_req, res) => res.json({ calls: state.calls.map(({ body: _b, ...c }) => c) }));

  control.post('/reset', (_req, res) => {
    state.reset();
    res.json({ ok: true });
  });

  router.use('/_control', control);

  return { router, state };
}

/** The simulator's pay.js: frames its verification page and hands the page's code only the token. */
const PAY_JS = `(function () {
  var script = document.currentScript;
  var base = script ? script.src.replace(/\\/sdk\\/pay\\.js.*$/, '') : '';
  var origin = base ? new URL(base).origin : '';
  window.EcartPay = {
    verifyCard: function (opts) {
      var frame = document.createElement('iframe');
      frame.id = 'ecartpay-verify-frame';
      frame.title = 'Ecart Pay';
      frame.src = base + '/sdk/verify?' + new URLSearchParams({
        session: opts.session, card: opts.card, lang: opts.lang || 'es', parent: window.location.origin
      }).toString();
      window.addEventListener('message', function (event) {
        if (event.origin !== origin || event.source !== frame.contentWindow) return;
        var data = event.data || {};
        if (data.type === 'ecartpay:card-token' && typeof data.token === 'string') opts.onToken(data.token);
      });
      opts.container.appendChild(frame);
      return frame;
    }
  };
})();
`;

/** Inside the frame: once Ecart made the token, it goes to the merchant's page (its origin only). */
const VERIFY_FRAME_JS = `(function () {
  var box = document.getElementById('ecartpay-verify');
  if (!box) return;
  var token = box.getAttribute('data-token');
  var parent = box.getAttribute('data-parent');
  if (token && parent && window.parent !== window) {
    window.parent.postMessage({ type: 'ecartpay:card-token', token: token }, parent);
  }
})();
`;
