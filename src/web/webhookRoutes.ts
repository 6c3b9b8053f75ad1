import express, { Router } from 'express';
import { applyProviderStatus } from '../payments/applyProviderStatus';
import type { PaymentDeps } from '../payments/deps';
import { notificationLookup } from '../payments/providerContext';
import { forgetReceipt } from '../payments/webhookReceipts';

/**
 * Provider notifications: `POST /webhooks/{provider}` (account-wide URLs, e.g. Conekta) and
 * `POST /webhooks/{provider}/:paymentId` (per-payment URLs, e.g. ETpay, Ecart Pay). The provider
 * verifies and interprets the body; the shared use case applies it. 2xx only once recorded.
 */
export function webhookRoutes(deps: PaymentDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '256kb' });

  router.post(['/webhooks/:provider', '/webhooks/:provider/:paymentId'], raw, async (req, res) => {
    const provider = deps.providers.get(req.params.provider as string);
    if (!provider) return res.status(404).json({ error: 'unknown_provider' });
    const paymentId = req.params.paymentId as string | undefined;
    req.log = req.log.child({ provider: provider.id, ...(paymentId ? { paymentId } : {}) });

    const notification = await provider.parseNotification({
      headers: req.headers,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      ...(paymentId ? { paymentId } : {}),
      lookup: notificationLookup(deps, provider.id),
    });
    switch (notification.kind) {
      case 'ignore':
        req.log.info({ reason: notification.reason }, 'notification ignored');
        return res.status(200).json({ ok: true, ignored: notification.reason });
      case 'reject':
        req.log.warn({ reason: notification.reason }, 'notification refused');
        return res
          .status(notification.status)
          .json({ error: 'notification_refused', reason: notification.reason });
      case 'retry':
        req.log.warn(
          { reason: notification.reason },
          'notification not processed now; provider should retry',
        );
        return res.status(503).json({ error: 'try_again_later' });
      case 'observation': {
        if (paymentId && notification.paymentId !== paymentId) {
          return res
            .status(409)
            .json({ error: 'notification_refused', reason: 'payment does not match the URL' });
        }
        req.log = req.log.child({ paymentId: notification.paymentId });
        let applied;
        try {
          applied = await applyProviderStatus(
            deps,
            notification.paymentId,
            notification.observation,
            `${provider.id}:notification`,
          );
        } catch (error) {
          // Not recorded: let the provider's retry through instead of refusing it as a replay.
          if (notification.receipt)
            await forgetReceipt(deps.db, provider.id, notification.receipt).catch(() => undefined);
          throw error;
        }
        if (applied.kind === 'not_found') return res.status(404).json({ error: 'payment_not_found' });
        if (applied.kind === 'mismatch') return res.status(422).json({ error: 'amount_mismatch' });
        return res.status(200).json({ ok: true, result: applied.kind, state: applied.payment.state });
      }
    }
  });
  return router;
}
