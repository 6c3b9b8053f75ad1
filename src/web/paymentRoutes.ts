import express, { Router } from 'express';
import { readPaymentRequest, type PaymentRequestError } from '../ecwid/paymentRequest';
import { formatForDisplay } from '../money';
import type { PaymentDeps } from '../payments/deps';
import { isSettledForShopper } from '../payments/model';
import { openCheckout } from '../payments/openCheckout';
import { refreshStatus } from '../payments/refreshStatus';
import { findPayment } from '../payments/repository';
import { returnToStore } from '../payments/returnToStore';
import { startPayment } from '../payments/startPayment';
import { recordSavedCardAfterPayment } from '../savedCards';
import { renderSavedCardsStep, savedCardFormRoutes } from '../savedCards/web';
import { format, messages, type MessageKey } from './i18n';
import { renderError, renderPage, withErrorMessage } from './render';

/** Ecwid sends the full order twice (enc_data and data): several KB, up to this. */
export const PAYMENT_FORM_LIMIT = '2mb';

/** Minimum time between two provider status pulls for one payment from the polling page. */
const POLL_REFRESH_MS = 5_000;
const MAX_TRACKED_POLLS = 10_000;

export function paymentRoutes(deps: PaymentDeps & { clientSecret: string }): Router {
  const router = Router();
  const lastPoll = new Map<string, number>();

  // Ecwid's cross-site form POST: no session, no CSRF token (it is authenticated by its encryption).
  router.post(
    '/ecwid/payment',
    express.urlencoded({ extended: false, limit: PAYMENT_FORM_LIMIT, parameterLimit: 20 }),
    async (req, res) => {
      const parsed = readPaymentRequest(req.body ?? {}, deps.clientSecret);
      if (!parsed.ok) {
        req.log.warn({ reason: describeRequestError(parsed.error) }, 'payment request refused');
        const { status, key } = requestErrorPage(parsed.error);
        return renderError(req, res, status, key, {
          values: { currency: 'currency' in parsed.error ? parsed.error.currency : '' },
        });
      }
      const request = parsed.request;
      const started = await startPayment(deps, request);
      req.log = req.log.child({ paymentId: started.payment.id });
      req.log.info(
        { result: started.kind, storeId: request.storeId, attempt: started.payment.attempt },
        'payment request accepted',
      );
      const next =
        started.kind === 'already_paid'
          ? `/return/${started.payment.id}`
          : `/pay/${started.payment.id}/checkout`;
      renderPage(res, 200, 'loading', request.lang, { continueUrl: next });
    },
  );

  router.get('/pay/:paymentId/checkout', async (req, res) => {
    const paymentId = req.params.paymentId;
    req.log = req.log.child({ paymentId });
    const chosen = typeof req.query.provider === 'string' ? req.query.provider : undefined;
    const result = await openCheckout(deps, paymentId, chosen, { otherMethod: req.query.method === 'other' });
    switch (result.kind) {
      case 'not_found':
        return renderError(req, res, 404, 'notFound');
      case 'redirect':
        return res.redirect(303, result.url);
      case 'settled':
      case 'in_flight':
        return res.redirect(303, `/return/${result.payment.id}`);
      case 'saved_cards':
        return renderSavedCardsStep(res, deps.secrets, result, req.query.notice);
      case 'choose': {
        const { payment } = result;
        const t = messages(payment.lang);
        return renderPage(res, 200, 'chooser', payment.lang, {
          summary: format(t.chooserBody, {
            order: payment.ecwidOrderId,
            amount: formatForDisplay(payment.total, payment.lang),
          }),
          options: result.options.map((o) => ({
            ...o,
            href: `/pay/${payment.id}/checkout?provider=${encodeURIComponent(o.id)}`,
          })),
          backUrl: withErrorMessage(payment.returnUrl, t.paymentFailed),
        });
      }
      case 'no_provider': {
        const { payment } = result;
        const message = format(messages(payment.lang).noProvider, { currency: payment.total.currency });
        return renderError(req, res, 422, 'noProvider', {
          lang: payment.lang,
          values: { currency: payment.total.currency },
          backUrl: withErrorMessage(payment.returnUrl, message),
        });
      }
      case 'provider_error': {
        const { payment } = result;
        const key = result.retryable ? 'providerError' : 'providerRefused';
        return renderError(req, res, result.retryable ? 502 : 422, key, {
          lang: payment.lang,
          ...(result.retryable ? { retryUrl: `/pay/${payment.id}/checkout` } : {}),
          backUrl: withErrorMessage(payment.returnUrl, messages(payment.lang)[key]),
        });
      }
    }
  });

  // The saved-card forms of the checkout step (src/savedCards/web.ts).
  router.use(savedCardFormRoutes(deps));

  router.get('/pay/:paymentId/status', async (req, res) => {
    let payment = await findPayment(deps.db, req.params.paymentId);
    if (!payment)
      return res.status(404).set('Cache-Control', 'no-store').json({ error: 'payment_not_found' });
    const last = lastPoll.get(payment.id) ?? 0;
    if (!isSettledForShopper(payment.state) && Date.now() - last >= POLL_REFRESH_MS) {
      // A throttle, not a record: forgetting it only costs an extra provider call.
      if (lastPoll.size >= MAX_TRACKED_POLLS) lastPoll.clear();
      lastPoll.set(payment.id, Date.now());
      payment = await refreshStatus(deps, payment, 'poll');
    }
    if (isSettledForShopper(payment.state)) lastPoll.delete(payment.id);
    res.set('Cache-Control', 'no-store').json({
      state: payment.state,
      // Back to waiting for a checkout (a saved-card charge that failed): nothing left to wait for here.
      settled: isSettledForShopper(payment.state) || (payment.state === 'created' && !payment.provider),
      next: `/return/${payment.id}`,
    });
  });

  router.get('/return/:paymentId', async (req, res) => {
    const paymentId = req.params.paymentId;
    req.log = req.log.child({ paymentId });
    const result = await returnToStore(deps, paymentId, req.query as Record<string, unknown>);
    switch (result.kind) {
      case 'not_found':
        return renderError(req, res, 404, 'notFound');
      case 'not_started':
        return res.redirect(
          303,
          `/pay/${result.payment.id}/checkout${result.provider ? `?${new URLSearchParams({ provider: result.provider }).toString()}` : ''}`,
        );
      case 'processing':
        return renderPage(res, 200, 'processing', result.payment.lang, {
          returnPath: `/return/${result.payment.id}`,
          statusUrl: `/pay/${result.payment.id}/status`,
        });
      case 'to_store':
        req.log.info({ state: result.payment.state }, 'shopper returned to the store');
        // A card saved on the provider's page is recorded once the payment is verified paid.
        await recordSavedCardAfterPayment(deps, result.payment).catch((err: unknown) =>
          req.log.warn({ err }, 'saved card not recorded after payment'),
        );
        return res.redirect(303, result.payment.returnUrl);
      case 'to_store_failed':
        req.log.info({ state: result.payment.state }, 'shopper returned to the store after a failed payment');
        return res.redirect(
          303,
          withErrorMessage(result.payment.returnUrl, messages(result.payment.lang).paymentFailed),
        );
    }
  });

  return router;
}

function requestErrorPage(error: PaymentRequestError): { status: number; key: MessageKey } {
  switch (error.kind) {
    case 'decrypt':
      return { status: 400, key: 'undecryptable' };
    case 'amount':
      return error.reason === 'unsupported_currency'
        ? { status: 422, key: 'unsupportedCurrency' }
        : { status: 422, key: 'invalidTotal' };
    default:
      return { status: 400, key: 'badRequest' };
  }
}

/** For the log: what was wrong, never the content. */
function describeRequestError(error: PaymentRequestError): Record<string, unknown> {
  switch (error.kind) {
    case 'decrypt':
      return { kind: error.kind, field: error.field, reason: error.reason };
    case 'invalid':
      return { kind: error.kind, issues: error.issues.slice(0, 10) };
    case 'amount':
      return { kind: error.kind, reason: error.reason, currency: error.currency };
    default:
      return { kind: error.kind };
  }
}
