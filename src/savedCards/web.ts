import express, { Router, type Response } from 'express';
import { formatForDisplay } from '../money';
import type { PaymentDeps } from '../payments/deps';
import type { OpenCheckoutResult } from '../payments/openCheckout';
import type { Secrets } from '../secrets';
import { format, messages } from '../web/i18n';
import { renderError, renderPage, withErrorMessage } from '../web/render';
import {
  brandName,
  cardViews,
  payWithSavedCard,
  payWithVerifiedCard,
  removeSavedCard,
  verificationStep,
  type FormOutcome,
  type Notice,
} from './service';

/** The shopper's pages of saved cards: the checkout step that offers them, and its two forms. */

/** `GET /pay/:paymentId/checkout` when the shopper has saved cards at the chosen provider. */
export function renderSavedCardsStep(
  res: Response,
  secrets: Secrets,
  result: Extract<OpenCheckoutResult, { kind: 'saved_cards' }>,
  queryNotice: unknown,
): void {
  const { payment, provider } = result;
  const t = messages(payment.lang);
  const base = `/pay/${payment.id}`;
  // The forms post here, then the answer redirects to a 3-D Secure page or back to the store:
  // browsers hold redirects after a form post to form-action, so those must be allowed too.
  res.setHeader('Content-Security-Policy', savedCardsPageCsp(payment.returnUrl));
  renderPage(res, 200, 'savedCards', payment.lang, {
    summary: format(t.chooserBody, {
      order: payment.ecwidOrderId,
      amount: formatForDisplay(payment.total, payment.lang),
    }),
    providerName: provider.displayName,
    notice: savedCardNotice(payment.lang, result.notice, queryNotice),
    cards: cardViews(secrets, payment.id, result.cards).map((c) => ({
      ...c,
      label: format(t.payWithSavedCard, { brand: c.brand, last4: c.last4 }),
      removeLabel: format(t.removeSavedCard, { brand: c.brand, last4: c.last4 }),
      expiresText: c.expires ? format(t.savedCardExpires, { date: c.expires }) : '',
    })),
    payAction: `${base}/saved-cards/pay`,
    removeAction: `${base}/saved-cards/remove`,
    otherUrl: `${base}/checkout?${new URLSearchParams({ provider: provider.id, method: 'other' }).toString()}`,
    chooseUrl: result.otherProviders ? `${base}/checkout` : null,
    backUrl: withErrorMessage(payment.returnUrl, t.paymentFailed),
  });
}

