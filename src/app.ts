import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from './deps.js';
import { ACCOUNTS_NAV, accountRoutes, accountsApiRoutes, entriesApiRoutes, LOOKUP_NAV, lookupRoutes } from './modules/accounts/index.js';
import { AUDIT_NAV, auditApiRoutes, auditRoutes, recordAudit } from './modules/audit/index.js';
import { customerLinkFor, customerLinkSection, customerLinkStaffRoutes, customerPageRoutes } from './modules/customer-link/index.js';
import { DASHBOARD_NAV, dashboardRoutes, summaryApiRoutes } from './modules/dashboard/index.js';
import { IMPORT_NAV, importRoutes } from './modules/import-export/index.js';
import { ADMIN_OUTBOX_NAV, outboxAdminRoutes } from './modules/outbox/index.js';
import { agingApiRoutes, RECEIVABLES_NAV, receivablesRoutes } from './modules/receivables/index.js';
import { accountMessageRoutes, accountMessagesSection, REMINDERS_NAV, reminderPolicyRoutes } from './modules/reminders/index.js';
import { statementApiRoutes, statementRoutes } from './modules/statements/index.js';
import {
  actorOf,
  ADMIN_USERS_NAV,
  adminUserRoutes,
  declarePrincipal,
  loginRoutes,
  ME_NAV,
  meRoutes,
  perSignedInUser,
  perToken,
  perTokenOwner,
  preparePasswordVerification,
  principalKey,
  recognizeSession,
  sessionForms,
  sessionGuard,
  sessionRoutes,
  staffApiRoutes,
  staffViewer,
  tokenGuard,
} from './modules/staff/index.js';
import { registerApiDocs } from './platform/http/api-docs.js';
import { primaryOnly } from './platform/db/read-routing.js';
import { healthRoutes, STARTING_PROBE_PATHS } from './platform/http/health.routes.js';
import { gatedReadiness, type StartupGate } from './platform/http/startup-gate.js';
import { markWriters, requestReads } from './platform/http/read-routing.js';
import { createHttpApp, type App } from './platform/http/http-app.js';
import { apiScope, htmlScope, PUBLIC, type FormRefusalListener } from './platform/http/scopes.js';
import { configureDisplay } from './platform/views/format.js';
import type { StaffShell } from './platform/views/staff-page.js';
import { readiness } from './prepare-database.js';

export type { App };

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
export const API_PREFIX = '/api/v1';

export interface BuildOptions {
  /** Key and certificate; without them the app is built for inject() only. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /** server.ts listens before its database is ready: until the gate opens, the probes say so and everything else is a 503. */
  readonly startupGate?: StartupGate;
}

/**
 * The composition root of the web app: the platform, then one scope per
 * audience with the routes each module contributes. server.ts listens;
 * tests inject.
 */
