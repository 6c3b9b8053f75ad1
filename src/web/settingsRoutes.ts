import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { ProviderId } from '../config';
import { readSettingsPayload, verifyAdminToken, type AdminSession } from '../merchants/adminAuth';
import { isPaymentState } from '../merchants/dashboard';
import { parseSettingsForm, readStoredSettings, type SettingsForm } from '../merchants/settings';
import {
  ECWID_CSS_HOST,
  ECWID_SDK_HOST,
  PROVIDER_NAMES,
  settingsView,
  type Flash,
  type SettingsViewOptions,
} from '../merchants/settingsView';
import { findStore, saveStoreSettings, saveStoreToken } from '../merchants/stores';
import { formatMajor, parseMajorAmount } from '../money';
import type { PaymentDeps } from '../payments/deps';
import { retryFailedUpdates } from '../payments/ecwidSync';
import { storeContext } from '../payments/providerContext';
import { refundPayment } from '../payments/refund';
import { findPayment } from '../payments/repository';
import { format } from './i18n';
import { settingsMessages } from './settingsI18n';

/** Ecwid's admin frames the settings page. */
const ECWID_ADMIN_ORIGIN = 'https://my.ecwid.com';

export interface SettingsDeps extends PaymentDeps {
  clientSecret: string;
  clientId: string;
  demo: boolean;
}

export function settingsRoutes(deps: SettingsDeps): Router {
  const router = Router();
  const frameable = frameableBy(deps);
  const form = express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 });

  router.get('/settings', frameable, async (req, res) => {
    const read = readSettingsPayload(req.query.payload, deps.clientSecret);
    if (!read.ok) {
      req.log.warn({ reason: read.reason }, 'settings payload refused');
      return res
        .status(401)
        .type('text/plain')
        .send('Open this page from the Ecwid admin (Apps → LatAm Payments).');
    }
    const { admin } = read;
    // The admin payload carries the store's current token: keep it (sealed) for Ecwid updates.
    await saveStoreToken(deps.db, admin.storeId, deps.secrets.seal(admin.accessToken));
    req.log.info({ storeId: admin.storeId }, 'settings opened');
    await renderSettings(res, deps, { storeId: admin.storeId, lang: admin.lang });
  });

  const authed = [frameable, form, sameOriginOnly(), requireAdmin(deps)];

  router.post('/settings', ...authed, async (req, res) => {
    const session = res.locals.admin as AdminSession;
    const store = await findStore(deps.db, session.storeId);
    const previous = readStoredSettings(store?.settings);
    const parsed = parseSettingsForm(req.body as SettingsForm, previous, deps.secrets);
    const t = settingsMessages(session.lang);
    if (!parsed.ok) {
      return renderSettings(res, deps, session, {
        status: 422,
        errors: parsed.errors,
        submitted: req.body as SettingsForm,
        flash: { kind: 'error', text: t.notSaved },
      });
    }
    await saveStoreSettings(deps.db, session.storeId, parsed.settings);
    req.log.info({ storeId: session.storeId, enabled: parsed.settings!.enabledProviders }, 'settings saved');
    await renderSettings(res, deps, session, { flash: { kind: 'ok', text: t.saved } });
  });

  router.post('/settings/payments', ...authed, async (req, res) => {
    const state = (req.body as SettingsForm).state;
    await renderSettings(res, deps, res.locals.admin as AdminSession, {
      filter: isPaymentState(state) ? state : undefined,
    });
  });

  router.post('/settings/check/:provider', ...authed, async (req, res) => {
    const session = res.locals.admin as AdminSession;
    const t = settingsMessages(session.lang);
    const id = req.params.provider as ProviderId;
    const provider = deps.providers.get(id);
    const name = PROVIDER_NAMES[id] ?? id;
    if (!provider?.checkCredentials) {
      return renderSettings(res, deps, session, {
        flash: { kind: 'error', text: format(t.notAvailable, { provider: name }) },
      });
    }
    const store = await storeContext(deps, session.storeId);
    const own = store.providers?.[id];
    const mode = own?.mode ?? 'production';
    const result = await provider.checkCredentials(store);
    // Providers answer `misconfigured` both for "no credentials" and for a key they refuse (401):
    // with the store's own credentials complete, it is a refusal, shown in the provider's words.
    const flash: Flash = result.ok
      ? { kind: 'ok', text: format(t.credentialsOk, { provider: name, mode: t[mode] }) }
      : result.error.kind === 'misconfigured' && !own?.credentials
        ? { kind: 'error', text: format(t.credentialsMissing, { provider: name }) }
        : {
            kind: 'error',
            text: format(t.credentialsBad, { provider: name, message: result.error.message }),
          };
    await renderSettings(res, deps, session, { flash });
  });

  router.post('/settings/conekta/webhook', ...authed, async (req, res) => {
    const session = res.locals.admin as AdminSession;
    const t = settingsMessages(session.lang);
    const provider = deps.providers.get('conekta');
    if (!provider?.registerWebhook) {
      return renderSettings(res, deps, session, {
        flash: { kind: 'error', text: format(t.notAvailable, { provider: 'Conekta' }) },
      });
    }
    const result = await provider.registerWebhook(
      await storeContext(deps, session.storeId),
      `${deps.appUrl}/webhooks/conekta`,
    );
    const flash: Flash = result.ok
      ? { kind: 'ok', text: result.created ? t.webhookRegistered : t.webhookExisted }
      : {
          kind: 'error',
          text: format(t.credentialsBad, { provider: 'Conekta', message: result.error.message }),
        };
    await renderSettings(res, deps, session, { flash });
  });

  router.post('/settings/retry/:paymentId', ...authed, async (req, res) => {
    const session = res.locals.admin as AdminSession;
    const t = settingsMessages(session.lang);
    const payment = await findPayment(deps.db, req.params.paymentId as string);
    if (!payment || payment.storeId !== session.storeId) {
      return renderSettings(res, deps, session, {
        status: 404,
        flash: { kind: 'error', text: t.notFoundPayment },
      });
    }
    await retryFailedUpdates(deps.db, payment.id);
    deps.sync.kick();
    req.log.info({ paymentId: payment.id }, 'ecwid update retried by the merchant');
    await renderSettings(res, deps, session, { flash: { kind: 'ok', text: t.retried } });
  });

  router.post('/settings/refund/:paymentId', ...authed, async (req, res) => {
    const session = res.locals.admin as AdminSession;
    const t = settingsMessages(session.lang);
    const body = req.body as SettingsForm;
    const payment = await findPayment(deps.db, req.params.paymentId as string);
    if (!payment || payment.storeId !== session.storeId) {
      return renderSettings(res, deps, session, {
        status: 404,
        flash: { kind: 'error', text: t.notFoundPayment },
      });
    }
    const amount = parseMajorAmount(String(body.amount ?? ''), payment.total.currency);
    const refundKey = typeof body.rk === 'string' && /^[\w-]{16,64}$/.test(body.rk) ? body.rk : null;
    const maximum = formatMajor({
      amount: payment.total.amount - payment.refundedAmount,
      currency: payment.total.currency,
    });
    if (amount === null || refundKey === null) {
      return renderSettings(res, deps, session, {
        status: 422,
        flash: { kind: 'error', text: format(t.refundInvalid, { max: maximum }) },
      });
    }
    const outcome = await refundPayment(deps, {
      storeId: session.storeId,
      paymentId: payment.id,
      amount,
      refundKey,
    });
    const [status, flash]: [number, Flash] =
      outcome.kind === 'refunded'
        ? [200, { kind: 'ok', text: t.refunded }]
        : outcome.kind === 'invalid_amount'
          ? [422, { kind: 'error', text: format(t.refundInvalid, { max: maximum }) }]
          : outcome.kind === 'not_refundable'
            ? [409, { kind: 'error', text: t.refundNotAllowed }]
            : outcome.kind === 'already_done'
              ? [409, { kind: 'error', text: t.refundDuplicate }]
              : outcome.kind === 'provider_error'
                ? [502, { kind: 'error', text: format(t.refundFailed, { message: outcome.message }) }]
                : [404, { kind: 'error', text: t.notFoundPayment }];
    await renderSettings(res, deps, session, { status, flash });
  });

  return router;
}

