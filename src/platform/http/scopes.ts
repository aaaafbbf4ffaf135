import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { StaffShell } from '../views/staff-page.js';
import { errorHandler, notFoundHandler, renderHtmlError, renderProblem } from './error-rendering.js';
import { cookieFormProtection, type FormProtection } from './form-protection.js';
import { keyedLimit, type KeyedLimit } from './rate-limit.js';
import { crossSiteRefusal } from './same-origin.js';
import { noStore } from './security.js';

/**
 * Route scopes decide what a route gets by where it is registered, not by
 * what each route remembers to ask for:
 * - public: HTML, form bodies only, CSRF + same-origin check on every state change, no sign-in.
 * - staff:  the same with the token bound to the session, plus a signed-in user on every request.
 * - api:    JSON only, bearer token on every request, problem+json errors, no cookies, no CSRF.
 * Every route declares `config.access`: PUBLIC in a public scope, a
 * permission elsewhere, checked by the scope's `authorize` before the handler.
 * A route without one does not register.
 */

/** The one access a route in a public scope may declare. */
export const PUBLIC = 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may use the route: PUBLIC, or a permission the scope's authorize understands. */
    access?: string;
  }
  interface FastifyReply {
    /** The CSRF token for the next form on this page, bound the way the scope binds tokens. */
    formToken(posted?: string): string;
  }
}

/** Adds a module's routes to a scope (usually `scope.register(plugin, options)`). */
export type ScopeRoutes = readonly ((scope: FastifyInstance) => PromiseLike<unknown>)[];

/** Decides whether the request may enter the scope; throws an AppError (401) when not. */
export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Decides whether the authenticated request may use a route needing `access`; throws an AppError (403) when not. */
export type Authorize = (request: FastifyRequest, access: string) => void;

/** Told about each refused form (cross-site or bad token), e.g. to audit it; must not throw. */
export type FormRefusalListener = (request: FastifyRequest, error: Error & { code?: string }) => Promise<void>;

/** How a signed-in scope lets requests in: who they are, then whether they may use the route. */
export interface Guard {
  readonly authenticate: Authenticate;
  readonly authorize: Authorize;
  /** Whether `access` names something authorize understands; checked when a route registers. */
  readonly knows: (access: string) => boolean;
}

export interface HtmlScopeOptions {
  readonly routes: ScopeRoutes;
  /** Present for staff scopes; a public scope lets everyone in and takes only PUBLIC routes. */
  readonly guard?: Guard;
  /** The cookie-bound token unless told. */
  readonly forms?: FormProtection;
  readonly onFormRefused?: FormRefusalListener;
  /** Applied to every route after authentication (per signed-in user); absent = no limit. */
  readonly rateLimit?: KeyedLimit;
  /** The layout of the scope's pages and error pages (navigation, who is signed in); the brand only unless told. */
  readonly shell?: StaffShell;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_REFUSALS = new Set(['CROSS_SITE_REQUEST', 'FST_CSRF_MISSING_SECRET', 'FST_CSRF_INVALID_TOKEN', 'FORM_TOKEN_INVALID']);

/** Refuses, at registration, a route that does not say who may use it (or says PUBLIC in a guarded scope). */
function requireDeclaredAccess(scope: FastifyInstance, guard: Guard | undefined): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access;
    const where = `${String(route.method)} ${route.url}`;
    if (access === undefined) throw new Error(`${where} declares no config.access: say who may use it`);
    if (guard && !guard.knows(access)) throw new Error(`${where} is in a signed-in scope but declares access "${access}", which its guard does not know`);
    if (!guard && access !== PUBLIC) throw new Error(`${where} is in a public scope but declares access "${access}"`);
  });
}

