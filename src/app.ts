import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { accountRoutes } from './modules/accounts/lookup.routes.js';
import type { Config } from './config.js';
import type { Database } from './schema.js';
import { registerErrorPages } from './platform/http/error-pages.js';
import { healthRoutes } from './platform/http/health.routes.js';
import { RequestLogController } from './platform/http/request-log.js';
import { registerSecurity } from './platform/http/security.js';

export interface AppDependencies {
  readonly db: Kysely<Database>;
  /** Omit in tests to keep them quiet. */
  readonly logger?: Logger;
  /** Key and certificate; without them the app is built for inject() only. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** Builds the app without listening: server.ts listens, tests inject. */
export async function buildApp(config: Config, { db, logger, tls }: AppDependencies): Promise<FastifyInstance> {
  const options = {
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
  };
  // The cast keeps one FastifyInstance type for both the HTTPS server and inject-only tests.
  const app = (tls ? Fastify({ ...options, https: tls }) : Fastify(options)) as unknown as FastifyInstance;

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorPages(app);
  await registerSecurity(app, config.sessionSecret);
  await app.register(fastifyFormbody);
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', maxAge: '1h', index: false });

  await app.register(healthRoutes, { db });
  await app.register(accountRoutes, { db });
  return app;
}
