import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { VIEWS_DIR } from '../../paths';
import { faultsRoute } from '../control';
import { applyHangDelayFaults, hangDelayFaultsShape } from '../faults';
import { trackMount } from '../mount';
import { pageRenderer } from '../render';
import { simLang, type SimLang } from '../i18n';
import { etpaySimTexts, formatEtpayAmount } from './i18n';
import {
  EtpaySimulatorState,
  SIM_BANKS,
  signAttempt,
  type SimApiCall,
  type SimAttempt,
  type SimSession,
} from './state';

/** Demo-mode merchant account of the simulator (not a secret: nothing real is behind it). */
export const DEMO_ETPAY_MERCHANT_CODE = 'cl_demo_tienda';
export const DEMO_ETPAY_MERCHANT_API_TOKEN = 'demo-etpay-merchant-api-token-0123456789';

export interface EtpaySimulatorOptions {
  /** The merchant code the simulator accepts (`cl_…` → CLP, `mx_…` → MXN). */
  merchantCode?: string;
  /** The merchant API token it accepts. */
  merchantApiToken?: string;
  /** The account currency; by default from the merchant code. */
  currency?: string;
  /**
   * Absolute URL where this router is reachable (e.g. `https://app.example.com/sandbox/etpay`); then
   * `api_url` is `${publicBaseUrl}/api` and `pmt_url` `${publicBaseUrl}/pmt`. Informational: the
   * simulator's own links are relative to its mount path.
   */
  publicBaseUrl?: string;
  /** How long an action waits for the app's answer to its notification before redirecting (ms). */
  notificationTimeoutMs?: number;
}

export interface EtpaySimulator {
  router: Router;
  state: EtpaySimulatorState;
  /** `${publicBaseUrl}/api` and `${publicBaseUrl}/pmt` when a publicBaseUrl was given. */
  apiUrl?: string;
  pmtUrl?: string;
}

const SIM_VIEWS = path.join(VIEWS_DIR, 'sandbox', 'etpay');
const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

/** What the simulated `session/initialize` accepts (ETpay's documented fields; others are ignored). */
const initializeSchema = z.object({
  merchant_order_id: z
    .string({ error: 'merchant_order_id is required' })
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'merchant_order_id must be 1-64 letters, digits or hyphens'),
  order_amount: z
    .number({ error: 'order_amount is required' })
    .int('order_amount must be an integer')
    .positive('order_amount must be positive'),
  customer_email: z.string().max(320).optional(),
  metadata: z
    .array(z.object({ name: z.string().min(1).max(100), value: z.string().max(500), show: z.boolean() }))
    .max(20)
    .optional(),
  user_bank_code: z.string().max(50).optional(),
  payment_completed_url: httpUrl.optional(),
  payment_cancellation_url: httpUrl.optional(),
  payment_webhook_url: httpUrl.optional(),
  concat: z.string().max(5).optional(),
});

const statusQuerySchema = z.object({
  session_token: z.string().min(1).optional(),
  merchant_order_id: z.string().min(1).optional(),
  payment_token: z.string().min(1).optional(),
});

