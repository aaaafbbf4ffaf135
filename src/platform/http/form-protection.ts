import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nextFormToken } from './security.js';

/**
 * How an HTML scope proves a posted form came from a page it served to the
 * same visitor. The public scope binds the token to a signed cookie; a
 * signed-in scope binds it to the session.
 */
export interface FormProtection {
  /** Calls done() for a genuine form; done(error) or a sent error reply otherwise. */
  verify(scope: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void;
  /** The token for the next form on the page; `posted` is the one the request carried, when verified. */
  token(request: FastifyRequest, reply: FastifyReply, posted?: string): string;
}

/** The visitor's own signed cookie holds the secret; nothing is stored on the server. */
export const cookieFormProtection: FormProtection = {
  verify: (scope, request, reply, done) => scope.csrfProtection(request, reply, done),
  token: (_request, reply, posted) => (posted === undefined ? reply.generateCsrf() : nextFormToken(reply, posted)),
};
