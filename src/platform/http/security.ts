import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance } from 'fastify';
import { securityHeaders } from './security-headers.js';

/** The CSRF secret lives in a signed, host-only cookie: no server-side session, so replicas are interchangeable. */
export const CSRF_COOKIE = '__Host-crm-csrf';

export async function registerSecurity(app: FastifyInstance, sessionSecret: string): Promise<void> {
  const headers = securityHeaders({
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
    // Same-origin keeps Referer (and a real Origin) on our own forms for the cross-site check.
    referrerPolicy: { policy: 'same-origin' },
  });
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
  await app.register(cookie, { secret: sessionSecret });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', httpOnly: true, secure: true, sameSite: 'strict', signed: true },
    getToken: (request) => {
      const body = request.body as { csrf_token?: unknown } | undefined;
      return typeof body?.csrf_token === 'string' ? body.csrf_token : undefined;
    },
  });
}