function authorizeEachRoute(scope: FastifyInstance, { authenticate, authorize }: Guard): void {
  scope.addHook('onRequest', authenticate);
  // Before the body is validated: a route someone may not use tells them so, not what its form expects.
  scope.addHook('preValidation', (request, _reply, done) => {
    // requireDeclaredAccess guarantees a declaration; a 404 inside the scope has none.
    const access = request.routeOptions.config.access;
    if (access !== undefined) authorize(request, access);
    done();
  });
}

/** Only form posts are parsed: a JSON or text body gets 415, and nothing is coerced into a field. */
async function formBodiesOnly(scope: FastifyInstance): Promise<void> {
  scope.removeAllContentTypeParsers();
  await scope.register(fastifyFormbody);
}

/**
 * Every state-changing request must come from our own pages (Origin/Referer/
 * Sec-Fetch-Site) and carry the form's token, before its body is validated
 * or used. Routes do not opt in; living in the scope is enough.
 */
function protectStateChanges(scope: FastifyInstance, forms: FormProtection, onFormRefused: FormRefusalListener | undefined): void {
  scope.decorateReply('formToken', function (this: FastifyReply, posted?: string) {
    return forms.token(this.request, this, posted);
  });
  // A callback hook: on a bad token the CSRF plugin sends the error itself and never calls done.
  scope.addHook('preValidation', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (SAFE_METHODS.has(request.method)) return done();
    const refusal = crossSiteRefusal(request);
    if (refusal) return done(refusal);
    forms.verify(scope, request, reply, done);
  });
  if (onFormRefused) {
    scope.addHook('onError', async (request, _reply, error: Error & { code?: string }) => {
      if (error.code !== undefined && FORM_REFUSALS.has(error.code)) await onFormRefused(request, error);
    });
  }
}

/** Counts every request of the scope once its caller is known (after authentication), so a limit can be per user or token. */
function limitEachRequest(scope: FastifyInstance, rateLimit: KeyedLimit | undefined): void {
  const limit = rateLimit && keyedLimit(scope, rateLimit);
  if (limit) scope.addHook('preValidation', limit);
}

export async function htmlScope(scope: FastifyInstance, { routes, guard, forms = cookieFormProtection(), onFormRefused, rateLimit, shell }: HtmlScopeOptions): Promise<void> {
  scope.decorateReply('staffShell', { getter: () => shell ?? null });
  scope.setErrorHandler(errorHandler(renderHtmlError, { accepts: 'application/x-www-form-urlencoded (a form)' }));
  await formBodiesOnly(scope);
  requireDeclaredAccess(scope, guard);
  // Forged forms are refused first (and audited), then the user's permission is checked.
  protectStateChanges(scope, forms, onFormRefused);
  if (guard) authorizeEachRoute(scope, guard);
  limitEachRequest(scope, rateLimit);
  noStore(scope);
  for (const addRoutes of routes) await addRoutes(scope);
}

export interface ApiScopeOptions {
  readonly routes: ScopeRoutes;
  readonly guard: Guard;
  /** Applied to every route after authentication, so they can count per token or user; a request must be within each. */
  readonly rateLimits?: readonly KeyedLimit[];
}

export async function apiScope(scope: FastifyInstance, { routes, guard, rateLimits = [] }: ApiScopeOptions): Promise<void> {
  scope.setErrorHandler(errorHandler(renderProblem, { accepts: 'application/json' }));
  scope.setNotFoundHandler(notFoundHandler(renderProblem));
  const json = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, json);
  requireDeclaredAccess(scope, guard);
  authorizeEachRoute(scope, guard);
  for (const rateLimit of rateLimits) limitEachRequest(scope, rateLimit);
  noStore(scope);
  for (const addRoutes of routes) await addRoutes(scope);
}

/** A scope nobody may enter: what a staff scope is when it has no way to sign in. */
export const nobodyAllowed: Guard = {
  authenticate: async () => {
    throw new AppError(401, 'SIGN_IN_REQUIRED', 'Please sign in to see this page.');
  },
  authorize: () => undefined,
  knows: () => true,
};
