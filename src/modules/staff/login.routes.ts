import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { keyedLimit, perMinute } from '../../platform/http/rate-limit.js';
import { PUBLIC } from '../../platform/http/scopes.js';
import type { Database } from '../../schema.js';
import { LOGIN_PATH } from './guards.js';
import { loginPage, SIGN_IN_FAILED } from './login.views.js';
import { endSession, hashSessionId, SESSION_COOKIE, sessionCookieOptions, type SessionPolicy } from './sessions.js';
import { signIn, type LockoutPolicy } from './sign-in.js';
import { HTML } from '../../platform/views/staff-page.js';
import { normalizeUsername } from './users.js';

/** Where staff land after signing in when no page asked for them (the dashboard). */
export const AFTER_SIGN_IN = '/dashboard';

/**
 * Only a path on this site: never another host (//evil, /\evil) or a scheme,
 * nor control characters or text that is not well-formed; `fallback` otherwise.
 * Characters beyond ASCII are percent-encoded: a Location header carries only ASCII.
 */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  // eslint-disable-next-line no-control-regex
  if (!/^\/(?![/\\])[^\s\\\u0000-\u001f\u007f]*$/u.test(next)) return fallback;
  try {
    return next.replace(/[^ -~]/gu, (character) => encodeURIComponent(character));
  } catch {
    return fallback; // a lone surrogate: not text at all
  }
}

const loginForm = z.object(
  {
    username: z.string({ error: 'Please enter your user name.' }).max(200, { error: 'That user name is too long.' }),
    password: z.string({ error: 'Please enter your password.' }).max(1024, { error: 'That password is too long.' }),
    next: z.string().optional(),
    csrf_token: z.string().optional(),
  },
  { error: 'Please fill in the sign-in form.' },
);

export interface LoginRoutesOptions {
  readonly db: Kysely<Database>;
  readonly session: SessionPolicy;
  readonly lockout: LockoutPolicy;
  /** Sign-in posts per minute per client address and, separately, per user name; 0 = no limit. */
  readonly attemptsPerMinute: number;
}

/** The sign-in page: public, with the cookie-bound form token (there is no session yet). */
export const loginRoutes: FastifyPluginAsyncZod<LoginRoutesOptions> = async (app, { db, session, lockout, attemptsPerMinute }) => {
  const limitPerUserName = keyedLimit(app, {
    perMinute: attemptsPerMinute,
    // The body was validated before preHandler: username is a string.
    key: (request) => `login-user:${normalizeUsername((request.body as { username: string }).username).slice(0, 64)}`,
    whose: 'for this user name',
  });

  const loginQuery = z.object({ next: z.string().optional(), signed_out: z.string().optional() });
  app.get(LOGIN_PATH, { config: { access: PUBLIC }, schema: { querystring: loginQuery } }, async (request, reply) => {
    const notice = request.query.signed_out === undefined ? undefined : 'You have signed out.';
    return reply.type(HTML).send(loginPage({ csrfToken: reply.formToken(), next: safeNext(request.query.next, AFTER_SIGN_IN), ...(notice ? { notice } : {}) }));
  });

  app.post(
    LOGIN_PATH,
    {
      config: { access: PUBLIC, rateLimit: perMinute(attemptsPerMinute) },
      schema: { body: loginForm },
      ...(limitPerUserName ? { preHandler: limitPerUserName } : {}),
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const next = safeNext(request.body.next, AFTER_SIGN_IN);
      const result = await signIn(db, { username, password, from: { ip: request.ip, requestId: request.id } }, { session, lockout });
      if (!result.ok) {
        return reply.code(401).type(HTML).send(loginPage({ csrfToken: reply.formToken(request.body.csrf_token), next, username: username.slice(0, 64), problem: SIGN_IN_FAILED }));
      }
      // A new id at sign-in: a session id planted before sign-in is worth nothing after it.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous !== undefined) await endSession(db, hashSessionId(previous));
      reply.setCookie(SESSION_COOKIE, result.sessionId, sessionCookieOptions(session.maxAgeMs));
      return reply.redirect(next, 303);
    },
  );
};
