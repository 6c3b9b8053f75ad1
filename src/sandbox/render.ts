import path from 'node:path';
import ejs from 'ejs';
import type { Response } from 'express';

/** The origin of an absolute URL; null for a missing or relative one (this origin, then). */
export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export interface PageCsp {
  /**
   * Where the page's forms go: a form posting here may be redirected on to the merchant, and
   * form-action covers every hop, so these origins are allowed too.
   */
  formTargets?: readonly (string | undefined)[];
  /** What the page frames, if anything (the Ecwid admin frames the app's settings). */
  frameSrc?: string;
}

/** A simulator page's CSP: its own scripts, styles and images only, never framed. */
export function pageCsp({ formTargets = [], frameSrc }: PageCsp = {}): string {
  const origins = [...new Set(formTargets.map(originOf).filter((o): o is string => o !== null))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `form-action 'self'${origins.map((o) => ` ${o}`).join('')}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ...(frameSrc ? [`frame-src ${frameSrc}`] : []),
  ].join('; ');
}

export type RenderPage = (
  res: Response,
  view: string,
  data: Record<string, unknown>,
  status?: number,
  csp?: PageCsp,
) => Promise<void>;

/**
 * Renders a simulator's views (`<viewsDir>/<view>.ejs`, with `helpers` such as its amount format) and
 * sends them uncached, with the page CSP and no referrer.
 */
export function pageRenderer(viewsDir: string, helpers: Record<string, unknown>): RenderPage {
  return async (res, view, data, status = 200, csp = {}) => {
    const html = await ejs.renderFile(path.join(viewsDir, `${view}.ejs`), { ...helpers, ...data });
    res
      .status(status)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': pageCsp(csp),
        'Referrer-Policy': 'no-referrer',
      })
      .send(html);
  };
}
