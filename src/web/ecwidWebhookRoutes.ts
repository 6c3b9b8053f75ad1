import express, { Router } from 'express';
import { ecwidWebhookSchema, verifyEcwidWebhookSignature } from '../ecwid/webhooks';
import { readStoredSettings, withoutSecrets } from '../merchants/settings';
import { findStore, purgeStore, recordInstall } from '../merchants/stores';
import type { PaymentDeps } from '../payments/deps';
import { firstReceipt } from '../payments/webhookReceipts';

/**
 * `POST /webhooks/ecwid`: app lifecycle events. The signature covers only eventCreated.eventId, so
 * the body is trusted for nothing but the event id and type of an authentic delivery; acting on an
 * uninstall (forgetting a token) is safe to do on that basis. Deduplicated on eventId.
 */
export function ecwidWebhookRoutes(
  deps: Pick<PaymentDeps, 'db' | 'logger'> & { clientSecret: string },
): Router {
  const router = Router();
  router.post('/webhooks/ecwid', express.json({ limit: '256kb', type: () => true }), async (req, res) => {
    const parsed = ecwidWebhookSchema.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: 'malformed_event' });
    const event = parsed.data;
    if (!verifyEcwidWebhookSignature(deps.clientSecret, event, req.get('x-ecwid-webhook-signature'))) {
      req.log.warn({ eventType: event.eventType }, 'ecwid webhook with a bad signature refused');
      return res.status(401).json({ error: 'bad_signature' });
    }
    req.log = req.log.child({ storeId: event.storeId, eventType: event.eventType });
    if (!(await firstReceipt(deps.db, 'ecwid', event.eventId))) {
      return res.status(200).json({ ok: true, duplicate: true });
    }
    switch (event.eventType) {
      case 'application.installed':
        await recordInstall(deps.db, event.storeId);
        req.log.info('app installed');
        break;
      case 'application.uninstalled': {
        await deps.db.transaction(async (tx) => {
          const store = await findStore(tx, event.storeId);
          const settings = readStoredSettings(store?.settings);
          await purgeStore(tx, event.storeId, settings ? withoutSecrets(settings) : null);
        });
        req.log.info('app uninstalled: token and secrets purged');
        break;
      }
      default:
        req.log.debug('ecwid event ignored');
    }
    res.status(200).json({ ok: true });
  });
  return router;
}
