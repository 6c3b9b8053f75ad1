import request from 'supertest';
import {
  buildPaymentRequest,
  encryptPaymentRequest,
  type PaymentRequestInput,
} from '../../src/sandbox/ecwid/payload';
import type { EcwidSimulatorState } from '../../src/sandbox/ecwid/state';
import { TEST_CLIENT_SECRET } from './app';
import { signDoubleNotification, type DoubleNotification } from './providerDouble';

/** Drives the shopper's and the provider's side of a payment against a running app. */
export function paymentFlow(appUrl: string, ecwid: { url: string; state: EcwidSimulatorState }) {
  return {
    /** Ecwid's "Go to Payment": registers the order in the simulator, posts the form, returns the payment id. */
    async start(input: PaymentRequestInput = {}) {
      const json = buildPaymentRequest({ simulatorBaseUrl: ecwid.url, clientId: 'test-client', ...input });
      ecwid.state.registerRequest(json);
      const res = await request(appUrl)
        .post('/ecwid/payment')
        .type('form')
        .send(encryptPaymentRequest(json, TEST_CLIENT_SECRET));
      if (res.status !== 200) throw new Error(`payment request answered ${res.status}`);
      const href = /<a id="continue"[^>]*href="([^"]+)"/.exec(res.text)?.[1];
      const paymentId = href?.split('/')[2];
      if (!paymentId) throw new Error('no payment id in the loading page');
      return { json, paymentId, continueUrl: href! };
    },
    /** Follows the loading page to the provider; returns the provider reference from the redirect. */
    async checkout(paymentId: string, provider?: string) {
      const res = await request(appUrl).get(
        `/pay/${paymentId}/checkout${provider ? `?provider=${provider}` : ''}`,
      );
      if (res.status !== 303) throw new Error(`checkout answered ${res.status}`);
      const location = String(res.headers.location);
      const reference = /\/checkout\/(ref_[0-9a-f]+)/.exec(location)?.[1];
      if (!reference) throw new Error(`unexpected provider redirect ${location}`);
      return { location, reference };
    },
    /** A signed provider notification. */
    notify(body: DoubleNotification, opts: { signature?: string; path?: string } = {}) {
      const raw = JSON.stringify(body);
      return request(appUrl)
        .post(opts.path ?? '/webhooks/double')
        .set('Content-Type', 'application/json')
        .set('X-Double-Signature', opts.signature ?? signDoubleNotification(raw))
        .send(raw);
    },
  };
}

/** Waits until `check` holds (outbox deliveries happen in the background); fails after `tries`. */
export async function eventually<T>(check: () => Promise<T> | T, tries = 400, everyMs = 25): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
  throw lastError;
}
