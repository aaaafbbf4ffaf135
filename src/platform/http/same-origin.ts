import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? parsed.host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a state-changing request looks cross-site, or undefined when it does
 * not. The page's origin is checked as well as the token, so a stolen or
 * leaked token alone does not let another site post: a browser says where a form came from in
 * Sec-Fetch-Site, Origin or Referer. Requests that send none (curl, tests)
 * still need the token.
 */
export function crossSiteReason(headers: Headers, host: string): string | undefined {
  const fetchSite = header(headers, 'sec-fetch-site');
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return `the browser reports a ${fetchSite} request`;
  }
  const origin = header(headers, 'origin');
  if (origin !== undefined) {
    return hostOf(origin) === host ? undefined : `it came from another origin (${origin.slice(0, 100)})`;
  }
  const referer = header(headers, 'referer');
  if (referer !== undefined && hostOf(referer) !== host) {
    return 'it was referred by another site';
  }
  return undefined;
}

/** The refusal for a cross-site state change, or undefined for a same-site one. */
export function crossSiteRefusal(request: FastifyRequest): AppError | undefined {
  const reason = crossSiteReason(request.headers, request.host);
  return reason
    ? new AppError(403, 'CROSS_SITE_REQUEST', `This form was refused because ${reason}. Open the page on this site and submit it from there.`)
    : undefined;
}
