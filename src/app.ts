import { randomUUID } from 'node:crypto';
import ejs from 'ejs';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { PaymentDeps } from './payments/deps';
import { PUBLIC_DIR, VIEWS_DIR } from './paths';
import { errorHandler, notFound } from './web/errors';
import { ecwidWebhookRoutes } from './web/ecwidWebhookRoutes';
import { paymentRoutes } from './web/paymentRoutes';
import { DEFAULT_RATE_LIMITS, shopperRateLimit, webhookRateLimit, type RateLimits } from './web/rateLimit';
import { settingsRoutes } from './web/settingsRoutes';
import { renderPage } from './web/render';
import { webhookRoutes } from './web/webhookRoutes';

export interface AppDeps extends PaymentDeps {
  /** The Ecwid app's client_secret: its first 16 characters decrypt payment requests. */
  clientSecret: string;
  /** The Ecwid app's client_id (EcwidApp.init on the settings page). */
  clientId: string;
  demo: boolean;
  /** Demo-mode simulators, mounted under /sandbox; absent in production mode. */
  sandbox?: Router;
  /** Abuse limits per client (RATE_LIMIT_* variables); generous defaults when absent. */
  rateLimits?: RateLimits;
}

/** Builds the Express app. No I/O here: everything it talks to comes in through deps. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 1);
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.set('view cache', true);
  // Includes are written from the views root ('/partials/head'): EJS then resolves them without
  // asking the filesystem whether the file exists, on every render (half of a page's render time).
  app.engine('ejs', (file, data, done) =>
    ejs.renderFile(file, data as ejs.Data, { root: VIEWS_DIR, cache: true }, done),
  );
  app.locals.demo = deps.demo;

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Paths only: query strings can carry encrypted payloads or provider tokens.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || (req.url ?? '').startsWith('/public/') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      // Provider pages and Ecwid must receive our redirects' Referer-free navigation.
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use('/public', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));

  // Browsers ask for it on every page; there is none, and a 404 would only clutter logs and consoles.
  app.get(
    '/favicon.ico',
    (_req, res) => void res.status(204).set('Cache-Control', 'public, max-age=86400').end(),
  );
  app.get('/healthz', async (_req, res) => {
    try {
      await deps.db.query('SELECT 1');
      res
        .set('Cache-Control', 'no-store')
        .json({ status: 'ok', database: deps.db.kind, mode: deps.demo ? 'demo' : 'production' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: deps.db.kind });
    }
  });
  app.get('/', (req, res) => {
    if (deps.demo) return res.redirect(302, '/sandbox/ecwid/store');
    renderPage(res, 200, 'home', 'en');
  });

  // Abuse limits before any body is read: a flood is refused before it costs a parse or a query.
  const limits = deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  const shopperLimit = shopperRateLimit(limits.shopperPerMinute);
  if (shopperLimit) app.use(['/ecwid/payment', '/pay', '/return', '/settings'], shopperLimit);
  const webhookLimit = webhookRateLimit(limits.webhookPerMinute);
  if (webhookLimit) app.use('/webhooks', webhookLimit);

  app.use(paymentRoutes(deps));
  app.use(settingsRoutes(deps));
  app.use(ecwidWebhookRoutes(deps)); // before the provider webhooks: "ecwid" is not a provider
  app.use(webhookRoutes(deps));
  if (deps.sandbox) app.use('/sandbox', deps.sandbox);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
