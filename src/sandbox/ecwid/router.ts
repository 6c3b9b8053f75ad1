import { encryptEcwidPayload } from '../../ecwid/crypto';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { VIEWS_DIR } from '../../paths';
import { faultsRoute, parseControlBody } from '../control';
import { applyHangDelayFaults, hangDelayFaultsShape } from '../faults';
import { trackMount } from '../mount';
import { pageRenderer } from '../render';
import { DEMO_CARTS, findCart } from './catalog';
import { formatAmount, simLang, simTexts, type SimLang } from './i18n';
import {
  buildPaymentRequest,
  buildReturnUrl,
  DEFAULT_STORE_ID,
  encryptPaymentRequest,
  newReturnKey,
  type CartItemInput,
  type EcwidPaymentRequestJson,
  type PaymentRequestInput,
} from './payload';
import {
  ECWID_PAYMENT_STATUSES,
  EcwidSimulatorState,
  isPaymentStatus,
  type RecordedUpdate,
  type SimOrder,
} from './state';

export interface EcwidSimulatorOptions {
  /** The app's client_id (carried in returnUrls and checked on return). */
  clientId: string;
  /** The app's client_secret (its first 16 characters are the AES key). */
  clientSecret: string;
  /** Where the storefront posts the payment form (the app's `POST /ecwid/payment`). */
  paymentUrl: string;
  /**
   * Absolute URL where this router is reachable (e.g. `https://app.example.com/sandbox/ecwid`), used
   * in returnUrls. Without it, it is derived from each request (protocol, Host and mount path).
   */
  publicBaseUrl?: string;
}

export interface EcwidSimulator {
  router: Router;
  state: EcwidSimulatorState;
  /** Changes where the storefront posts payments (e.g. once the app under test has a port). */
  setPaymentUrl(url: string): void;
}

const SIM_VIEWS = path.join(VIEWS_DIR, 'sandbox', 'ecwid');

function ecwidError(res: Response, status: number, errorCode: string, errorMessage: string): void {
  res.status(status).json({ errorMessage, errorCode });
}