/** `POST /pay/:paymentId/saved-cards/pay|remove`: signed, single-use tokens; same-origin posts only. */
export function savedCardFormRoutes(deps: PaymentDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 5 });
  const actions: [
    string,
    (deps: PaymentDeps, paymentId: string, body: Record<string, unknown>) => Promise<FormOutcome>,
  ][] = [
    ['/pay/:paymentId/saved-cards/pay', (d, id, b) => payWithSavedCard(d, id, b.t)],
    ['/pay/:paymentId/saved-cards/remove', (d, id, b) => removeSavedCard(d, id, b.t)],
    ['/pay/:paymentId/saved-cards/verify', (d, id, b) => payWithVerifiedCard(d, id, b.t, b.card_token)],
  ];

  // The step where the provider's own component verifies the card (e.g. its security code, typed on
  // the provider's origin); only a single-use card token comes back, with this page's signed form.
  router.get('/pay/:paymentId/saved-cards/verify', async (req, res) => {
    const paymentId = req.params.paymentId;
    req.log = req.log.child({ paymentId });
    const step = await verificationStep(deps, paymentId, req.query.card);
    if (step.kind === 'redirect') return res.redirect(303, step.url);
    if (step.kind === 'refused') {
      req.log.warn({ reason: step.reason }, 'card verification step refused');
      const payment = step.payment;
      return renderError(req, res, step.status, step.message, {
        ...(payment
          ? {
              lang: payment.lang,
              retryUrl: `/pay/${payment.id}/checkout`,
              backUrl: withErrorMessage(payment.returnUrl, messages(payment.lang).paymentFailed),
            }
          : {}),
      });
    }
    const { payment, card } = step;
    const t = messages(payment.lang);
    const cardText = `${brandName(card.brand)} •••• ${card.last4}`;
    res.setHeader('Content-Security-Policy', savedCardsPageCsp(payment.returnUrl, step.origin));
    renderPage(res, 200, 'savedCardVerify', payment.lang, {
      summary: format(t.chooserBody, {
        order: payment.ecwidOrderId,
        amount: formatForDisplay(payment.total, payment.lang),
      }),
      intro: format(t.savedCardVerifyIntro, { provider: step.providerName, card: cardText }),
      waiting: format(t.savedCardVerifyWaiting, { provider: step.providerName }),
      action: `/pay/${payment.id}/saved-cards/verify`,
      sessionId: step.sessionId,
      providerCardId: card.providerCardId,
      lang: payment.lang,
      formToken: step.formToken,
      scriptUrl: step.scriptUrl,
      backUrl: `/pay/${payment.id}/checkout?${new URLSearchParams({ provider: card.provider }).toString()}`,
    });
  });

  for (const [path, action] of actions) {
    router.post(path, form, async (req, res) => {
      const paymentId = req.params.paymentId as string;
      req.log = req.log.child({ paymentId });
      const origin = req.get('origin');
      if (
        (origin && origin !== 'null' && origin !== `${req.protocol}://${req.get('host')}`) ||
        req.get('sec-fetch-site') === 'cross-site'
      ) {
        req.log.warn({ origin }, 'cross-site saved-card form refused');
        return renderError(req, res, 403, 'savedCardFormInvalid');
      }
      const outcome: FormOutcome = await action(
        deps,
        paymentId,
        (req.body as Record<string, unknown> | undefined) ?? {},
      );
      if (outcome.kind === 'redirect') return res.redirect(303, outcome.url);
      req.log.warn({ reason: outcome.reason }, 'saved-card form refused');
      const payment = outcome.payment;
      return renderError(req, res, outcome.status, outcome.message, {
        ...(payment
          ? {
              lang: payment.lang,
              retryUrl: `/pay/${payment.id}/checkout`,
              backUrl: withErrorMessage(payment.returnUrl, messages(payment.lang).paymentFailed),
            }
          : {}),
      });
    });
  }
  return router;
}

/**
 * The app's CSP with form-action widened to https (3-D Secure pages) and the store's return origin; on
 * the verification step, the provider's origin (and only it) for its script and its frame.
 */
function savedCardsPageCsp(returnUrl: string, providerOrigin?: string): string {
  let store = '';
  try {
    store = new URL(returnUrl).origin;
  } catch {
    // returnUrl was validated at intake; nothing to add otherwise.
  }
  return [
    "default-src 'self'",
    `script-src 'self'${providerOrigin ? ` ${providerOrigin}` : ''}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `frame-src ${providerOrigin ?? "'none'"}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self' https:${store ? ` ${store}` : ''}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The checkout step's message after a saved-card attempt or a removal (fixed texts only). */
function savedCardNotice(
  lang: 'es' | 'en',
  notice: Notice | null,
  query: unknown,
): { text: string; error: boolean } | null {
  const t = messages(lang);
  if (query === 'removed') return { text: t.savedCardRemoved, error: false };
  if (query === 'remove_failed') return { text: t.savedCardRemoveFailed, error: true };
  if (query === 'verify_failed') return { text: t.savedCardVerifyFailed, error: true };
  if (!notice) return null;
  const card = notice.card ? `${brandName(notice.card.brand)} •••• ${notice.card.last4}` : '';
  switch (notice.kind) {
    case 'declined':
      return {
        text: format(t.savedCardDeclined, {
          card,
          reason: notice.message ?? t.savedCardDeclinedReason,
        }).trim(),
        error: true,
      };
    case 'card_gone':
      return { text: format(t.savedCardGone, { card }), error: true };
    case 'not_charged':
      return { text: format(t.savedCardNotCharged, { card }), error: true };
  }
}
