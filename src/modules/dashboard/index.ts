/** The dashboard module's public face: the staff landing page and the summary API, both from one cached reading (summary.ts). */
export { DASHBOARD_NAV, dashboardRoutes } from './dashboard.routes.js';
export { summaryApiRoutes } from './summary.api.js';