/** Public view of an order (no token). */
export function orderView(order: SimOrder) {
  return {
    storeId: order.storeId,
    referenceTransactionId: order.referenceTransactionId,
    orderId: order.orderId,
    currency: order.currency,
    total: order.total,
    lang: order.lang,
    paymentStatus: order.paymentStatus,
    externalTransactionId: order.externalTransactionId ?? null,
    paymentMessage: order.paymentMessage ?? null,
    privateAdminNotes: order.privateAdminNotes ?? null,
    returnUrl: order.returnUrl,
    statusHistory: order.statusHistory,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

const faultsSchema = z
  .object({
    ...hangDelayFaultsShape,
    rateLimitNext: z
      .union([
        z.number().min(0).max(86_400),
        z.object({
          retryAfterSeconds: z.number().min(0).max(86_400),
          count: z.number().int().min(1).max(10_000).optional(),
        }),
      ])
      .optional(),
    failRate: z
      .union([
        z.null(),
        z.number().min(0).max(1),
        z.object({
          p: z.number().min(0).max(1),
          status: z.number().int().min(400).max(599).optional(),
          seed: z.number().int().optional(),
        }),
      ])
      .optional(),
  })
  .strict();

const lineSchema = z.object({
  name: z.string().min(1).max(500),
  price: z.number().nonnegative(),
  quantity: z.number().int().positive(),
  sku: z.string().max(100).optional(),
});

const controlOrderSchema = z
  .object({
    storeId: z.number().int().positive().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    total: z.number().optional(),
    lang: z.string().max(20).optional(),
    email: z.string().max(320).optional(),
    customerId: z.number().int().nullable().optional(),
    referenceTransactionId: z.string().min(1).max(200).optional(),
    orderId: z.string().min(1).max(200).optional(),
    items: z.array(lineSchema).max(100).optional(),
    token: z.string().min(1).max(1000).optional(),
    merchantAppSettings: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const checkoutFormSchema = z.object({
  cartId: z.string().max(50).optional(),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  total: z.coerce.number().positive().max(1e12).optional(),
  lang: z.string().max(20).optional(),
  email: z.string().trim().max(320).optional(),
  storeId: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31)
    .optional(),
  /** A repeated "Go to Payment" for an existing order (same referenceTransactionId, new returnUrl). */
  orderRef: z.string().max(200).optional(),
});

/**
 * The Ecwid simulator: REST API (`/api/v3`), a control API for tests (`/_control`) and a demo
 * storefront (`/store`). Paths are relative to where the router is mounted. Faults apply to every
 * REST call (PUT and GET), never to the control API or the storefront. Orders are found by
 * referenceTransactionId only, so an app using the order id gets 404.
 */
export function createEcwidSimulator(opts: EcwidSimulatorOptions): EcwidSimulator {
  const state = new EcwidSimulatorState();
  let paymentUrl = opts.paymentUrl;
  const router = express.Router();
  const { mountPath, baseUrlOf } = trackMount(router, opts.publicBaseUrl);

  const page = pageRenderer(SIM_VIEWS, { formatAmount });
  /** The storefront's checkout form posts to the app's payment URL: form-action allows it. */
  const render = (
    res: Response,
    view: string,
    data: Record<string, unknown>,
    status = 200,
    frameSrc?: string,
  ) => page(res, view, data, status, { formTargets: [paymentUrl], frameSrc });

  async function errorPage(res: Response, lang: SimLang, status: number, message: string) {
    await render(res, 'error', { lang, t: simTexts(lang), base: mountPath(res), message }, status);
  }

  // ---------------------------------------------------------------- Ecwid REST API

  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));

  function authOk(req: Request, storeId: string): boolean {
    const id = Number(storeId);
    const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    return Number.isSafeInteger(id) && match?.[1] !== undefined && state.acceptsToken(id, match[1]);
  }

  /** Faults first (hold, then queued/random failures). Returns false when the answer is already decided. */
  async function applyFaults(res: Response, record?: RecordedUpdate): Promise<boolean> {
    const wasHanging = state.hang;
    const outcome = await state.hold();
    if (outcome === 'aborted') return false;
    // A call held by `hang` whose client died meanwhile never reached "Ecwid": it is dropped, as a
    // request lost in the network would be (a slow answer, by contrast, still applies).
    if (wasHanging && res.req.socket.destroyed) {
      if (record) Object.assign(record, { status: null, fault: 'abandoned' });
      return false;
    }
    const fault = state.nextFault();
    if (fault.kind === 'none') return true;
    const answered = new Date().toISOString();
    if (fault.kind === 'rate_limit') {
      if (record) Object.assign(record, { status: 429, fault: 'rate_limit', answeredAt: answered });
      res.set('Retry-After', String(fault.retryAfterSeconds));
      ecwidError(
        res,
        429,
        'RATE_LIMITED',
        'Too many requests: the limit of requests per minute was exceeded',
      );
      return false;
    }
    if (record) {
      Object.assign(record, {
        status: fault.status,
        fault: fault.random ? 'random_fail' : 'fail',
        answeredAt: answered,
      });
    }
    ecwidError(res, fault.status, 'SIMULATED_FAILURE', `Simulated failure (HTTP ${fault.status})`);
    return false;
  }

  api.put('/:storeId/orders/:orderRef', async (req, res) => {
    const { storeId, orderRef } = req.params;
    const ok = authOk(req, storeId);
    // The state keeps this very entry: answering fills in its status.
    const live = state.recordUpdate({ storeId, orderRef, authOk: ok, body: req.body });
    const answer = (status: number, errorCode?: string, message?: string) => {
      Object.assign(live, { status, answeredAt: new Date().toISOString() });
      if (errorCode) ecwidError(res, status, errorCode, message ?? errorCode);
      else res.status(status).json({ updateCount: 1 });
    };

    if (!(await applyFaults(res, live))) return;
    if (!ok)
      return answer(403, 'FORBIDDEN', 'Access denied: the access token is missing, invalid or revoked');
    const order = state.getOrder(Number(storeId), orderRef);
    if (!order) return answer(404, 'ORDER_NOT_FOUND', `Order ${orderRef} is not found`);

    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return answer(400, 'BAD_REQUEST', 'The request body must be a JSON object');
    }
    const update = body as Record<string, unknown>;
    if ('items' in update) {
      return answer(400, 'ITEMS_NOT_ALLOWED', 'Do not send items in a payment status update');
    }
    if (update.paymentStatus !== undefined && !isPaymentStatus(update.paymentStatus)) {
      return answer(
        400,
        'INVALID_PAYMENT_STATUS',
        `paymentStatus must be one of ${ECWID_PAYMENT_STATUSES.join(', ')}`,
      );
    }
    for (const field of ['externalTransactionId', 'paymentMessage', 'privateAdminNotes'] as const) {
      if (update[field] !== undefined && typeof update[field] !== 'string') {
        return answer(400, 'BAD_REQUEST', `${field} must be a string`);
      }
    }
    state.applyUpdate(order, {
      paymentStatus: isPaymentStatus(update.paymentStatus) ? update.paymentStatus : undefined,
      externalTransactionId: update.externalTransactionId as string | undefined,
      paymentMessage: update.paymentMessage as string | undefined,
      privateAdminNotes: update.privateAdminNotes as string | undefined,
    });
    answer(200);
  });

  api.get('/:storeId/orders/:orderRef', async (req, res) => {
    const { storeId, orderRef } = req.params;
    if (!(await applyFaults(res))) return;
    if (!authOk(req, storeId)) {
      return ecwidError(
        res,
        403,
        'FORBIDDEN',
        'Access denied: the access token is missing, invalid or revoked',
      );
    }
    const order = state.getOrder(Number(storeId), orderRef);
    if (!order) return ecwidError(res, 404, 'ORDER_NOT_FOUND', `Order ${orderRef} is not found`);
    res.json({
      ...order.order,
      paymentStatus: order.paymentStatus,
      ...(order.externalTransactionId === undefined
        ? {}
        : { externalTransactionId: order.externalTransactionId }),
      ...(order.paymentMessage === undefined ? {} : { paymentMessage: order.paymentMessage }),
      ...(order.privateAdminNotes === undefined ? {} : { privateAdminNotes: order.privateAdminNotes }),
      updateDate: order.updatedAt,
    });
  });

  api.use((_req, res) => ecwidError(res, 404, 'NOT_FOUND', 'Unknown endpoint'));
  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (res.headersSent) return next(err);
    if (status && status >= 400 && status < 500) {
      return ecwidError(res, status, 'BAD_REQUEST', 'Malformed request body');
    }
    return ecwidError(res, 500, 'INTERNAL_ERROR', 'Internal error');
  });

  router.use('/api/v3', api);

  // ---------------------------------------------------------------- Control API (tests)

  const control = express.Router();
  control.use(express.json({ limit: '1mb' }));

  faultsRoute(control, faultsSchema, (f) => {
    applyHangDelayFaults(state, f);
    if (f.rateLimitNext !== undefined) {
      if (typeof f.rateLimitNext === 'number') state.rateLimitNext(f.rateLimitNext);
      else state.rateLimitNext(f.rateLimitNext.retryAfterSeconds, f.rateLimitNext.count);
    }
    if (f.failRate !== undefined) {
      if (f.failRate === null) state.failRate(0);
      else if (typeof f.failRate === 'number') state.failRate(f.failRate);
      else state.failRate(f.failRate.p, f.failRate.status, f.failRate.seed);
    }
    return state.faults;
  });

  control.get('/faults', (_req, res) => {
    res.json(state.faults);
  });

  control.post('/reset', (_req, res) => {
    state.reset();
    res.json({ ok: true });
  });

  control.get('/updates', (req, res) => {
    const storeId = typeof req.query.storeId === 'string' ? req.query.storeId : undefined;
    const orderRef = typeof req.query.orderRef === 'string' ? req.query.orderRef : undefined;
    res.json({
      updates: state.updates.filter(
        (u) =>
          (storeId === undefined || u.storeId === storeId) &&
          (orderRef === undefined || u.orderRef === orderRef),
      ),
    });
  });

  control.get('/orders/:storeId/:orderRef', (req, res) => {
    const order = state.getOrder(Number(req.params.storeId), req.params.orderRef);
    if (!order) return res.status(404).json({ error: 'order not found' });
    res.json(orderView(order));
  });

  /** Creates an order as the storefront would and returns the request (for tests driving a browser). */
  control.post('/orders', (req, res) => {
    const input = parseControlBody(controlOrderSchema, req.body, res, 'invalid order');
    if (!input) return;
    const storeId = input.storeId ?? DEFAULT_STORE_ID;
    const token = state.ensureStore(storeId, input.token);
    const json = buildPaymentRequest({
      ...input,
      storeId,
      token,
      clientId: opts.clientId,
      simulatorBaseUrl: baseUrlOf(req, res),
    } satisfies PaymentRequestInput);
    state.registerRequest(json);
    res.status(201).json({ json, ...encryptPaymentRequest(json, opts.clientSecret), paymentUrl });
  });

  /** Sets a store's token, or revokes it with `{ "token": null }` (every API call then gets 403). */
  control.post('/stores/:storeId/token', (req, res) => {
    const storeId = Number(req.params.storeId);
    const body = z.object({ token: z.string().min(1).max(1000).nullable() }).safeParse(req.body ?? {});
    if (!Number.isSafeInteger(storeId) || storeId <= 0 || !body.success) {
      return res.status(400).json({ error: 'expected a numeric storeId and {"token": string | null}' });
    }
    state.setStoreToken(storeId, body.data.token);
    res.json({ storeId, revoked: body.data.token === null });
  });

  router.use('/_control', control);

  // ---------------------------------------------------------------- Storefront

  const store = express.Router();
  store.use(express.urlencoded({ extended: false, limit: '100kb' }));

  store.get('/', async (req, res) => {
    const lang = simLang(req.query.lang);
    const orders = state
      .listOrders()
      .slice(-10)
      .reverse()
      .map((o) => orderView(o));
    await render(res, 'store', {
      lang,
      t: simTexts(lang),
      base: mountPath(res),
      carts: DEMO_CARTS.map((cart) => ({ ...cart, totals: cartTotals(cart.currency, cart.items) })),
      orders,
      defaultStoreId: DEFAULT_STORE_ID,
    });
  });

  store.post('/checkout', async (req, res) => {
    const parsed = checkoutFormSchema.safeParse(req.body ?? {});
    const lang = simLang(parsed.success ? parsed.data.lang : undefined);
    const t = simTexts(lang);
    if (!parsed.success) return errorPage(res, lang, 400, t.invalidCheckout);
    const form = parsed.data;
    const storeId = form.storeId ?? DEFAULT_STORE_ID;
    const token = state.ensureStore(storeId);
    const simulatorBaseUrl = baseUrlOf(req, res);

    let json: EcwidPaymentRequestJson;
    if (form.orderRef) {
      // "Go to Payment" again: the same order, a new returnUrl.
      const existing = state.getOrder(storeId, form.orderRef);
      if (!existing) return errorPage(res, lang, 404, t.orderNotFound);
      const now = Date.now();
      json = {
        storeId,
        returnUrl: buildReturnUrl(
          simulatorBaseUrl,
          storeId,
          existing.referenceTransactionId,
          opts.clientId,
          newReturnKey(),
          now,
        ),
        token,
        lang: form.lang ?? existing.lang,
        merchantAppSettings: existing.merchantAppSettings,
        cart: {
          currency: existing.currency,
          order: { ...existing.order, updateTimestamp: Math.floor(now / 1000) },
        },
      };
    } else {
      const cart = form.cartId ? findCart(form.cartId) : undefined;
      if (form.cartId && !cart) return errorPage(res, lang, 400, t.invalidCheckout);
      if (!cart && (form.currency === undefined || form.total === undefined)) {
        return errorPage(res, lang, 400, t.invalidCheckout);
      }
      json = buildPaymentRequest({
        simulatorBaseUrl,
        clientId: opts.clientId,
        storeId,
        token,
        lang: form.lang ?? lang,
        ...(form.email ? { email: form.email } : {}),
        ...(cart
          ? { currency: cart.currency, items: cart.items }
          : { currency: form.currency, total: form.total }),
      });
    }
    state.registerRequest(json);
    const fields = encryptPaymentRequest(json, opts.clientSecret);
    await render(res, 'checkout', {
      lang,
      t,
      base: mountPath(res),
      paymentUrl,
      enc_data: fields.enc_data,
      data: fields.data,
      order: { id: json.cart.order.id, total: json.cart.order.total, currency: json.cart.currency },
    });
  });

  store.get('/return/:storeId/:orderRef', async (req, res) => {
    const storeId = Number(req.params.storeId);
    const order = Number.isSafeInteger(storeId) ? state.getOrder(storeId, req.params.orderRef) : undefined;
    const lang = simLang(typeof req.query.lang === 'string' ? req.query.lang : order?.lang);
    const t = simTexts(lang);
    if (!order) return errorPage(res, lang, 404, t.orderNotFound);
    const { clientId, key, timestamp } = req.query;
    // Ecwid only honours the return links it issued: the app must use returnUrl unchanged.
    if (
      clientId !== opts.clientId ||
      typeof key !== 'string' ||
      !order.returnKeys.includes(key) ||
      typeof timestamp !== 'string' ||
      !/^\d+$/.test(timestamp)
    ) {
      return errorPage(res, lang, 400, t.invalidReturn);
    }
    const rawError = req.query.errorMsg;
    const errorMsg = typeof rawError === 'string' ? rawError.slice(0, 1000) : undefined;
    await render(res, 'return', {
      lang,
      t,
      base: mountPath(res),
      order: orderView(order),
      view: returnViewFor(order.paymentStatus),
      errorMsg: order.paymentStatus === 'INCOMPLETE' ? errorMsg : undefined,
    });
  });

  router.use('/store', store);

  // ---------------------------------------------------------------- Admin (merchant view)

  /**
   * The Ecwid admin as a merchant sees it: the app's settings page in an iframe of another origin
   * (localhost ↔ 127.0.0.1), opened with an encrypted payload exactly as Ecwid does.
   */
  router.get('/admin', async (req, res) => {
    const lang = simLang(req.query.lang);
    const storeId = Number(req.query.storeId ?? DEFAULT_STORE_ID);
    if (!Number.isSafeInteger(storeId) || storeId <= 0)
      return errorPage(res, lang, 400, simTexts(lang).invalidCheckout);
    const token = state.ensureStore(storeId);
    const payload = encryptEcwidPayload(
      JSON.stringify({ store_id: storeId, access_token: token, lang, view_mode: 'PAGE' }),
      opts.clientSecret,
      'cbc',
    );
    const settings = new URL('/settings', paymentUrl.startsWith('http') ? paymentUrl : baseUrlOf(req, res));
    // Another origin than the admin page's own, as Ecwid's admin (my.ecwid.com) is to the app.
    settings.hostname = req.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    settings.searchParams.set('payload', payload);
    settings.searchParams.set('app_state', '');
    await render(
      res,
      'admin',
      { lang, t: simTexts(lang), base: mountPath(res), settingsUrl: settings.toString(), storeId },
      200,
      settings.origin,
    );
  });

  return {
    router,
    state,
    setPaymentUrl(url: string) {
      paymentUrl = url;
    },
  };
}

type ReturnView = 'paid' | 'placed' | 'checkout' | 'paymentError' | 'refunded';

/** What Ecwid shows after the redirect to returnUrl, by payment status. */
function returnViewFor(status: SimOrder['paymentStatus']): ReturnView {
  switch (status) {
    case 'PAID':
      return 'paid';
    case 'AWAITING_PAYMENT':
      return 'placed';
    case 'INCOMPLETE':
      return 'checkout';
    case 'CANCELLED':
      return 'paymentError';
    case 'REFUNDED':
    case 'PARTIALLY_REFUNDED':
      return 'refunded';
  }
}

function cartTotals(currency: string, items: CartItemInput[]) {
  const json = buildPaymentRequest({ currency, items, token: 'secret_preview' });
  const o = json.cart.order;
  return {
    subtotal: o.subtotal,
    shipping: o.shippingOption.shippingRate,
    handlingFee: o.handlingFee.value,
    total: o.total,
  };
}
