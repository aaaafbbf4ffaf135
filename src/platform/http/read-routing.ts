import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ReadRouting } from '../db/read-routing.js';

/**
 * A route's source for reads that tolerate a few seconds of lag (lists,
 * reports, exports): the handle for this request's principal, decided by the
 * read routing (decision 0023). A route never picks a replica itself.
 */
export type RequestReads<DB> = (request: FastifyRequest) => Promise<Kysely<DB>>;

export interface RequestRoutingOptions<DB> {
  readonly routing: ReadRouting<DB>;
  /** Who the request acts for, as one string (a session or a token); null for no one. */
  readonly principalOf: (request: FastifyRequest) => string | null;
}

/** Reads for a request: whoever it acts for (see ReadRouting.readsFor). */
export function requestReads<DB>({ routing, principalOf }: RequestRoutingOptions<DB>): RequestReads<DB> {
  return (request) => routing.readsFor(principalOf(request));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Marks the principal of every non-safe request (POST, PUT, PATCH, DELETE)
 * as a recent writer, in onSend: before the response leaves, so the page a
 * redirect lands on (on any app process) already reads from the primary.
 * Refused requests are marked too: cheaper than knowing whether they wrote.
 * Nothing is registered without replicas.
 */
export function markWriters<DB>(app: FastifyInstance, { routing, principalOf }: RequestRoutingOptions<DB>): void {
  if (!routing.routed) return;
  app.addHook('onSend', async (request, _reply, payload) => {
    if (SAFE_METHODS.has(request.method)) return payload;
    const principal = principalOf(request);
    if (principal !== null) await routing.wrote(principal);
    return payload;
  });
}