/** Framable by the Ecwid admin only (and, in demo mode, by the local demo pages). */
function frameableBy(deps: SettingsDeps) {
  const ancestors = [
    ECWID_ADMIN_ORIGIN,
    ...(deps.demo ? ["'self'", 'http://localhost:*', 'http://127.0.0.1:*'] : []),
  ];
  const assets = deps.demo ? '' : ` ${ECWID_SDK_HOST} ${ECWID_CSS_HOST}`;
  const csp = [
    "default-src 'self'",
    `script-src 'self'${assets}`,
    `style-src 'self'${assets}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors.join(' ')}`,
  ].join('; ');
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', csp);
    res.removeHeader('X-Frame-Options');
    res.set('Cache-Control', 'no-store');
    next();
  };
}

/** Refuses cross-site form posts (CSRF): the browser says where a POST comes from. */
function sameOriginOnly() {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    const site = req.get('sec-fetch-site');
    // Same origin as the page itself (behind a proxy, trust proxy makes req.protocol the public one).
    const ours = `${req.protocol}://${req.get('host')}`;
    if ((origin && origin !== 'null' && origin !== ours) || site === 'cross-site') {
      req.log.warn({ origin, site }, 'cross-site settings post refused');
      return void res.status(403).type('text/plain').send('Cross-site request refused.');
    }
    next();
  };
}

function requireAdmin(deps: SettingsDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const verified = verifyAdminToken(deps.secrets, (req.body as SettingsForm | undefined)?.t);
    if (!verified.ok) {
      req.log.warn({ reason: verified.reason }, 'settings token refused');
      return void res
        .status(403)
        .type('text/plain')
        .send(settingsMessages('es').forbidden + '\n' + settingsMessages('en').forbidden);
    }
    res.locals.admin = verified.session;
    next();
  };
}

/** The settings page (with the store's payments) for this admin session. */
async function renderSettings(
  res: Response,
  deps: SettingsDeps,
  session: AdminSession,
  opts: SettingsViewOptions & { status?: number } = {},
): Promise<void> {
  const locals = await settingsView(deps, session, opts);
  res.status(opts.status ?? 200).render('settings', locals);
}
