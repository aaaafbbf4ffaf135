import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { showAgainWhenInvalid, typedText, type FormProblem } from '../../platform/views/form-problems.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { AUDIT_PAGE_SIZE, auditPageQuery, filterParams, utcDayEnd, utcDayStart } from './audit.filters.js';
import { findAuditEvents } from './audit.repository.js';
import { AUDIT_PATH, AUDIT_TITLE, auditBody, type AuditFilterFields, type AuditPageView } from './audit.views.js';


/** The staff navigation's link to these pages. */
export const AUDIT_NAV: NavEntry = { href: AUDIT_PATH, label: 'Audit log', access: 'audit:read', admin: true };

/**
 * The audit log for people (audit:read): filters in a GET form, 50 events a
 * page, newest first, and an "Older" link that continues below the last id
 * shown (keyset paging: stable while new events arrive).
 */
export const auditRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database> }> = async (app, { db }) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, view: AuditPageView) =>
    reply.code(status).type(HTML).send(staffPage(request, reply, { title: AUDIT_TITLE, body: auditBody(view), current: AUDIT_PATH }));

  // Refused filters: the page again with the filters as typed and the message, and nothing looked up.
  const showRefused = async (request: FastifyRequest, reply: FastifyReply, problems: readonly FormProblem[]) => {
    const typed = (name: string) => typedText(request.query, name, 100);
    return show(request, reply, 400, { filters: { actor: typed('actor'), action: typed('action'), from: typed('from'), to: typed('to') }, problems });
  };

  app.get(AUDIT_PATH, { config: { access: 'audit:read' }, schema: { querystring: auditPageQuery }, errorHandler: showAgainWhenInvalid('querystring', showRefused) }, async (request, reply) => {
    const { actor, action, from, to, before } = request.query;
    const { entries, hasMore } = await findAuditEvents(db, {
      actor,
      action,
      from: from === undefined ? undefined : utcDayStart(from),
      to: to === undefined ? undefined : utcDayEnd(to),
      before,
      limit: AUDIT_PAGE_SIZE,
    });
    const filters: AuditFilterFields = { actor: actor ?? '', action: action ?? '', from: from ?? '', to: to ?? '' };
    const link = (params: URLSearchParams) => (params.size === 0 ? AUDIT_PATH : `${AUDIT_PATH}?${params.toString()}`);
    const last = entries.at(-1);
    return show(request, reply, 200, {
      filters,
      entries,
      ...(hasMore && last ? { olderHref: link(filterParams({ ...filters, before: last.id })) } : {}),
      ...(before === undefined ? {} : { newestHref: link(filterParams({ ...filters })) }),
    });
  });
};