const faultsSchema = z
  .object({
    ...hangDelayFaultsShape,
    notifications: z
      .object({
        drop: z.number().int().min(0).max(10_000).optional(),
        copies: z.number().int().min(0).max(20).optional(),
        delayMs: z.number().min(0).max(600_000).optional(),
        hold: z.boolean().optional(),
        retries: z.number().int().min(0).max(10).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const actionSchema = z.object({
  action: z.enum(['approve', 'reject', 'cancel']),
  bank: z.string().max(50).optional(),
  lang: z.string().max(10).optional(),
});

/** `url` + separator + `jwt=…`, the separator being `concat` when the merchant gave one (else `?`), as ETpay does. */
export function returnUrlWithJwt(url: string, jwt: string, concat: string | undefined): string {
  return `${url}${concat ?? '?'}jwt=${encodeURIComponent(jwt)}`;
}

/**
 * The ETpay simulator: the API (`/api/session/initialize`, `/api/merchant/check_payment_status`), the
 * funnel (`/pmt/session/:token`) and a control API for tests (`/_control`). Paths are relative to
 * where the router is mounted; `api_url` = `<mount>/api`, `pmt_url` = `<mount>/pmt`.
 */
export function createEtpaySimulator(opts: EtpaySimulatorOptions = {}): EtpaySimulator {
  const merchantCode = opts.merchantCode ?? DEMO_ETPAY_MERCHANT_CODE;
  const state = new EtpaySimulatorState({
    merchantCode,
    merchantApiToken: opts.merchantApiToken ?? DEMO_ETPAY_MERCHANT_API_TOKEN,
    currency: opts.currency ?? (merchantCode.toLowerCase().startsWith('mx_') ? 'MXN' : 'CLP'),
    ...(opts.notificationTimeoutMs !== undefined
      ? { notificationTimeoutMs: opts.notificationTimeoutMs }
      : {}),
  });
  const router = express.Router();
  const { mountPath } = trackMount(router);

  // ---------------------------------------------------------------- API

  const api = express.Router();
  api.use(express.json({ limit: '100kb', type: () => true }));

  const fail = (res: Response, call: SimApiCall, status: number, message: string) => {
    call.status = status;
    res.status(status).json({ message });
  };

  /** Faults first: hang/delay, then a queued failure. False when the answer is already decided. */
  async function applyFaults(res: Response, call: SimApiCall): Promise<boolean> {
    const wasHanging = state.hang;
    const outcome = await state.hold();
    if (outcome === 'aborted') return false;
    if ((wasHanging || state.delayMs > 0) && res.req.socket.destroyed) {
      // The client gave up (timeout): the answer goes nowhere.
      call.fault = 'abandoned';
      return false;
    }
    const status = state.nextFailure();
    if (status === undefined) return true;
    call.fault = 'fail';
    fail(res, call, status, `Simulated failure (HTTP ${status})`);
    return false;
  }

  api.post('/session/initialize', async (req, res) => {
    const call = state.recordCall('/session/initialize');
    if (!(await applyFaults(res, call))) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) {
      return fail(res, call, 400, 'The body must be a JSON object');
    }
    if (body.merchant_code !== state.merchantCode || body.merchant_api_token !== state.merchantApiToken) {
      return fail(res, call, 401, 'Invalid merchant credentials');
    }
    const parsed = initializeSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(res, call, 400, `Invalid ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const b = parsed.data;
    const session = state.createSession({
      merchantCode: state.merchantCode,
      merchantOrderId: b.merchant_order_id,
      orderAmount: b.order_amount,
      currency: state.currency,
      ...(b.customer_email !== undefined ? { customerEmail: b.customer_email } : {}),
      metadata: b.metadata ?? [],
      ...(b.user_bank_code !== undefined ? { userBankCode: b.user_bank_code } : {}),
      ...(b.payment_completed_url !== undefined ? { completedUrl: b.payment_completed_url } : {}),
      ...(b.payment_cancellation_url !== undefined ? { cancellationUrl: b.payment_cancellation_url } : {}),
      ...(b.payment_webhook_url !== undefined ? { webhookUrl: b.payment_webhook_url } : {}),
      ...(b.concat !== undefined ? { concat: b.concat } : {}),
      request: { ...body, merchant_api_token: '[merchant_api_token]' },
    });
    call.status = 200;
    res.json({ token: session.token, signature_token: session.signatureToken });
  });

  api.post('/merchant/check_payment_status', async (req, res) => {
    const call = state.recordCall('/merchant/check_payment_status');
    if (!(await applyFaults(res, call))) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (
      body.merchant_api_token !== state.merchantApiToken ||
      (body.merchant_code !== undefined && body.merchant_code !== state.merchantCode)
    ) {
      return fail(res, call, 401, 'Invalid merchant credentials');
    }
    const parsed = statusQuerySchema.safeParse(body);
    const q = parsed.success ? parsed.data : {};
    if (!q.session_token && !q.merchant_order_id && !q.payment_token) {
      return fail(res, call, 400, 'One of session_token, merchant_order_id or payment_token is required');
    }
    call.status = 200;
    res.json(state.findAttempts(q));
  });

  api.use((_req, res) => res.status(404).json({ message: 'Not found' }));
  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500)
      return res.status(status).json({ message: 'Malformed body' });
    return res.status(500).json({ message: 'Internal error' });
  });
  router.use('/api', api);

  // ---------------------------------------------------------------- Funnel (shopper pages)

  const page = pageRenderer(SIM_VIEWS, { formatEtpayAmount });
  /** `formTargets`: the merchant's URLs the funnel's forms are redirected to. */
  const render = (
    res: Response,
    view: string,
    lang: SimLang,
    data: Record<string, unknown>,
    status = 200,
    formTargets: (string | undefined)[] = [],
  ): Promise<void> =>
    page(res, view, { lang, t: etpaySimTexts(lang), base: mountPath(res), ...data }, status, { formTargets });

  const errorPage = (res: Response, lang: SimLang, status: number, message: string) =>
    render(res, 'error', lang, { message }, status);

  const funnelData = (session: SimSession) => ({
    session: {
      token: session.token,
      merchantCode: session.merchantCode,
      merchantOrderId: session.merchantOrderId,
      amount: session.orderAmount,
      currency: session.currency,
      metadata: session.metadata.filter((m) => m.show),
      userBankCode: session.userBankCode,
      cancellationUrl: session.cancellationUrl,
      attempts: session.attempts.map((a) => ({
        status: a.status,
        bankName: a.bankName,
        date: a.paymentDate,
      })),
    },
    banks: SIM_BANKS[session.currency === 'MXN' ? 'MXN' : 'CLP'],
  });

  const pmt = express.Router();
  pmt.use(express.urlencoded({ extended: false, limit: '10kb' }));

  pmt.get('/session/:token', async (req, res) => {
    const lang = simLang(req.query.lang);
    const session = state.session(req.params.token);
    if (!session) return errorPage(res, lang, 404, etpaySimTexts(lang).sessionNotFound);
    if (state.isPaid(session)) {
      return render(res, 'done', lang, { outcome: 'paid', nextUrl: session.completedUrl });
    }
    await render(res, 'funnel', lang, funnelData(session), 200, [
      session.completedUrl,
      session.cancellationUrl,
    ]);
  });

  pmt.post('/session/:token', async (req, res) => {
    const parsed = actionSchema.safeParse(req.body ?? {});
    const lang = simLang(parsed.success ? parsed.data.lang : req.query.lang);
    const t = etpaySimTexts(lang);
    const session = state.session(req.params.token);
    if (!session) return errorPage(res, lang, 404, t.sessionNotFound);
    if (!parsed.success) return errorPage(res, lang, 400, t.invalidAction);
    if (state.isPaid(session)) return errorPage(res, lang, 409, t.alreadyPaid);
    const { action, bank } = parsed.data;

    if (action === 'cancel') {
      if (session.cancellationUrl) return res.redirect(303, session.cancellationUrl);
      return render(res, 'done', lang, { outcome: 'cancelled' });
    }
    const attempt = state.addAttempt(session, {
      status: action === 'approve' ? 'success' : 'failed',
      ...(bank ? { bankCode: bank } : {}),
    });
    await state.notify(session, attempt);
    const target = action === 'approve' ? session.completedUrl : session.cancellationUrl;
    if (!target) return render(res, 'done', lang, { outcome: action === 'approve' ? 'paid' : 'failed' });
    res.redirect(303, returnUrlWithJwt(target, await signAttempt(session, attempt), session.concat));
  });

  router.use('/pmt', pmt);

  // ---------------------------------------------------------------- Control API (tests)

  const control = express.Router();
  control.use(express.json({ limit: '100kb' }));

  /** A session for people and browser tests: never its signature_token. */
  const sessionView = (s: SimSession) => ({
    token: s.token,
    merchantOrderId: s.merchantOrderId,
    orderAmount: s.orderAmount,
    currency: s.currency,
    completedUrl: s.completedUrl ?? null,
    cancellationUrl: s.cancellationUrl ?? null,
    webhookUrl: s.webhookUrl ?? null,
    concat: s.concat ?? null,
    metadata: s.metadata,
    attempts: s.attempts.map((a: SimAttempt) => ({
      paymentToken: a.paymentToken,
      status: a.status,
      bankCode: a.bankCode,
      paymentDate: a.paymentDate,
    })),
    createdAt: s.createdAt,
  });

  control.get('/sessions', (_req, res) => {
    res.json({ sessions: state.sessions.map(sessionView) });
  });

  control.get('/sessions/:token', (req, res) => {
    const session = state.session(req.params.token);
    if (!session) return res.status(404).json({ error: 'session not found' });
    res.json(sessionView(session));
  });

  /** An attempt without the browser: `{"status": "success" | "failed" | …, "bank"?: code}`; notifies as the knobs say. */
  control.post('/sessions/:token/attempts', async (req, res) => {
    const session = state.session(req.params.token);
    if (!session) return res.status(404).json({ error: 'session not found' });
    const body = z
      .object({ status: z.string().min(1).max(50), bank: z.string().max(50).optional() })
      .safeParse(req.body ?? {});
    if (!body.success) return res.status(400).json({ error: 'expected {"status": string}' });
    const attempt = state.addAttempt(session, {
      status: body.data.status,
      ...(body.data.bank ? { bankCode: body.data.bank } : {}),
    });
    await state.notify(session, attempt);
    res.status(201).json({ paymentToken: attempt.paymentToken, status: attempt.status });
  });

  faultsRoute(control, faultsSchema, (f) => {
    applyHangDelayFaults(state, f);
    if (f.notifications) {
      const n = f.notifications;
      state.notifications = {
        ...state.notifications,
        ...(n.drop !== undefined ? { drop: n.drop } : {}),
        ...(n.copies !== undefined ? { copies: n.copies } : {}),
        ...(n.delayMs !== undefined ? { delayMs: n.delayMs } : {}),
        ...(n.hold !== undefined ? { hold: n.hold } : {}),
        ...(n.retries !== undefined ? { retries: n.retries } : {}),
      };
    }
    return { delayMs: state.delayMs, hang: state.hang, notifications: state.notifications };
  });

  control.post('/notifications/release', async (req, res) => {
    const reverse = (req.body as { reverse?: unknown } | undefined)?.reverse === true;
    const count = state.heldNotifications;
    await state.releaseNotifications({ reverse });
    res.json({ released: count });
  });

  control.get('/deliveries', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    res.json({
      deliveries: (token ? state.deliveriesFor(token) : state.deliveries).map(({ jwt: _jwt, ...d }) => d),
    });
  });

  control.post('/reset', (_req, res) => {
    state.reset();
    res.json({ ok: true });
  });

  router.use('/_control', control);

  const base = opts.publicBaseUrl?.replace(/\/+$/, '');
  return {
    router,
    state,
    ...(base ? { apiUrl: `${base}/api`, pmtUrl: `${base}/pmt` } : {}),
  };
}
