import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RequestReads } from '../../platform/http/read-routing.js';
import { z } from 'zod';
import type { Database } from '../../schema.js';
import { auditApiQuery, filterParams, instantBound } from './audit.filters.js';
import { findAuditEvents } from './audit.repository.js';

const auditEvent = z.object({
  id: z.number().int(),
  /** ISO 8601, UTC. */
  at: z.string(),
  actor: z.string(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  /** The changed fields before and after, or null. */
  before: z.unknown(),
  after: z.unknown(),
});

const auditPage = z.object({
  /** Newest first. */
  events: z.array(auditEvent),
  /** The next (older) page with the same filters, or null after the last. */
  next: z.string().nullable(),
});

/**
 * GET /audit (audit:read): the audit log for scripts. Filters actor, action,
 * from, to (an ISO 8601 date, a UTC day, or a date-time; to is exclusive, a
 * date included whole), keyset paging with before=<id>, limit 1–200 (50).
 */
/** GET /audit reads from `reads` (a list that tolerates lag: a replica unless the caller just wrote). */
export const auditApiRoutes: FastifyPluginAsyncZod<{ readonly reads: RequestReads<Database> }> = async (app, { reads }) => {
  app.get('/audit', { config: { access: 'audit:read' }, schema: { summary: 'List audit events, newest first', operationId: 'listAuditEvents', querystring: auditApiQuery, response: { 200: auditPage } } }, async (request) => {
    const { actor, action, from, to, before, limit } = request.query;
    const { entries, hasMore } = await findAuditEvents(await reads(request), {
      actor,
      action,
      from: from === undefined ? undefined : instantBound(from, 'from'),
      to: to === undefined ? undefined : instantBound(to, 'to'),
      before,
      limit,
    });
    const last = entries.at(-1);
    // The route's own path (with the scope's prefix), the filters as given, and where to continue.
    const next = hasMore && last ? `${request.routeOptions.url ?? ''}?${filterParams({ actor, action, from, to, limit, before: last.id }).toString()}` : null;
    return {
      events: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
      next,
    };
  });
};
