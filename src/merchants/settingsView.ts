import { randomBytes } from 'node:crypto';
import { PROVIDER_IDS, type ProviderId } from '../config';
import { formatForDisplay, formatMajor } from '../money';
import type { PaymentDeps } from '../payments/deps';
import { PAYMENT_STATES, type PaymentState } from '../payments/model';
import { savedCardUsage } from '../savedCards';
import { savedCardsSettingsText } from '../savedCards/i18n';
import { format } from '../web/i18n';
import { settingsMessages, type SettingsMessages } from '../web/settingsI18n';
import { issueAdminToken, type AdminSession } from './adminAuth';
import { listPayments, type DashboardRow } from './dashboard';
import {
  CONEKTA_METHODS,
  DEFAULT_CONEKTA_OPTIONS,
  MODES,
  PROVIDER_FORMS,
  maskedValue,
  readStoredSettings,
  type SettingsForm,
  type StoredSettings,
} from './settings';
import { findStore } from './stores';

/** Ecwid's SDK and CSS framework, loaded by the settings page inside the Ecwid admin. */
export const ECWID_SDK_HOST = 'https://djqizrxa6f10j.cloudfront.net';
export const ECWID_CSS_HOST = 'https://d35z3p2poghz10.cloudfront.net';

export const PROVIDER_NAMES: Record<ProviderId, string> = {
  etpay: 'ETpay',
  conekta: 'Conekta',
  ecartpay: 'Ecart Pay',
};

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface SettingsViewOptions {
  flash?: Flash;
  /** Field name → error code, from a refused form. */
  errors?: Record<string, string>;
  /** The refused form, so non-secret fields keep what the merchant typed. */
  submitted?: SettingsForm;
  filter?: PaymentState;
}

export type SettingsViewDeps = Pick<
  PaymentDeps,
  'db' | 'secrets' | 'providers' | 'defaultProviders' | 'appUrl'
> & { demo: boolean; clientId: string };

/** Everything the settings page shows: the store's provider settings, saved cards and payments. */
export async function settingsView(
  deps: SettingsViewDeps,
  session: AdminSession,
  opts: SettingsViewOptions = {},
): Promise<Record<string, unknown>> {
  const t = settingsMessages(session.lang);
  const store = await findStore(deps.db, session.storeId);
  const stored = readStoredSettings(store?.settings);
  const cardsText = savedCardsSettingsText(session.lang);
  const usage = await savedCardUsage(deps.db, session.storeId);
  const payments = await listPayments(deps.db, session.storeId, opts.filter);
  return {
    savedCards: {
      text: cardsText,
      enabled: stored?.savedCards !== false,
      usage: format(cardsText.usage, { payments: String(usage.payments), paid: String(usage.paid) }),
    },
    lang: session.lang,
    t,
    demo: deps.demo,
    externalAssets: !deps.demo,
    clientId: deps.clientId,
    sdkUrl: `${ECWID_SDK_HOST}/ecwid-sdk/js/1.3.0/ecwid-app.js`,
    cssUrl: `${ECWID_CSS_HOST}/ecwid-sdk/css/1.3.19/ecwid-app-ui.css`,
    token: issueAdminToken(deps.secrets, session),
    flash: opts.flash,
    providers: providerRows(deps, t, stored, opts),
    payments: payments.map((p) => paymentRow(deps, t, session, p)),
    states: PAYMENT_STATES,
    filter: opts.filter ?? '',
    perPaymentNote: (name: string) => format(t.perPaymentWebhook, { provider: name }),
    webhookLabel: (name: string) => format(t.webhookUrl, { provider: name }),
  };
}

/** One block per provider the app runs or the store configured: fields, secrets masked, errors. */
function providerRows(
  deps: SettingsViewDeps,
  t: SettingsMessages,
  stored: StoredSettings | null,
  opts: SettingsViewOptions,
) {
  const submittedValue = (name: string) => {
    const v = opts.submitted?.[name];
    return typeof v === 'string' ? v : undefined;
  };
  const errorText = (code: string | undefined) =>
    code ? t[`error_${code}` as keyof SettingsMessages] : undefined;
  return PROVIDER_IDS.filter((id) => deps.providers.has(id) || stored?.providers[id]).map((id) => {
    const saved = stored?.providers[id];
    const def = PROVIDER_FORMS[id];
    const options = {
      ...DEFAULT_CONEKTA_OPTIONS,
      ...(saved?.options ?? {}),
    } as typeof DEFAULT_CONEKTA_OPTIONS;
    return {
      id,
      name: PROVIDER_NAMES[id],
      enabled: stored ? stored.enabledProviders.includes(id) : deps.defaultProviders.includes(id),
      mode: saved?.mode ?? 'sandbox',
      currencies: def.currencies.map((c) => ({ code: c, checked: saved?.currencies.includes(c) ?? false })),
      envs: MODES.map((env) => ({
        env,
        label: t[env],
        fields: def.fields.map((f) => {
          const name = `${id}_${env}_${f.name}`;
          return {
            name,
            label: t[`field_${f.name}` as keyof SettingsMessages] ?? f.name,
            secret: f.secret,
            kind: f.kind,
            value: f.secret ? '' : (submittedValue(name) ?? saved?.[env][f.name] ?? ''),
            masked: f.secret ? maskedValue(f, saved?.[env][f.name], deps.secrets) : '',
            error: errorText(opts.errors?.[name]),
          };
        }),
      })),
      webhookUrl: id === 'conekta' ? `${deps.appUrl}/webhooks/conekta` : null,
      canCheck: Boolean(deps.providers.get(id)?.checkCredentials),
      canRegisterWebhook: Boolean(deps.providers.get(id)?.registerWebhook),
      conekta:
        id === 'conekta'
          ? {
              methods: CONEKTA_METHODS.map((m) => ({
                id: m,
                label: t[`method_${m}`],
                checked: options.allowedMethods.includes(m),
              })),
              lifetime: options.checkoutLifetimeHours,
            }
          : null,
      errors: Object.fromEntries(
        Object.entries(opts.errors ?? {})
          .filter(([k]) => k.startsWith(`${id}_`))
          .map(([k, v]) => [k, errorText(v)]),
      ),
    };
  });
}

/** A payment as the dashboard lists it, with what the merchant can do about it. */
function paymentRow(deps: SettingsViewDeps, t: SettingsMessages, session: AdminSession, p: DashboardRow) {
  const providerRefunds = Boolean(p.provider && deps.providers.get(p.provider)?.refund);
  return {
    ...p,
    display: formatForDisplay({ amount: p.amount, currency: p.currency }, session.lang),
    refundable: p.state === 'paid' || p.state === 'partially_refunded',
    remaining: formatMajor({ amount: p.amount - p.refundedAmount, currency: p.currency }),
    refundLabel: providerRefunds ? t.refund : t.recordRefund,
    manualRefund: !providerRefunds,
    attentionText: p.attention
      ? (t[`attention_${p.attention}` as keyof SettingsMessages] ?? p.attention)
      : null,
    syncText: p.syncStatus ? t[`sync_${p.syncStatus}`] : '—',
    // A fresh idempotency key per rendered refund form: a resubmitted form refunds once.
    refundKey: randomBytes(12).toString('base64url'),
  };
}
