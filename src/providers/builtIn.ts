import type { Config } from '../config';
import { DEMO_ETPAY_MERCHANT_API_TOKEN, DEMO_ETPAY_MERCHANT_CODE } from '../sandbox/etpay/router';
import { createEtpayProvider, type EtpayProviderOptions } from './etpay/provider';
import type { PaymentProvider } from './types';

/**
 * The providers shipped with the app, built from the environment defaults. In demo mode, a
 * provider with no credentials of its own points at its simulator under /sandbox.
 */
export function builtInProviders(config: Config, appUrl: string): PaymentProvider[] {
  return [createEtpayProvider(etpayOptions(config, appUrl))];
}

function etpayOptions(config: Config, appUrl: string): EtpayProviderOptions {
  const e = config.etpay;
  if (config.demo && !e.merchantCode && !e.merchantApiToken) {
    return {
      merchantCode: DEMO_ETPAY_MERCHANT_CODE,
      merchantApiToken: DEMO_ETPAY_MERCHANT_API_TOKEN,
      apiUrl: `${appUrl}/sandbox/etpay/api`,
      pmtUrl: `${appUrl}/sandbox/etpay/pmt`,
    };
  }
  return { ...e };
}
