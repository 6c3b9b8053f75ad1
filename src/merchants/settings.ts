import { z } from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../config';
import type { StoreContext, StoreProviderSettings } from '../providers/types';
import type { Secrets } from '../secrets';

/**
 * A store's own payment settings, saved from the settings page inside the Ecwid admin. Stored as
 * JSON in `stores.settings` with every secret sealed one by one; credentials are kept for both
 * environments side by side and `mode` says which one is live.
 */
export const MODES = ['sandbox', 'production'] as const;
export type Mode = (typeof MODES)[number];

export interface FieldDef {
  name: string;
  secret: boolean;
  kind: 'text' | 'url';
  optional?: boolean;
}

export interface ProviderForm {
  /** Currencies the provider can take (the merchant may narrow them). */
  currencies: readonly string[];
  fields: readonly FieldDef[];
}

export const PROVIDER_FORMS: Readonly<Record<ProviderId, ProviderForm>> = {
  etpay: {
    currencies: ['CLP', 'MXN'],
    fields: [
      { name: 'merchantCode', secret: false, kind: 'text' },
      { name: 'merchantApiToken', secret: true, kind: 'text' },
      { name: 'apiUrl', secret: false, kind: 'url' },
      { name: 'pmtUrl', secret: false, kind: 'url' },
    ],
  },
  conekta: {
    currencies: ['MXN'],
    fields: [{ name: 'privateKey', secret: true, kind: 'text' }],
  },
  ecartpay: {
    currencies: ['MXN', 'USD', 'CLP', 'COP', 'PEN', 'ARS', 'BRL', 'GTQ'],
    fields: [
      { name: 'publicKey', secret: false, kind: 'text' },
      { name: 'privateKey', secret: true, kind: 'text' },
      { name: 'webhookSecret', secret: true, kind: 'text', optional: true },
    ],
  },
};

export const CONEKTA_METHODS = ['card', 'cash', 'bank_transfer'] as const;
export const DEFAULT_CONEKTA_OPTIONS = { allowedMethods: [...CONEKTA_METHODS], checkoutLifetimeHours: 24 };

const storedProvider = z.object({
  mode: z.enum(MODES),
  currencies: z.array(z.string()).default([]),
  sandbox: z.record(z.string(), z.string()).default({}),
  production: z.record(z.string(), z.string()).default({}),
  options: z.record(z.string(), z.unknown()).default({}),
});
const storedSettings = z.object({
  enabledProviders: z.array(z.enum(PROVIDER_IDS)).default([]),
  providers: z.partialRecord(z.enum(PROVIDER_IDS), storedProvider).default({}),
  /** Saved cards for returning shoppers (docs/saved-cards.md); absent means on. */
  savedCards: z.boolean().optional(),
});
export type StoredSettings = z.infer<typeof storedSettings>;
export type StoredProvider = z.infer<typeof storedProvider>;

