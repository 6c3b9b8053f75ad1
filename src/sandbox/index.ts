import { Router } from 'express';
import type { Config } from '../config';
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
  return sandbox;
}
