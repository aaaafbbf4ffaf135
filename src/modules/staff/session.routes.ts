import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { recordAudit } from '../audit/index.js';
import { LOGIN_PATH } from './guards.js';
import { actorOf, principalOf } from './principal.js';
import { endSession, SESSION_COOKIE, sessionCookieOptions } from './sessions.js';

/** Signing out ends the session in the database, so every replica refuses the cookie at once. */
export const sessionRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database> }> = async (app, { db }) => {
  app.post('/logout', { config: { access: 'self' } }, async (request, reply) => {
    const { sessionIdHash, username } = principalOf(request);
    await db.transaction().execute(async (trx) => {
      if (sessionIdHash) await endSession(trx, sessionIdHash);
      await recordAudit(trx, actorOf(request), { action: 'session.signed_out', target: username });
    });
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(0));
    return reply.redirect(`${LOGIN_PATH}?signed_out=1`, 303);
  });
};
