import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../audit/index.js';
import type { Role } from './roles.js';

/** Who a request acts for: a signed-in user (session) or a script (API token), with the user's role. */
export interface Principal {
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
  /** The session's id hash when signed in through the browser. */
  readonly sessionIdHash: string | null;
  /** The API token's id when calling with a bearer token. */
  readonly tokenId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the staff and API scopes' authentication; null in the public scope. */
    principal: Principal | null;
  }
}

/** Declares request.principal once, so every request has the same shape. */
export function declarePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/** A principal inside a signed-in scope; its absence there is a bug, not a visitor error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('no principal: this route must live in a signed-in scope');
  return request.principal;
}

/** The audit log's "who and from where" for a request. */
export function actorOf(request: FastifyRequest): Actor {
  return { name: request.principal?.username ?? 'anonymous', ip: request.ip, requestId: request.id };
}

/** An idempotency key made this user's own (keys are per user); undefined when there is none. */
export function ownKey(request: FastifyRequest, key: string | undefined): { readonly userId: number; readonly key: string } | undefined {
  return key === undefined ? undefined : { userId: principalOf(request).userId, key };
}

/**
 * The principal as one string (its session, or its API token), for what is
 * kept per principal across requests (the read routing's recent writers);
 * null outside a signed-in scope.
 */
export function principalKey(request: FastifyRequest): string | null {
  const principal = request.principal;
  if (!principal) return null;
  return principal.sessionIdHash !== null ? `session:${principal.sessionIdHash}` : `token:${principal.tokenId ?? `user-${principal.userId}`}`;
}
