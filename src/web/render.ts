import type { Request, Response } from 'express';
import { format, langFromHeader, messages, type Lang, type MessageKey } from './i18n';

/** Renders a shopper page with the common locals; shopper pages are never cached. */
export function renderPage(
  res: Response,
  status: number,
  view: string,
  lang: Lang,
  locals: Record<string, unknown> = {},
): void {
  res.status(status).set('Cache-Control', 'no-store');
  res.render(view, { lang, t: messages(lang), demo: res.app.locals.demo === true, ...locals });
}

/** A shopper error page in plain words: no stack traces, no internals. */
export function renderError(
  req: Request,
  res: Response,
  status: number,
  key: MessageKey,
  opts: { lang?: Lang; values?: Record<string, string>; backUrl?: string; retryUrl?: string } = {},
): void {
  const lang = opts.lang ?? langFromHeader(req.get('accept-language'));
  renderPage(res, status, 'error', lang, {
    message: format(messages(lang)[key], opts.values ?? {}),
    backUrl: opts.backUrl,
    retryUrl: opts.retryUrl,
  });
}

/** Ecwid's returnUrl with errorMsg added through the URL API (it already has a query string). */
export function withErrorMessage(returnUrl: string, message: string): string {
  const url = new URL(returnUrl);
  url.searchParams.set('errorMsg', message);
  return url.toString();
}
