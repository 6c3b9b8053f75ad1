import { Router } from 'express';
import type { Config } from '../config';
import { createConektaSimulator, DEMO_CONEKTA_PRIVATE_KEY } from './conekta/router';
import { createEcartPaySimulator, DEMO_ECARTPAY_WEBHOOK_SECRET } from './ecartpay/router';
import { createEcwidSimulator } from './ecwid/router';
import { createEtpaySimulator } from './etpay/router';

/** The simulators mounted under /sandbox in demo mode (never in production mode). */
export function demoSimulators(config: Config, appUrl: string): Router {
  const sandbox = Router();
  sandbox.use(
    '/ecwid',
    createEcwidSimulator({
      clientId: config.ecwid.clientId,
      clientSecret: config.ecwid.clientSecret,
      paymentUrl: `${appUrl}/ecwid/payment`,
      publicBaseUrl: `${appUrl}/sandbox/ecwid`,
    }).router,
  );
  sandbox.use('/etpay', createEtpaySimulator({ publicBaseUrl: `${appUrl}/sandbox/etpay` }).router);
  sandbox.use(
    '/conekta',
    createConektaSimulator({
      privateKeys: [DEMO_CONEKTA_PRIVATE_KEY],
      publicBaseUrl: `${appUrl}/sandbox/conekta`,
      webhookUrl: `${appUrl}/webhooks/conekta`,
    }).router,
  );
  sandbox.use(
    '/ecartpay',
    createEcartPaySimulator({
      publicBaseUrl: `${appUrl}/sandbox/ecartpay`,
      webhookSecret: DEMO_ECARTPAY_WEBHOOK_SECRET,
    }).router,
  );
  return sandbox;
}
