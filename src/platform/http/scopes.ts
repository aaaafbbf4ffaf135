import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { errorHandler, notFoundHandler, renderHtmlError, renderProblem } from './error-rendering.js';
import { noStore, protectStateChanges } from './security.js';

/**
 * Route scopes decide what a route gets by where it is registered, not by
 * what each route remembers to ask for:
 * - public: HTML, form bodies only, CSRF + same-origin check on every state change, no sign-in.
 * - staff:  the same, plus a signed-in user on every request.
 * - api:    JSON only, bearer token on every request, problem+json errors, no cookies, no CSRF.
 */

/** Adds a module's routes to a scope (usually `scope.register(plugin, options)`). */
export type ScopeRoutes = readonly ((scope: FastifyInstance) => PromiseLike<unknown>)[];

/** Decides whether the request may enter the scope; throws an AppError (401/403) when not. */
export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface HtmlScopeOptions {
  readonly routes: ScopeRoutes;
  /** Present for staff scopes; public scopes let everyone in. */
  readonly authenticate?: Authenticate;
}

/** Only form posts are parsed: a JSON or text body gets 415, and nothing is coerced into a field. */
async function formBodiesOnly(scope: FastifyInstance): Promise<void> {
  scope.removeAllContentTypeParsers();
  await scope.register(fastifyFormbody);
}

export async function htmlScope(scope: FastifyInstance, { routes, authenticate }: HtmlScopeOptions): Promise<void> {
  scope.setErrorHandler(errorHandler(renderHtmlError, { accepts: 'application/x-www-form-urlencoded (a form)' }));
  await formBodiesOnly(scope);
  if (authenticate) scope.addHook('onRequest', authenticate);
  protectStateChanges(scope);
  noStore(scope);
  for (const addRoutes of routes) await addRoutes(scope);
}

export interface ApiScopeOptions {
  readonly routes: ScopeRoutes;
  readonly authenticate: Authenticate;
}

export async function apiScope(scope: FastifyInstance, { routes, authenticate }: ApiScopeOptions): Promise<void> {
  scope.setErrorHandler(errorHandler(renderProblem, { accepts: 'application/json' }));
  scope.setNotFoundHandler(notFoundHandler(renderProblem));
  const json = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  scope.addHook('onRequest', authenticate);
  noStore(scope);
  for (const addRoutes of routes) await addRoutes(scope);
}

/** Until staff sign-in exists, the staff scope lets nobody in. */
export const nobodySignedIn: Authenticate = async () => {
  throw new AppError(401, 'SIGN_IN_REQUIRED', 'Please sign in to see this page.');
};

/** Until API tokens exist, the API scope accepts no token. */
export const noApiTokens: Authenticate = async () => {
  throw new AppError(401, 'TOKEN_REQUIRED', 'This API needs a valid bearer token in the Authorization header.', {
    headers: { 'www-authenticate': 'Bearer realm="globomantics-crm"' },
  });
};
