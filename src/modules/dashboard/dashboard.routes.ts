import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { DASHBOARD_PATH, DASHBOARD_TITLE, dashboardBody } from './dashboard.views.js';
import { currentSummary } from './summary.js';


/** The staff navigation's link to these pages. */
export const DASHBOARD_NAV: NavEntry = { href: DASHBOARD_PATH, label: 'Dashboard', access: 'accounts:read' };

/** GET /dashboard (accounts:read): where staff land after signing in; its aggregates tolerate lag (`reads`: a replica unless the viewer just wrote). */
export const dashboardRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly reads: RequestReads<Database>; readonly timeZone?: string }> = async (app, { db, reads, timeZone = 'UTC' }) => {
  app.get(DASHBOARD_PATH, { config: { access: 'accounts:read' } }, async (request, reply) => {
    const summary = await currentSummary(db, (error) => request.log.error({ err: error }, 'could not refresh the dashboard figures'), timeZone, await reads(request));
    return reply.type(HTML).send(staffPage(request, reply, { title: DASHBOARD_TITLE, body: dashboardBody(summary), current: DASHBOARD_PATH }));
  });
};