export function readStoredSettings(raw: unknown): StoredSettings | null {
  if (!raw) return null;
  const parsed = storedSettings.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** Unseals the live credentials of each configured provider, for the payment use cases. */
export function resolveStoreContext(storeId: number, raw: unknown, secrets: Secrets): StoreContext {
  const stored = readStoredSettings(raw);
  if (!stored) return { storeId };
  const providers: Partial<Record<string, StoreProviderSettings>> = {};
  const currencies: Record<string, string[]> = {};
  for (const id of PROVIDER_IDS) {
    const p = stored.providers[id];
    if (!p) continue;
    currencies[id] = p.currencies;
    // No credentials of its own in either environment: the server's defaults apply to this store.
    if (!hasOwnCredentials(p)) continue;
    providers[id] = {
      mode: p.mode,
      credentials: liveCredentials(id, p, secrets),
      currencies: p.currencies,
      options: p.options,
    };
  }
  return {
    storeId,
    settings: {
      enabledProviders: stored.enabledProviders,
      currencies,
      ...(stored.savedCards === false ? { savedCards: false } : {}),
    },
    providers,
  };
}

function hasOwnCredentials(p: StoredProvider): boolean {
  return Object.keys(p.sandbox).length > 0 || Object.keys(p.production).length > 0;
}

function liveCredentials(id: ProviderId, p: StoredProvider, secrets: Secrets): Record<string, string> | null {
  const values = p[p.mode];
  const out: Record<string, string> = {};
  for (const field of PROVIDER_FORMS[id].fields) {
    const value = values[field.name];
    if (!value) {
      if (field.optional) continue;
      return null;
    }
    try {
      out[field.name] = field.secret ? secrets.unseal(value) : value;
    } catch {
      return null; // sealed with a key we no longer have: the merchant must enter it again
    }
  }
  return out;
}

/** What the settings page shows: secrets only as their last 4 characters. */
export function maskedValue(field: FieldDef, stored: string | undefined, secrets: Secrets): string {
  if (!stored) return '';
  if (!field.secret) return stored;
  try {
    const clear = secrets.unseal(stored);
    return `••••${clear.slice(-4)}`;
  } catch {
    return '';
  }
}

export type SettingsForm = Record<string, string | string[] | undefined>;

export interface FormResult {
  ok: boolean;
  settings?: StoredSettings;
  /** Field input name → message key (plain words are in the i18n catalogue). */
  errors: Record<string, string>;
}

const text = z.string().trim().max(500);
const url = z.url({ protocol: /^https?$/ }).max(500);

/**
 * Reads the settings form into stored settings. A secret left blank keeps the saved one; any
 * invalid field fails the whole form (nothing is saved) with a message for that field.
 */
export function parseSettingsForm(
  form: SettingsForm,
  previous: StoredSettings | null,
  secrets: Secrets,
): FormResult {
  const errors: Record<string, string> = {};
  const list = (name: string) => {
    const v = form[name];
    return Array.isArray(v) ? v : v === undefined ? [] : [v];
  };
  const one = (name: string) => {
    const v = form[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };

  // A provider's section is in the form when its mode selector is; others keep what was saved.
  const inForm = (id: ProviderId) => form[`${id}_mode`] !== undefined;
  const enabledProviders = PROVIDER_IDS.filter((id) =>
    inForm(id) ? one(`enabled_${id}`) === 'on' : (previous?.enabledProviders.includes(id) ?? false),
  );
  const providers: StoredSettings['providers'] = {};
  for (const id of PROVIDER_IDS) {
    const def = PROVIDER_FORMS[id];
    const before = previous?.providers[id];
    if (!inForm(id)) {
      if (before) providers[id] = before;
      continue;
    }
    const mode = one(`${id}_mode`) || before?.mode || 'sandbox';
    if (!(MODES as readonly string[]).includes(mode)) errors[`${id}_mode`] = 'invalidChoice';
    const currencies = list(`${id}_currencies`);
    if (currencies.some((c) => !def.currencies.includes(c))) errors[`${id}_currencies`] = 'invalidChoice';

    const envs = { sandbox: {} as Record<string, string>, production: {} as Record<string, string> };
    for (const env of MODES) {
      for (const field of def.fields) {
        const input = `${id}_${env}_${field.name}`;
        const raw = one(input);
        const kept = before?.[env][field.name];
        if (raw === '') {
          if (kept) envs[env][field.name] = kept;
          continue;
        }
        const checked = (field.kind === 'url' ? url : text).safeParse(raw);
        if (!checked.success) {
          errors[input] = field.kind === 'url' ? 'invalidUrl' : 'invalidText';
          continue;
        }
        envs[env][field.name] = field.secret ? secrets.seal(checked.data) : checked.data;
      }
    }
    const options: Record<string, unknown> = {};
    if (id === 'conekta') {
      const methods = list('conekta_methods');
      if (methods.length === 0) errors.conekta_methods = 'chooseOne';
      else if (methods.some((m) => !(CONEKTA_METHODS as readonly string[]).includes(m)))
        errors.conekta_methods = 'invalidChoice';
      const hours = Number(one('conekta_lifetime_hours') || DEFAULT_CONEKTA_OPTIONS.checkoutLifetimeHours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 720)
        errors.conekta_lifetime_hours = 'invalidLifetime';
      Object.assign(options, { allowedMethods: methods, checkoutLifetimeHours: hours });
    }
    providers[id] = {
      mode: mode as Mode,
      currencies,
      sandbox: envs.sandbox,
      production: envs.production,
      options,
    };
    // Enabled with credentials of its own: the live environment's must be complete. (With none at
    // all, the server's default credentials apply.)
    if (enabledProviders.includes(id) && hasOwnCredentials(providers[id]!) && !complete(id, providers[id]!)) {
      errors[
        `${id}_${mode}_${def.fields.find((f) => !f.optional && !providers[id]![mode as Mode][f.name])?.name}`
      ] = 'requiredWhenEnabled';
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // The saved-cards switch, when the form has it (a hidden marker says so; an unchecked box sends nothing).
  const savedCards =
    form.saved_cards_field !== undefined ? one('saved_cards') === 'on' : previous?.savedCards;
  return {
    ok: true,
    settings: { enabledProviders, providers, ...(savedCards === undefined ? {} : { savedCards }) },
    errors,
  };
}

function complete(id: ProviderId, p: StoredProvider): boolean {
  return PROVIDER_FORMS[id].fields.every((f) => f.optional || Boolean(p[p.mode][f.name]));
}

/** Removes every sealed secret (the app was uninstalled). */
export function withoutSecrets(settings: StoredSettings): StoredSettings {
  const providers: StoredSettings['providers'] = {};
  for (const id of PROVIDER_IDS) {
    const p = settings.providers[id];
    if (!p) continue;
    const strip = (values: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(values).filter(
          ([name]) => !PROVIDER_FORMS[id].fields.find((f) => f.name === name)?.secret,
        ),
      );
    providers[id] = { ...p, sandbox: strip(p.sandbox), production: strip(p.production) };
  }
  return {
    enabledProviders: [],
    providers,
    ...(settings.savedCards === undefined ? {} : { savedCards: settings.savedCards }),
  };
}
