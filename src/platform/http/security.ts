import { ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rememberingSigner } from './remembering-signer.js';
import { securityHeaders } from './security-headers.js';

/** The CSRF secret lives in a signed, host-only cookie: no server-side state, so replicas are interchangeable. */
export const CSRF_COOKIE = '__Host-crm-csrf';

/** A form's token stops being accepted after this long; a captured token is not good forever. */
export const CSRF_TOKEN_VALIDITY_MS = 2 * 60 * 60 * 1000;

const HEADERS = securityHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      upgradeInsecureRequests: [],
    },
  },
  // The legacy header says what frame-ancestors 'none' says, for browsers without CSP 2.
  xFrameOptions: { action: 'deny' },
  // Same-origin keeps Referer (and a real Origin) on our own forms for the cross-site check.
  referrerPolicy: { policy: 'same-origin' },
});

/** The same headers on every response, framework errors included. */
export function applySecurityHeaders(reply: FastifyReply | ServerResponse): void {
  if (reply instanceof ServerResponse) for (const [name, value] of Object.entries(HEADERS)) reply.setHeader(name, value);
  else reply.headers(HEADERS);
}

export async function registerSecurity(app: FastifyInstance, sessionSecret: string): Promise<void> {
  // Callback hooks on the hot path: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    applySecurityHeaders(reply);
    reply.header('x-request-id', request.id);
    done();
  });
  await app.register(cookie, { secret: rememberingSigner(sessionSecret) });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', httpOnly: true, secure: true, sameSite: 'strict', signed: true },
    csrfOpts: { validity: CSRF_TOKEN_VALIDITY_MS },
    getToken: postedFormToken,
  });
}

/** The form token a posted form carries (its `csrf_token` field), when it is a string. */
export function postedFormToken(request: FastifyRequest): string | undefined {
  const posted = (request.body as { csrf_token?: unknown } | undefined)?.csrf_token;
  return typeof posted === 'string' ? posted : undefined;
}

/**
 * The token for the next form on a page answering a verified post: the posted
 * one while it has more than half its life left, else a fresh one. Reusing
 * it spares a cookie unsigning and a hash per post (the lookup's hot path);
 * @fastify/csrf puts the issue time first in a token with a validity, in base 36.
 */
export function nextFormToken(reply: FastifyReply, postedToken: string | undefined): string {
  const issuedAt = postedToken ? formTokenIssuedAt(postedToken) : Number.NaN;
  const young = Number.isFinite(issuedAt) && Date.now() - issuedAt < CSRF_TOKEN_VALIDITY_MS / 2;
  return young && postedToken ? postedToken : reply.generateCsrf();
}

/** When a form token was issued (ms since the epoch), as @fastify/csrf writes it: base 36, before the first "-"; NaN when it is not there. */
export function formTokenIssuedAt(token: string): number {
  const dash = token.indexOf('-');
  return dash <= 0 ? Number.NaN : Number.parseInt(token.slice(0, dash), 36);
}

/** Pages that carry a form token or a balance must not be kept by browsers or proxies. */
export function noStore(scope: FastifyInstance): void {
  scope.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', 'no-store');
    done();
  });
}
