import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLRU } from 'lru.min';
import { REMEMBERED_MAX } from './remembering-signer.js';
import { CSRF_COOKIE, CSRF_TOKEN_VALIDITY_MS, formTokenIssuedAt, nextFormToken, postedFormToken } from './security.js';

/**
 * How an HTML scope proves a posted form came from a page it served to the
 * same visitor. The public scope binds the token to a signed cookie; a
 * signed-in scope binds it to the session.
 */
export interface FormProtection {
  /** Calls done() for a genuine form; done(error) or a sent error reply otherwise. */
  verify(scope: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void;
  /** The token for the next form on a page; `posted` is the one the request carried, when verified. */
  token(request: FastifyRequest, reply: FastifyReply, posted?: string): string;
}

/**
 * The visitor's own signed cookie holds the secret; nothing is stored on the
 * server but a memory of the (cookie, token) pairs accepted lately: a visitor
 * posting the same form again (the lookup page reuses its token) is accepted
 * without the token's hash, while the token is still valid (decision 31).
 * The CSRF plugin's verdict on a pair depends on nothing else, and the
 * validity is checked here on every post, as the plugin checks it. One
 * memory per scope (per app): a pair accepted under one secret says nothing
 * under another.
 */
export function cookieFormProtection(most = REMEMBERED_MAX): FormProtection {
  const accepted = createLRU<string, true>({ max: most });
  return {
    verify: (scope, request, reply, done) => {
      const pair = postedPair(request);
      if (pair !== undefined && accepted.has(pair.key) && Date.now() - formTokenIssuedAt(pair.token) <= CSRF_TOKEN_VALIDITY_MS) return done();
      // The plugin calls this only for a genuine form; otherwise it sends the refusal itself.
      scope.csrfProtection(request, reply, () => {
        if (pair !== undefined) accepted.set(pair.key, true);
        done();
      });
    },
    token: (_request, reply, posted) => (posted === undefined ? reply.generateCsrf() : nextFormToken(reply, posted)),
  };
}

/** The signed cookie and the posted token, as one key (a header value holds no newline). */
function postedPair(request: FastifyRequest): { key: string; token: string } | undefined {
  const cookie = request.cookies[CSRF_COOKIE];
  const token = postedFormToken(request);
  if (typeof cookie !== 'string' || cookie === '' || token === undefined || token === '') return undefined;
  return { key: `${cookie}\n${token}`, token };
}