export async function buildApp(deps: Pick<Deps, 'config' | 'db' | 'redis'> & Partial<Pick<Deps, 'logger' | 'reads'>>, { tls, startupGate }: BuildOptions = {}): Promise<App> {
  const { config, db } = deps;
  // Lag-tolerant reads (lists, reports, exports) go where the routing says for the request's principal; without replicas, to db.
  const routing = deps.reads ?? primaryOnly(db);
  const reads = requestReads({ routing, principalOf: principalKey });
  configureDisplay(config.display);
  const staffForms = sessionForms(config.sessionSecret);
  const signedIn = recognizeSession(db, config.sessions);
  // Each module declares its navigation entry beside its routes; this is the order staff see them in.
  const staffShell: StaffShell = {
    nav: [DASHBOARD_NAV, LOOKUP_NAV, ACCOUNTS_NAV, RECEIVABLES_NAV, ME_NAV, ADMIN_USERS_NAV, AUDIT_NAV, IMPORT_NAV, ADMIN_OUTBOX_NAV, REMINDERS_NAV],
    viewer: staffViewer(staffForms),
  };
  const app = await createHttpApp({
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(tls ? { tls } : {}),
    sessionSecret: config.sessionSecret,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    timeouts: config.timeouts,
    maxConnections: config.maxConnections,
    redis: deps.redis,
    publicDir: PUBLIC_DIR,
    apiPrefix: API_PREFIX,
    notFoundShell: async (request) => ((await signedIn(request)) ? staffShell : null),
    ...(startupGate ? { startup: { gate: startupGate, probePaths: STARTING_PROBE_PATHS } } : {}),
  });
  await registerApiDocs(app, {
    apiPrefix: API_PREFIX,
    title: 'Globomantics CRM API',
    version: '1',
    license: { name: 'Proprietary: Globomantics internal use', identifier: 'LicenseRef-Globomantics-Proprietary' },
  });
  declarePrincipal(app);
  // Before the scopes: a write in any of them sends its principal's next reads to the primary.
  markWriters(app, { routing, principalOf: principalKey });
  await preparePasswordVerification();

  // A refused form is a possible attack: the audit log keeps it (failing to write it must not change the answer).
  const auditRefusedForm: FormRefusalListener = async (request: FastifyRequest, error) => {
    try {
      await recordAudit(db, actorOf(request), { action: 'form.refused', target: `${request.method} ${request.url.slice(0, 150)}`, after: { reason: error.code ?? 'unknown' } });
    } catch (auditError) {
      request.log.error({ err: auditError }, 'could not audit a refused form');
    }
  };

  const lookup = { db, lookupsPerMinute: config.rateLimits.lookup };
  const statements = { db, reads, company: config.company, timeZone: config.display.timeZone };
  const customerLinks = { db, secret: config.sessionSecret, baseUrl: config.mail.publicBaseUrl, days: config.customerLinkDays };
  const accountMessages = {
    db,
    company: config.company,
    timeZone: config.display.timeZone,
    linkFor: (now: number) => (acctid: string) => customerLinkFor({ secret: config.sessionSecret, baseUrl: config.mail.publicBaseUrl, acctid, now, days: config.customerLinkDays }),
  };
  await app.register(healthRoutes, { ready: startupGate ? gatedReadiness(startupGate, readiness(db)) : readiness(db), ...(routing.routed ? { replicas: () => routing.replicas() } : {}) });
  await app.register(htmlScope, {
    onFormRefused: auditRefusedForm,
    routes: [
      (scope) => scope.register(loginRoutes, { db, session: config.sessions, lockout: config.lockout, attemptsPerMinute: config.rateLimits.login }),
      ...(config.publicLookup ? [(scope: FastifyInstance) => scope.register(lookupRoutes, { ...lookup, access: PUBLIC })] : []),
      // A customer's own page from a signed link: limited per address like the lookup, the other public page that answers about an account.
      (scope) => scope.register(customerPageRoutes, { db, secret: config.sessionSecret, company: config.company, timeZone: config.display.timeZone, opensPerMinute: config.rateLimits.lookup }),
    ],
  });
  await app.register(htmlScope, {
    guard: sessionGuard(db, config.sessions),
    forms: staffForms,
    onFormRefused: auditRefusedForm,
    rateLimit: { perMinute: config.rateLimits.staff, key: perSignedInUser, whose: 'from your account' },
    shell: staffShell,
    routes: [
      (scope) => scope.register(sessionRoutes, { db }),
      (scope) => scope.register(meRoutes, { db, session: config.sessions, passwordChecksPerMinute: config.rateLimits.login, tokens: { livePerUser: config.tokensPerUser } }),
      (scope) => scope.register(adminUserRoutes, { db }),
      (scope) => scope.register(outboxAdminRoutes, { db, smtpConfigured: config.mail.smtpUrl !== null }),
      (scope) => scope.register(reminderPolicyRoutes, { db, mailConfigured: config.mail.smtpUrl !== null }),
      (scope) => scope.register(auditRoutes, { db }),
      (scope) => scope.register(importRoutes, { db, reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(dashboardRoutes, { db, reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(accountRoutes, { db, reads, timeZone: config.display.timeZone, sections: [customerLinkSection(customerLinks), accountMessagesSection({ db })] }),
      (scope) => scope.register(accountMessageRoutes, accountMessages),
      (scope) => scope.register(customerLinkStaffRoutes, { db }),
      (scope) => scope.register(receivablesRoutes, { reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(statementRoutes, statements),
      ...(config.publicLookup
        ? []
        : [
            (scope: FastifyInstance) => scope.register(lookupRoutes, { ...lookup, access: 'accounts:read' }),
          ]),
    ],
  });
  await app.register(apiScope, {
    prefix: API_PREFIX,
    guard: tokenGuard(db),
    rateLimits: [
      { perMinute: config.rateLimits.api, key: perToken, whose: 'with this token' },
      { perMinute: config.rateLimits.apiPerUser, key: perTokenOwner, whose: 'from your account (all your tokens together)' },
    ],
    routes: [
      (scope) => scope.register(staffApiRoutes),
      (scope) => scope.register(auditApiRoutes, { reads }),
      (scope) => scope.register(summaryApiRoutes, { db, reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(accountsApiRoutes, { db, reads }),
      (scope) => scope.register(entriesApiRoutes, { db, reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(agingApiRoutes, { db, reads, timeZone: config.display.timeZone }),
      (scope) => scope.register(statementApiRoutes, statements),
    ],
  });
  return app;
}
