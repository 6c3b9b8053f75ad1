import type { ErrorRequestHandler, RequestHandler } from 'express';
import { renderError } from './render';

/** Paths answered to machines (JSON), not to shoppers (pages). */
const MACHINE_PATHS = /^\/(webhooks|healthz|sandbox\/[^/]+\/(api|_control))(\/|$)|^\/pay\/[^/]+\/status$/;

export function wantsJson(path: string): boolean {
  return MACHINE_PATHS.test(path);
}

export const notFound: RequestHandler = (req, res) => {
  if (wantsJson(req.path)) return void res.status(404).json({ error: 'not_found' });
  renderError(req, res, 404, 'pageNotFound');
};

/** Last resort: a plain-words answer, the details only in the log. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const status = httpStatusOf(err);
  if (status >= 500) req.log?.error({ err }, 'request failed');
  else req.log?.warn({ status, type: (err as { type?: string }).type }, 'request refused');
  if (res.headersSent) return void res.end();
  if (wantsJson(req.path)) {
    return void res.status(status).json({
      error: status === 413 ? 'payload_too_large' : status >= 500 ? 'internal_error' : 'bad_request',
    });
  }
  renderError(req, res, status, status === 413 ? 'tooLarge' : status >= 500 ? 'serverError' : 'badRequest');
};

function httpStatusOf(err: unknown): number {
  const status =
    (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
