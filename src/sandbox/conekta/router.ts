import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { VIEWS_DIR } from '../../paths';
import { faultsRoute } from '../control';
import { failNextShape } from '../faults';
import { trackMount } from '../mount';
import { pageRenderer } from '../render';
import { formatCents, formatDate, simLang, simTexts, type SimTexts } from './i18n';
import {
  ConektaSimulatorState,
  newLogId,
  TEST_CARDS,
  type ConektaStateOptions,
  type NewOrderInput,
  type SimCharge,
  type SimLang,
  type SimOrderRecord,
} from './state';

export interface ConektaSimulatorOptions extends ConektaStateOptions {
  /**
   * Absolute URL where this router is reachable (e.g. `https://app.example.com/sandbox/conekta`),
   * used in checkout URLs. Without it, it is derived from each request (protocol, Host, mount path).
   */
  publicBaseUrl?: string;
  /** Where every event is delivered (the app's `POST /webhooks/conekta`), as set in a dashboard. */
  webhookUrl?: string;
}

export interface ConektaSimulator {
  router: Router;
  state: ConektaSimulatorState;
  /** Changes where every event is delivered (null: only webhooks registered through the API). */
  setWebhookUrl(url: string | null): void;
}

/** The test-mode private key the demo-mode simulator accepts (demo only: no real account behind it). */
export const DEMO_CONEKTA_PRIVATE_KEY = 'key_demoConektaSimulator';

const SIM_VIEWS = path.join(VIEWS_DIR, 'sandbox', 'conekta');
const PAYMENT_METHODS = ['card', 'cash', 'bank_transfer'] as const;

interface Detail {
  param: string;
  code: string;
  es: string;
  en: string;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'malformed_request_error',
  401: 'authentication_error',
  402: 'processing_error',
  403: 'authorization_error',
  404: 'resource_not_found_error',
  422: 'parameter_validation_error',
  428: 'precondition_required_error',
  429: 'too_many_requests_error',
};

