import { fileURLToPath } from 'node:url';
import type { Deps } from './deps.js';
import { lookupRoutes } from './modules/accounts/lookup.routes.js';
import { healthRoutes } from './platform/http/health.routes.js';
import { createHttpApp, type App } from './platform/http/http-app.js';
import { apiScope, htmlScope, noApiTokens, nobodySignedIn } from './platform/http/scopes.js';
import { readiness } from './prepare-database.js';

export type { App };

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
export const API_PREFIX = '/api/v1';

export interface BuildOptions {
  /** Key and certificate; without them the app is built for inject() only. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
}

/**
 * The composition root of the web app: the platform, then one scope per
 * audience with the routes each module contributes. server.ts listens;
 * tests inject.
 */
export async function buildApp(deps: Pick<Deps, 'config' | 'db' | 'redis'> & { readonly logger?: Deps['logger'] }, { tls }: BuildOptions = {}): Promise<App> {
  const { config, db } = deps;
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
  });

  await app.register(healthRoutes, { ready: readiness(db) });
  await app.register(htmlScope, {
    routes: [(scope) => scope.register(lookupRoutes, { db, lookupsPerMinute: config.rateLimits.lookup })],
  });
  // Staff pages and the API get their routes with staff identity; their rules hold already.
  await app.register(htmlScope, { routes: [], authenticate: nobodySignedIn });
  await app.register(apiScope, { prefix: API_PREFIX, routes: [], authenticate: noApiTokens });
  return app;
}
