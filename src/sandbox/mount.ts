import type { Request, Response, Router } from 'express';

/**
 * Notes where a simulator's router is mounted, for the links its pages and answers carry: routers
 * nested in it (API, pages) see only their own mount path in `req.baseUrl`.
 */
export function trackMount(router: Router, publicBaseUrl?: string) {
  router.use((req, res, next) => {
    res.locals.sandboxMount = req.baseUrl;
    next();
  });
  const mountPath = (res: Response): string => String(res.locals.sandboxMount ?? '');
  /** The simulator's absolute URL: `publicBaseUrl`, else from the request (protocol, Host, mount path). */
  const baseUrlOf = (req: Request, res: Response): string =>
    (publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? '127.0.0.1'}${mountPath(res)}`).replace(
      /\/+$/,
      '',
    );
  return { mountPath, baseUrlOf };
}