/** Conekta's error shape: `{object, type, log_id, details: [{message, debug_message, param, code}]}`. */
function conektaError(res: Response, status: number, lang: SimLang, details: Detail[], type?: string): void {
  res.status(status).json({
    object: 'error',
    type: type ?? ERROR_TYPES[status] ?? 'api_error',
    log_id: newLogId(),
    details: details.map((d) => ({
      debug_message: d.en,
      message: lang === 'en' ? d.en : d.es,
      param: d.param,
      code: d.code,
    })),
  });
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates `POST /orders` as Conekta does (the parts the simulator models) and computes the amount. */
export function validateOrder(
  body: unknown,
  nowSeconds: number,
): { ok: true; value: NewOrderInput } | { ok: false; details: Detail[] } {
  const details: Detail[] = [];
  const bad = (param: string, es: string, en: string) =>
    details.push({
      param,
      code: `conekta.errors.parameter_validation.${param.replace(/\[\d+\]/g, '')}`,
      es,
      en,
    });
  if (!isObject(body)) {
    bad('body', 'El cuerpo debe ser un objeto JSON.', 'The body must be a JSON object.');
    return { ok: false, details };
  }
  const currency = body.currency;
  if (typeof currency !== 'string' || !['MXN', 'USD'].includes(currency.toUpperCase())) {
    bad('currency', 'La moneda no es válida (MXN o USD).', 'The currency is not valid (MXN or USD).');
  }

  const customer = body.customer_info;
  if (!isObject(customer)) {
    bad('customer_info', 'customer_info es requerido.', 'customer_info is required.');
  } else if (typeof customer.customer_id !== 'string') {
    if (typeof customer.name !== 'string' || customer.name.trim() === '') {
      bad('customer_info.name', 'El nombre del cliente es requerido.', 'The customer name is required.');
    }
    if (typeof customer.email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(customer.email)) {
      bad('customer_info.email', 'El correo del cliente no es válido.', 'The customer email is not valid.');
    }
    if (typeof customer.phone !== 'string' || customer.phone.replace(/\D/g, '').length < 10) {
      bad('customer_info.phone', 'El teléfono del cliente no es válido.', 'The customer phone is not valid.');
    }
  }

  const lines = body.line_items;
  let amount = 0;
  if (!Array.isArray(lines) || lines.length === 0) {
    bad('line_items', 'Se requiere al menos un line_item.', 'At least one line item is required.');
  } else {
    lines.forEach((l: unknown, i) => {
      if (!isObject(l)) return bad(`line_items[${i}]`, 'Debe ser un objeto.', 'Must be an object.');
      const chars = typeof l.name === 'string' ? Array.from(l.name).length : 0;
      if (chars < 3 || chars > 249) {
        bad(
          `line_items[${i}].name`,
          'El nombre debe tener de 3 a 249 caracteres.',
          'The name must have 3 to 249 characters.',
        );
      }
      if (!isInt(l.unit_price, 0)) {
        bad(
          `line_items[${i}].unit_price`,
          'unit_price debe ser un entero en centavos.',
          'unit_price must be an integer in cents.',
        );
      }
      if (!isInt(l.quantity, 1)) {
        bad(
          `line_items[${i}].quantity`,
          'quantity debe ser un entero mayor que 0.',
          'quantity must be an integer above 0.',
        );
      }
      if (isInt(l.unit_price, 0) && isInt(l.quantity, 1)) amount += l.unit_price * l.quantity;
    });
  }
  const extra = (
    name: 'shipping_lines' | 'tax_lines' | 'discount_lines',
  ): { amount: number }[] | undefined => {
    const v = body[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      bad(name, `${name} debe ser una lista.`, `${name} must be a list.`);
      return undefined;
    }
    return v.map((x: unknown, i) => {
      const a = isObject(x) ? x.amount : undefined;
      if (!isInt(a, 0)) {
        bad(
          `${name}[${i}].amount`,
          'amount debe ser un entero en centavos.',
          'amount must be an integer in cents.',
        );
        return { amount: 0 };
      }
      return { amount: a };
    });
  };
  const shipping = extra('shipping_lines');
  const tax = extra('tax_lines');
  const discount = extra('discount_lines');
  const sum = (xs?: { amount: number }[]) => (xs ?? []).reduce((s, x) => s + x.amount, 0);
  amount += sum(shipping) + sum(tax) - sum(discount);

  const metadata = body.metadata ?? {};
  if (!isObject(metadata)) {
    bad('metadata', 'metadata debe ser un objeto.', 'metadata must be an object.');
  } else {
    if (Object.keys(metadata).length > 100)
      bad('metadata', 'metadata admite hasta 100 llaves.', 'metadata takes up to 100 keys.');
    for (const [k, v] of Object.entries(metadata)) {
      if (v !== null && typeof v === 'object') {
        bad(
          `metadata.${k}`,
          'Los valores de metadata deben ser escalares.',
          'metadata values must be scalars.',
        );
      }
    }
  }

  let checkout: NewOrderInput['checkout'];
  if (body.checkout !== undefined) {
    const c = body.checkout;
    if (!isObject(c)) {
      bad('checkout', 'checkout debe ser un objeto.', 'checkout must be an object.');
    } else {
      if (c.type !== 'HostedPayment' && c.type !== 'Integration') {
        bad('checkout.type', 'checkout.type no es válido.', 'checkout.type is not valid.');
      }
      const methods = c.allowed_payment_methods;
      if (
        !Array.isArray(methods) ||
        methods.length === 0 ||
        methods.some((m) => !(PAYMENT_METHODS as readonly unknown[]).includes(m))
      ) {
        bad(
          'checkout.allowed_payment_methods',
          'allowed_payment_methods debe incluir card, cash o bank_transfer.',
          'allowed_payment_methods must list card, cash or bank_transfer.',
        );
      }
      for (const field of ['success_url', 'failure_url'] as const) {
        if (c.type === 'HostedPayment' && !isHttpUrl(c[field])) {
          bad(`checkout.${field}`, `${field} debe ser una URL válida.`, `${field} must be a valid URL.`);
        }
      }
      if (!isInt(c.expires_at, nowSeconds + 1)) {
        bad(
          'checkout.expires_at',
          'expires_at debe ser una fecha futura (Unix).',
          'expires_at must be a future Unix time.',
        );
      }
      if (body.charges !== undefined) {
        bad('charges', 'No envíes charges con un checkout.', 'Do not send charges with a checkout.');
      }
      checkout = {
        type: c.type as 'HostedPayment',
        name: typeof c.name === 'string' ? c.name : 'Checkout',
        allowed_payment_methods: Array.isArray(methods) ? (methods as string[]) : [],
        success_url: String(c.success_url ?? ''),
        failure_url: String(c.failure_url ?? ''),
        expires_at: Number(c.expires_at),
        ...(isInt(c.redirection_time, 0) ? { redirection_time: c.redirection_time } : {}),
        ...(c.on_demand_enabled === true ? { on_demand_enabled: true } : {}),
      };
    }
  }
  if (body.three_ds_mode !== undefined && body.three_ds_mode !== 'smart' && body.three_ds_mode !== 'strict') {
    bad('three_ds_mode', 'three_ds_mode debe ser smart o strict.', 'three_ds_mode must be smart or strict.');
  }
  if (body.return_url !== undefined && !isHttpUrl(body.return_url)) {
    bad('return_url', 'return_url debe ser una URL válida.', 'return_url must be a valid URL.');
  }
  if (details.length === 0 && (amount <= 0 || !Number.isSafeInteger(amount))) {
    bad('amount', 'El total de la orden debe ser mayor que 0.', 'The order total must be above 0.');
  }
  if (details.length > 0) return { ok: false, details };
  return {
    ok: true,
    value: {
      currency: (currency as string).toUpperCase(),
      customer_info: customer as Record<string, unknown>,
      line_items: (lines as Record<string, unknown>[]).map((l) => ({
        name: l.name as string,
        unit_price: l.unit_price as number,
        quantity: l.quantity as number,
        ...(typeof l.sku === 'string' ? { sku: l.sku } : {}),
      })),
      ...(shipping ? { shipping_lines: shipping } : {}),
      ...(tax ? { tax_lines: tax } : {}),
      ...(discount ? { discount_lines: discount } : {}),
      metadata: metadata as NewOrderInput['metadata'],
      ...(checkout ? { checkout } : {}),
      ...(typeof body.three_ds_mode === 'string' ? { three_ds_mode: body.three_ds_mode } : {}),
      ...(typeof body.return_url === 'string' ? { return_url: body.return_url } : {}),
      amount,
    },
  };
}

const faultsSchema = z
  .object({
    clear: z.boolean().optional(),
    failNext: z.object({ ...failNextShape, message: z.string().max(500).optional() }).optional(),
    delayMs: z.number().min(0).max(600_000).optional(),
    loseWebhooks: z.number().int().min(0).max(10_000).optional(),
    duplicateWebhooks: z.number().int().min(0).max(10_000).optional(),
    holdWebhooks: z.boolean().optional(),
    webhookDelayMs: z.number().min(0).max(600_000).optional(),
    lateChargeAnswerMs: z.number().min(0).max(600_000).optional(),
    dropCharges: z.number().int().min(0).max(100).optional(),
  })
  .strict();

/**
 * The Conekta simulator: the REST API (`/orders`, `/orders/:id`, `/orders/:id/refunds`,
 * `/webhooks`), the hosted checkout pages (`/checkout/:id`) and a control API for tests and the
 * demo (`/_control`). Paths are relative to where the router is mounted.
 */
export function createConektaSimulator(opts: ConektaSimulatorOptions = {}): ConektaSimulator {
  const state = new ConektaSimulatorState(opts);
  if (opts.webhookUrl) state.setWebhookUrl(opts.webhookUrl);
  const router = express.Router();
  const { mountPath, baseUrlOf } = trackMount(router, opts.publicBaseUrl);

  // ---------------------------------------------------------------- REST API

  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));

  function requestLang(req: Request): SimLang {
    return simLang(req.get('accept-language'));
  }

  /** Key from `Bearer <key>` or HTTP Basic `<key>:` (older docs). */
  function keyOf(req: Request): { key?: string; scheme?: 'Bearer' | 'Basic' } {
    const header = req.get('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) return { key: bearer[1]!, scheme: 'Bearer' };
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (basic) {
      const user = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
      return user ? { key: user, scheme: 'Basic' } : {};
    }
    return {};
  }

  /** Records the call, applies delay and queued faults, checks the key. Returns the key or null (answered). */
  async function gate(req: Request, res: Response): Promise<string | null> {
    const { key, scheme } = keyOf(req);
    const mode = key === undefined ? undefined : state.keyMode(key);
    const record = state.recordRequest({
      method: req.method,
      path: req.path,
      auth: key === undefined ? 'missing' : mode === undefined ? 'invalid' : 'ok',
      ...(scheme ? { authScheme: scheme } : {}),
      ...(req.get('accept') ? { accept: req.get('accept') } : {}),
      ...(req.get('accept-language') ? { acceptLanguage: req.get('accept-language') } : {}),
      ...(req.method === 'POST' ? { body: req.body as unknown } : {}),
    });
    res.on('finish', () => (record.status = res.statusCode));
    if (!(await state.hold())) return null;
    const lang = requestLang(req);
    const fault = state.nextFault();
    if (fault) {
      record.fault = true;
      conektaError(res, fault.status, lang, [
        {
          param: '',
          code: 'conekta.errors.simulated',
          es: fault.message ?? `Falla simulada (HTTP ${fault.status}).`,
          en: fault.message ?? `Simulated failure (HTTP ${fault.status}).`,
        },
      ]);
      return null;
    }
    if (key === undefined || mode === undefined) {
      conektaError(res, 401, lang, [
        {
          param: '',
          code: 'conekta.errors.authentication.missing_key',
          es: 'Acceso no autorizado: la llave privada falta o no es válida.',
          en: 'Unauthorized access: the private key is missing or not valid.',
        },
      ]);
      return null;
    }
    return key;
  }

  function orderNotFound(res: Response, lang: SimLang, id: string): void {
    conektaError(res, 404, lang, [
      {
        param: 'id',
        code: 'conekta.errors.resource_not_found.entity',
        es: `No se encontró la orden ${id}.`,
        en: `The order ${id} was not found.`,
      },
    ]);
  }

  /** `gate`, then the order of the path if this key may read it: null when already answered (404 included). */
  async function gateOrder(
    req: Request,
    res: Response,
  ): Promise<{ lang: SimLang; record: SimOrderRecord } | null> {
    const key = await gate(req, res);
    if (key === null) return null;
    const lang = requestLang(req);
    const id = String(req.params.id);
    const record = state.getOrder(id);
    if (record && state.canRead(record, key)) return { lang, record };
    orderNotFound(res, lang, id);
    return null;
  }

  api.post('/orders', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const lang = requestLang(req);
    const checked = validateOrder(req.body, Math.floor(state.now() / 1000));
    if (!checked.ok) return conektaError(res, 422, lang, checked.details);
    const v = checked.value;
    const customerId = v.customer_info.customer_id;
    if (typeof customerId === 'string') {
      const customer = state.getCustomer(customerId, key);
      if (!customer) return customerNotFound(res, lang, customerId, 'customer_info.customer_id');
      v.customer_info = {
        customer_id: customer.id,
        name: customer.name,
        email: customer.email,
        phone: customer.phone,
      };
    }
    const order = state.createOrder({ key, lang, baseUrl: baseUrlOf(req, res), ...v });
    res.status(200).json(order);
  });

  function customerNotFound(res: Response, lang: SimLang, id: string, param = 'id'): void {
    conektaError(res, 404, lang, [
      {
        param,
        code: 'conekta.errors.resource_not_found.customer',
        es: `No se encontró el cliente ${id}.`,
        en: `The customer ${id} was not found.`,
      },
    ]);
  }

  function sourceNotFound(res: Response, lang: SimLang, id: string): void {
    conektaError(res, 404, lang, [
      {
        param: 'payment_source_id',
        code: 'conekta.errors.resource_not_found.payment_source',
        es: `No se encontró el método de pago ${id}.`,
        en: `The payment source ${id} was not found.`,
      },
    ]);
  }

  // Saved cards ("cargo bajo demanda"): customers, their payment sources, charges to a source.
  api.post('/customers', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const lang = requestLang(req);
    const body = isObject(req.body) ? req.body : {};
    const details: Detail[] = [];
    if (typeof body.name !== 'string' || body.name.trim() === '')
      details.push({
        param: 'name',
        code: 'conekta.errors.parameter_validation.name',
        es: 'El nombre es requerido.',
        en: 'The name is required.',
      });
    if (typeof body.email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email))
      details.push({
        param: 'email',
        code: 'conekta.errors.parameter_validation.email',
        es: 'El correo no es válido.',
        en: 'The email is not valid.',
      });
    if (typeof body.phone !== 'string' || body.phone.replace(/\D/g, '').length < 10)
      details.push({
        param: 'phone',
        code: 'conekta.errors.parameter_validation.phone',
        es: 'El teléfono no es válido.',
        en: 'The phone is not valid.',
      });
    const metadata = isObject(body.metadata) ? body.metadata : {};
    if (Object.values(metadata).some((v) => v !== null && typeof v === 'object'))
      details.push({
        param: 'metadata',
        code: 'conekta.errors.parameter_validation.metadata',
        es: 'Los valores de metadata deben ser escalares.',
        en: 'metadata values must be scalars.',
      });
    if (details.length > 0) return conektaError(res, 422, lang, details);
    res.json(
      state.createCustomer(key, {
        name: body.name as string,
        email: body.email as string,
        phone: body.phone as string,
        metadata: metadata as Record<string, string>,
      }),
    );
  });

  api.get('/customers/:id', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const customer = state.getCustomer(req.params.id, key);
    if (!customer) return customerNotFound(res, requestLang(req), req.params.id);
    res.json(customer);
  });

  api.get('/customers/:id/payment_sources', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const customer = state.getCustomer(req.params.id, key);
    if (!customer) return customerNotFound(res, requestLang(req), req.params.id);
    res.json({ object: 'list', has_more: false, data: customer.payment_sources.data });
  });

  api.delete('/customers/:id/payment_sources/:source', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const lang = requestLang(req);
    const customer = state.getCustomer(req.params.id, key);
    if (!customer) return customerNotFound(res, lang, req.params.id);
    const removed = state.removeSource(customer.id, req.params.source);
    if (!removed) return sourceNotFound(res, lang, req.params.source);
    res.json({ ...removed, deleted: true });
  });

  api.post('/orders/:id/charges', async (req, res) => {
    const found = await gateOrder(req, res);
    if (!found) return;
    const { lang, record } = found;
    const body = isObject(req.body) ? req.body : {};
    const method = isObject(body.payment_method) ? body.payment_method : {};
    if (method.type !== 'card' || typeof method.payment_source_id !== 'string') {
      return conektaError(res, 422, lang, [
        {
          param: 'payment_method',
          code: 'conekta.errors.parameter_validation.payment_method',
          es: 'El simulador cobra a un payment_source_id de tipo card.',
          en: 'The simulator charges a payment_source_id of type card.',
        },
      ]);
    }
    // A charge request lost on the way: Conekta never saw it (the order shows no charge).
    if (state.takeDroppedCharge()) return void req.socket.destroy();
    const outcome = state.chargeSource(record, method.payment_source_id, baseUrlOf(req, res));
    // The charge is made; its answer may be late (a client timeout: the outcome is in the order).
    if (!(await state.lateChargeAnswer())) return;
    switch (outcome.kind) {
      case 'source_not_found':
        return sourceNotFound(res, lang, method.payment_source_id);
      case 'not_payable':
        return conektaError(res, 428, lang, [
          {
            param: 'order',
            code: 'conekta.errors.precondition.order_not_payable',
            es: `La orden no se puede cobrar (estado: ${outcome.status}).`,
            en: `The order cannot be charged (status: ${outcome.status}).`,
          },
        ]);
      case 'declined':
        return conektaError(
          res,
          402,
          lang,
          [
            {
              param: 'payment_method',
              code: 'conekta.errors.processing.bank.declined',
              es: outcome.charge.failure_message ?? 'Tarjeta declinada.',
              en: outcome.charge.failure_message ?? 'Card declined.',
            },
          ],
          'processing_error',
        );
      default:
        return res.json(outcome.charge);
    }
  });

  // Cancels an order that was not paid (Conekta's `POST /orders/{id}/cancel`): a paid (or refunded)
  // order cannot be cancelled (428); a cancelled order can no longer be charged.
  api.post('/orders/:id/cancel', async (req, res) => {
    const found = await gateOrder(req, res);
    if (!found) return;
    const { lang, record } = found;
    if (!state.cancel(record)) {
      const status = record.order.payment_status ?? 'unknown';
      return conektaError(res, 428, lang, [
        {
          param: 'order',
          code: 'conekta.errors.precondition.order_not_cancelable',
          es: `La orden no se puede cancelar (estado: ${status}).`,
          en: `The order cannot be cancelled (status: ${status}).`,
        },
      ]);
    }
    res.json(record.order);
  });

  api.get('/orders/:id', async (req, res) => {
    const found = await gateOrder(req, res);
    if (!found) return;
    res.json(found.record.order);
  });

  api.post('/orders/:id/refunds', async (req, res) => {
    const found = await gateOrder(req, res);
    if (!found) return;
    const { lang, record } = found;
    const body = isObject(req.body) ? req.body : {};
    const reasons = [
      'requested_by_client',
      'cannot_be_fulfilled',
      'duplicated_transaction',
      'suspected_fraud',
      'other',
    ];
    if (!isInt(body.amount, 1) || typeof body.reason !== 'string' || !reasons.includes(body.reason)) {
      return conektaError(res, 422, lang, [
        {
          param: 'amount',
          code: 'conekta.errors.parameter_validation.refund',
          es: 'El reembolso requiere amount (centavos) y un reason válido.',
          en: 'A refund needs amount (cents) and a valid reason.',
        },
      ]);
    }
    const refunded = state.refund(record, body.amount, body.reason);
    if (!refunded.ok) {
      return conektaError(res, refunded.status, lang, [
        { param: refunded.param, code: `conekta.errors.refund.${refunded.param}`, ...refunded.message },
      ]);
    }
    res.json(record.order);
  });

  api.get('/webhooks', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const url = typeof req.query.url === 'string' ? req.query.url : undefined;
    const hooks = state.webhooksFor(state.keyMode(key)!).filter((h) => url === undefined || h.url === url);
    res.json({ object: 'list', has_more: false, data: hooks });
  });

  api.post('/webhooks', async (req, res) => {
    const key = await gate(req, res);
    if (key === null) return;
    const lang = requestLang(req);
    const livemode = state.keyMode(key)!;
    const url = isObject(req.body) ? req.body.url : undefined;
    if (!isHttpUrl(url)) {
      return conektaError(res, 422, lang, [
        {
          param: 'url',
          code: 'conekta.errors.parameter_validation.url',
          es: 'La URL no es válida.',
          en: 'The URL is not valid.',
        },
      ]);
    }
    if (state.webhooksFor(livemode).length >= 10) {
      return conektaError(res, 422, lang, [
        {
          param: 'url',
          code: 'conekta.errors.parameter_validation.webhooks_limit',
          es: 'Se alcanzó el máximo de 10 webhooks.',
          en: 'The maximum of 10 webhooks was reached.',
        },
      ]);
    }
    res.json(state.registerWebhook(url, livemode));
  });

  api.use((req, res) =>
    conektaError(res, 404, requestLang(req), [
      { param: '', code: 'conekta.errors.not_found', es: 'Ruta desconocida.', en: 'Unknown endpoint.' },
    ]),
  );
  api.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    const lang = requestLang(req);
    if (status && status >= 400 && status < 500) {
      return conektaError(res, 400, lang, [
        {
          param: 'body',
          code: 'conekta.errors.malformed_request',
          es: 'JSON mal formado.',
          en: 'Malformed JSON.',
        },
      ]);
    }
    return conektaError(res, 500, lang, [
      { param: '', code: 'conekta.errors.internal', es: 'Error interno.', en: 'Internal error.' },
    ]);
  });

  // ---------------------------------------------------------------- Hosted checkout pages

  const pages = express.Router();
  pages.use(express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 20 }));

  // Pages whose forms post here and are then redirected to the merchant name its URLs (`formTargets`).
  const render = pageRenderer(SIM_VIEWS, { formatCents, formatDate });

  function pageLang(req: Request, record?: SimOrderRecord): SimLang {
    return typeof req.query.lang === 'string' ? simLang(req.query.lang) : (record?.lang ?? 'es');
  }

  function common(req: Request, res: Response, record: SimOrderRecord, lang: SimLang) {
    const checkout = record.order.checkout!;
    return {
      lang,
      t: simTexts(lang),
      base: mountPath(res),
      page: `${mountPath(res)}/checkout/${checkout.id}`,
      order: record.order,
      checkout,
    };
  }

  async function errorPage(res: Response, lang: SimLang, status: number, message: string) {
    await render(res, 'error', { lang, t: simTexts(lang), base: mountPath(res), message }, status);
  }

  /** The merchant's success/failure URL with the query Conekta adds (see docs: unconfirmed). */
  function back(record: SimOrderRecord, which: 'success_url' | 'failure_url'): string {
    const checkout = record.order.checkout!;
    const url = new URL(checkout[which]);
    url.searchParams.set('checkout_id', checkout.id);
    url.searchParams.set('order_id', record.order.id);
    url.searchParams.set('payment_status', record.order.payment_status ?? 'pending_payment');
    return url.toString();
  }

  function findHosted(req: Request): SimOrderRecord | undefined {
    const record = state.byCheckout(String(req.params.checkoutId));
    return record?.order.checkout?.type === 'HostedPayment' ? record : undefined;
  }

  async function closedPage(
    req: Request,
    res: Response,
    record: SimOrderRecord,
    lang: SimLang,
    status = 200,
  ) {
    const t = simTexts(lang);
    const paid = record.order.payment_status === 'paid';
    await render(
      res,
      'closed',
      {
        ...common(req, res, record, lang),
        title: paid ? t.paidTitle : t.closedTitle,
        text: paid ? t.paidText : t.notPayable.replace('{status}', record.order.payment_status ?? ''),
        paid,
        backUrl: back(record, paid ? 'success_url' : 'failure_url'),
      },
      status,
    );
  }

  async function checkoutPage(
    req: Request,
    res: Response,
    record: SimOrderRecord,
    lang: SimLang,
    error?: string,
    status = 200,
  ) {
    const checkout = record.order.checkout!;
    await render(
      res,
      'checkout',
      { ...common(req, res, record, lang), methods: checkout.allowed_payment_methods, error },
      status,
      { formTargets: [checkout.success_url, checkout.failure_url] },
    );
  }

  pages.get('/:checkoutId', async (req, res) => {
    const record = findHosted(req);
    const lang = pageLang(req, record);
    if (!record) return errorPage(res, lang, 404, simTexts(lang).notFound);
    if (state.pendingVoucher(record.order))
      return res.redirect(303, `${mountPath(res)}/checkout/${req.params.checkoutId}/voucher`);
    const s = record.order.payment_status;
    if (s !== undefined && s !== 'declined') return closedPage(req, res, record, lang);
    await checkoutPage(req, res, record, lang);
  });

  pages.post('/:checkoutId/card', async (req, res) => {
    const record = findHosted(req);
    const lang = pageLang(req, record);
    const t: SimTexts = simTexts(lang);
    if (!record) return errorPage(res, lang, 404, t.notFound);
    if (!record.order.checkout!.allowed_payment_methods.includes('card')) {
      return checkoutPage(req, res, record, lang, t.unknownCard, 403);
    }
    const body = isObject(req.body) ? req.body : {};
    // The card number stays in this process: only its last four digits are kept, nothing is logged.
    const outcome = state.payWithCard(record, String(body.card_number ?? ''), String(body.card_name ?? ''));
    switch (outcome.kind) {
      case 'paid': {
        // On-demand checkouts of a customer keep the card when the shopper asks to ("save card").
        const customerId = record.order.customer_info.customer_id;
        const onDemand = (record.order.checkout as { on_demand_enabled?: boolean }).on_demand_enabled;
        if (onDemand && typeof customerId === 'string' && body.save_card === 'on') {
          state.addSource(customerId, {
            number: String(body.card_number ?? ''),
            holder: String(body.card_name ?? ''),
            expiry: String(body.card_expiry ?? ''),
          });
        }
        return res.redirect(303, back(record, 'success_url'));
      }
      case 'declined':
        return res.redirect(303, back(record, 'failure_url'));
      case 'unknown_card':
        return checkoutPage(req, res, record, lang, t.unknownCard, 422);
      case 'not_payable':
        return closedPage(req, res, record, lang, 409);
    }
  });

  for (const [route, method] of [
    ['cash', 'cash'],
    ['bank-transfer', 'bank_transfer'],
  ] as const) {
    pages.post(`/:checkoutId/${route}`, async (req, res) => {
      const record = findHosted(req);
      const lang = pageLang(req, record);
      if (!record) return errorPage(res, lang, 404, simTexts(lang).notFound);
      if (!record.order.checkout!.allowed_payment_methods.includes(method)) {
        return checkoutPage(req, res, record, lang, undefined, 403);
      }
      const issued = state.issueVoucher(record, method);
      if ('notPayable' in issued) return closedPage(req, res, record, lang, 409);
      res.redirect(
        303,
        `${mountPath(res)}/checkout/${req.params.checkoutId}/voucher${req.query.lang ? `?lang=${lang}` : ''}`,
      );
    });
  }

  pages.get('/:checkoutId/voucher', async (req, res) => {
    const record = findHosted(req);
    const lang = pageLang(req, record);
    if (!record) return errorPage(res, lang, 404, simTexts(lang).notFound);
    const voucher: SimCharge | undefined = state.pendingVoucher(record.order);
    if (!voucher || record.order.payment_status !== 'pending_payment')
      return closedPage(req, res, record, lang);
    const checkout = record.order.checkout!;
    await render(
      res,
      'voucher',
      { ...common(req, res, record, lang), voucher, backUrl: back(record, 'success_url') },
      200,
      { formTargets: [checkout.success_url] },
    );
  });

  /** Simulator only: the shopper pays the OXXO reference at the store, or the SPEI transfer. */
  pages.post('/:checkoutId/voucher/pay', async (req, res) => {
    const record = findHosted(req);
    const lang = pageLang(req, record);
    if (!record) return errorPage(res, lang, 404, simTexts(lang).notFound);
    state.payVoucher(record);
    await closedPage(req, res, record, lang);
  });

  // ---------------------------------------------------------------- Control API (tests, demo)

  const control = express.Router();
  control.use(express.json({ limit: '100kb' }));

  faultsRoute(control, faultsSchema, (f) => {
    if (f.clear) state.clearFaults();
    if (f.failNext) state.failNext(f.failNext.count, f.failNext.status, f.failNext.message);
    if (f.delayMs !== undefined) state.delayMs = f.delayMs;
    if (f.loseWebhooks !== undefined) state.loseNextWebhooks(f.loseWebhooks);
    if (f.duplicateWebhooks !== undefined) state.duplicateNextWebhooks(f.duplicateWebhooks);
    if (f.webhookDelayMs !== undefined) state.knobs.webhookDelayMs = f.webhookDelayMs;
    if (f.lateChargeAnswerMs !== undefined) state.lateChargeAnswers(f.lateChargeAnswerMs);
    if (f.dropCharges !== undefined) state.dropNextCharges(f.dropCharges);
    if (f.holdWebhooks === true) state.knobs.holdWebhooks = true;
    if (f.holdWebhooks === false) state.releaseWebhooks();
    return state.knobs;
  });

  control.get('/faults', (_req, res) => res.json(state.knobs));

  control.get('/orders/:id', (req, res) => {
    const record = state.getOrder(req.params.id);
    if (!record) return res.status(404).json({ error: 'order not found' });
    res.json({
      order: record.order,
      lang: record.lang,
      events: state.eventsFor(record.order.id).map((e) => e.type),
    });
  });

  for (const action of ['expire', 'cancel', 'pay'] as const) {
    control.post(`/orders/:id/${action}`, (req, res) => {
      const record = state.getOrder(req.params.id);
      if (!record) return res.status(404).json({ error: 'order not found' });
      const done =
        action === 'expire'
          ? state.expire(record)
          : action === 'cancel'
            ? state.cancel(record)
            : state.payVoucher(record) !== null;
      if (!done)
        return res
          .status(409)
          .json({ error: `cannot ${action} an order in status ${record.order.payment_status}` });
      res.json(record.order);
    });
  }

  control.get('/deliveries', (_req, res) => res.json({ deliveries: state.deliveries }));

  control.post('/webhook-url', (req, res) => {
    const url = isObject(req.body) ? req.body.url : undefined;
    if (url !== null && !isHttpUrl(url))
      return res.status(400).json({ error: 'expected {"url": string | null}' });
    state.setWebhookUrl(url);
    res.json({ url: state.webhookUrl });
  });

  control.post('/reset', (_req, res) => {
    state.reset();
    res.json({ ok: true });
  });

  // ---------------------------------------------------------------- 3-D Secure challenge (saved cards)

  const threeDs = express.Router();
  threeDs.use(express.urlencoded({ extended: false, limit: '5kb', parameterLimit: 5 }));

  threeDs.get('/:chargeId', async (req, res) => {
    const found = state.challenge(req.params.chargeId);
    const lang = typeof req.query.lang === 'string' ? simLang(req.query.lang) : (found?.record.lang ?? 'es');
    if (!found) return errorPage(res, lang, 404, simTexts(lang).notFound);
    const { record, charge } = found;
    await render(
      res,
      'three-ds',
      {
        lang,
        t: simTexts(lang),
        base: mountPath(res),
        action: `${mountPath(res)}/three-ds/${charge.id}`,
        order: record.order,
        charge,
        pending: charge.status === 'pending_payment',
      },
      200,
      { formTargets: [record.order.return_url] },
    );
  });

  threeDs.post('/:chargeId', async (req, res) => {
    const found = state.challenge(req.params.chargeId);
    const lang = found?.record.lang ?? 'es';
    if (!found) return errorPage(res, lang, 404, simTexts(lang).notFound);
    const action = isObject(req.body) ? req.body.action : undefined;
    if (action !== 'approve' && action !== 'fail') return errorPage(res, lang, 400, simTexts(lang).notFound);
    const record = state.completeChallenge(req.params.chargeId, action === 'approve')!;
    const target = record.order.return_url;
    if (!target) return res.redirect(303, `${mountPath(res)}/three-ds/${req.params.chargeId}`);
    const url = new URL(target);
    url.searchParams.set('order_id', record.order.id);
    url.searchParams.set('payment_status', record.order.payment_status ?? 'pending_payment');
    res.redirect(303, url.toString());
  });

  control.get('/customers', (_req, res) => res.json({ customers: state.listCustomers() }));

  /**
   * A card saved on the customer earlier, named by its test behaviour (demo and browser tests: e.g. a
   * card the bank now declines). No card number crosses this call.
   */
  control.post('/customers/:id/payment_sources', (req, res) => {
    const named = {
      approved: TEST_CARDS.approved,
      insufficient_funds: TEST_CARDS.insufficientFunds,
      challenge: TEST_CARDS.threeDsChallenge,
    };
    const card = isObject(req.body) ? named[req.body.card as keyof typeof named] : undefined;
    if (!card)
      return res
        .status(400)
        .json({ error: 'expected {"card": "approved" | "insufficient_funds" | "challenge"}' });
    const source = state.addSource(req.params.id, { number: card, holder: 'Demo', expiry: '12/30' });
    if (!source) return res.status(404).json({ error: 'customer not found' });
    res.status(201).json(source);
  });

  /** A saved card removed at the provider (e.g. from Conekta's dashboard) while the shopper looks. */
  control.post('/customers/:id/payment_sources/:source/delete', (req, res) => {
    const removed = state.removeSource(req.params.id, req.params.source);
    if (!removed) return res.status(404).json({ error: 'payment source not found' });
    res.json({ ...removed, deleted: true });
  });

  router.use('/checkout', pages);
  router.use('/three-ds', threeDs);
  router.use('/_control', control);
  router.use('/', api);

  return { router, state, setWebhookUrl: (url) => state.setWebhookUrl(url) };
}
