import { parseSettingsForm, resolveStoreContext } from '../../src/merchants/settings';
import { createEtpayProvider } from '../../src/providers/etpay/provider';
import { createSecrets } from '../../src/secrets';

const secrets = createSecrets('unit-test-secret-key-at-least-32-characters');
const envEtpay = {
  merchantCode: 'cl_env_merchant',
  merchantApiToken: 'env-token',
  apiUrl: 'https://api.env.example',
  pmtUrl: 'https://pmt.env.example',
};

describe('store settings', () => {
  it('a provider enabled without credentials of its own falls back to the server defaults', () => {
    const form = { enabled_etpay: 'on', etpay_mode: 'sandbox', etpay_currencies: ['CLP'] };
    const parsed = parseSettingsForm(form, null, secrets);
    expect(parsed.ok).toBe(true);
    const store = resolveStoreContext(7, parsed.settings, secrets);
    expect(store.providers?.etpay).toBeUndefined();
    expect(store.settings).toEqual({ enabledProviders: ['etpay'], currencies: { etpay: ['CLP'] } });
    const etpay = createEtpayProvider(envEtpay);
    expect(etpay.credentialsFor(store)).toMatchObject({
      merchantCode: 'cl_env_merchant',
      apiUrl: 'https://api.env.example',
    });
    expect(etpay.supportsCurrency('CLP', store)).toBe(true);
  });

  it('own credentials replace the defaults; an incomplete live environment is refused on save', () => {
    const own = {
      enabled_etpay: 'on',
      etpay_mode: 'sandbox',
      etpay_sandbox_merchantCode: 'cl_own',
      etpay_sandbox_merchantApiToken: 'own-token-1234',
      etpay_sandbox_apiUrl: 'https://api.own.example',
      etpay_sandbox_pmtUrl: 'https://pmt.own.example',
    };
    const parsed = parseSettingsForm(own, null, secrets);
    expect(parsed.ok).toBe(true);
    expect(JSON.stringify(parsed.settings)).not.toContain('own-token-1234');
    const store = resolveStoreContext(7, parsed.settings, secrets);
    expect(createEtpayProvider(envEtpay).credentialsFor(store)).toMatchObject({
      merchantCode: 'cl_own',
      merchantApiToken: 'own-token-1234',
    });

    const production = parseSettingsForm({ ...own, etpay_mode: 'production' }, parsed.settings!, secrets);
    expect(production.ok).toBe(false);
    expect(production.errors).toEqual({ etpay_production_merchantCode: 'requiredWhenEnabled' });
  });

  it('a blank secret keeps the saved one; a provider absent from the form keeps its settings', () => {
    const first = parseSettingsForm(
      {
        enabled_conekta: 'on',
        conekta_mode: 'sandbox',
        conekta_sandbox_privateKey: 'key_first_9999',
        conekta_methods: ['card'],
        conekta_lifetime_hours: '12',
      },
      null,
      secrets,
    );
    expect(first.ok).toBe(true);
    const second = parseSettingsForm(
      {
        enabled_conekta: 'on',
        conekta_mode: 'sandbox',
        conekta_sandbox_privateKey: '',
        conekta_methods: ['cash'],
        conekta_lifetime_hours: '6',
      },
      first.settings!,
      secrets,
    );
    const store = resolveStoreContext(7, second.settings, secrets);
    expect(store.providers?.conekta).toMatchObject({
      credentials: { privateKey: 'key_first_9999' },
      options: { allowedMethods: ['cash'], checkoutLifetimeHours: 6 },
    });
    const withoutConekta = parseSettingsForm({ etpay_mode: 'sandbox' }, second.settings!, secrets);
    expect(withoutConekta.settings!.enabledProviders).toEqual(['conekta']);
    expect(withoutConekta.settings!.providers.conekta).toEqual(second.settings!.providers.conekta);
  });
});
