import type { Config } from '../config';
import type { Queryable } from '../db';
import type { Logger } from '../logger';
import { DEMO_CONEKTA_PRIVATE_KEY } from '../sandbox/conekta/router';
import {
  DEMO_ECARTPAY_PRIVATE_KEY,
  DEMO_ECARTPAY_PUBLIC_KEY,
  DEMO_ECARTPAY_WEBHOOK_SECRET,
} from '../sandbox/ecartpay/router';
import { DEMO_ETPAY_MERCHANT_API_TOKEN, DEMO_ETPAY_MERCHANT_CODE } from '../sandbox/etpay/router';
import { createConektaProvider, type ConektaProviderOptions } from './conekta/provider';
import { createEcartPayProvider, type EcartPayProviderOptions } from './ecartpay/provider';
import { createEtpayProvider, type EtpayProviderOptions } from './etpay/provider';
import type { PaymentProvider } from './types';

/**
 * The providers shipped with the app, built from the environment defaults (stores' own settings
 * override them per store). In demo mode, a provider with no credentials of its own points at its
 * simulator under /sandbox.
 */
export function builtInProviders(
  config: Config,
  appUrl: string,
  deps: { db: Queryable; logger: Logger },
): PaymentProvider[] {
  return [
    createEtpayProvider(etpayOptions(config, appUrl)),
    createConektaProvider(conektaOptions(config, appUrl)),
    createEcartPayProvider(ecartPayOptions(config, appUrl, deps)),
  ];
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

function conektaOptions(config: Config, appUrl: string): ConektaProviderOptions {
  const c = config.conekta;
  if (config.demo && !c.privateKey) {
    return { privateKey: DEMO_CONEKTA_PRIVATE_KEY, apiUrl: `${appUrl}/sandbox/conekta`, livemode: false };
  }
  return { privateKey: c.privateKey, apiUrl: c.apiUrl, livemode: c.livemode };
}

function ecartPayOptions(
  config: Config,
  appUrl: string,
  deps: { db: Queryable; logger: Logger },
): EcartPayProviderOptions {
  const e = config.ecartpay;
  if (config.demo && !e.publicKey && !e.privateKey) {
    return {
      apiUrl: `${appUrl}/sandbox/ecartpay/api`,
      publicKey: DEMO_ECARTPAY_PUBLIC_KEY,
      privateKey: DEMO_ECARTPAY_PRIVATE_KEY,
      webhookSecret: DEMO_ECARTPAY_WEBHOOK_SECRET,
      // Stores' own settings reach the simulator too, whichever environment they pick.
      sandboxApiUrl: `${appUrl}/sandbox/ecartpay/api`,
      productionApiUrl: `${appUrl}/sandbox/ecartpay/api`,
      ...deps,
    };
  }
  return { ...e, productionApiUrl: e.apiUrl, ...deps };
}
