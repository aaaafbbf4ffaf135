import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { DASHBOARD_PATH, DASHBOARD_TITLE, dashboardBody } from './dashboard.views.js';
import { currentSummary } from './summary.js';


/** The staff navigation's link to these pages. */
export const DASHBOARD_NAV: NavEntry = { href: DASHBOARD_PATH, label: 'Dashboard', access: 'accounts:read' };

/** GET /dashboard (accounts:read): where staff land after signing in. */
export const dashboardRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly timeZone?: string }> = async (app, { db, timeZone = 'UTC' }) => {
  app.get(DASHBOARD_PATH, { config: { access: 'accounts:read' } }, async (request, reply) => {
    const summary = await currentSummary(db, (error) => request.log.error({ err: error }, 'could not refresh the dashboard figures'), timeZone);
    return reply.type(HTML).send(staffPage(request, reply, { title: DASHBOARD_TITLE, body: dashboardBody(summary), current: DASHBOARD_PATH }));
  });
};
