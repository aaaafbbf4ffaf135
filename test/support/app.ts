import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createReadRouting, type ReadRouting } from '../../src/platform/db/read-routing.js';
import type { Database } from '../../src/schema.js';

export const TEST_SECRET = 'integration-test-secret-0123456789abcdef';

/**
 * The app as the server builds it, for inject(): the same composition, with
 * a test's own database and settings (environment-variable names, as an
 * operator would write them). No Redis unless the test brings one.
 */
export function testApp(db: Kysely<Database>, env: Readonly<Record<string, string>> = {}, logger?: Logger): Promise<App> {
  const config = loadConfig({ SESSION_SECRET: TEST_SECRET, ...env });
  return buildApp({ config, db, redis: null, ...(logger ? { logger } : {}) });
}

/**
 * testApp with read replicas as the server sets them up from the settings
 * (DATABASE_REPLICA_URL, REPLICA_MAX_LAG_MS, READ_YOUR_WRITES_MS in `env`):
 * the heartbeat and lag checks started, their first round done; closing the
 * app stops them and closes the replicas' pools.
 */
export async function testAppWithReplicas(
  db: Kysely<Database>,
  env: Readonly<Record<string, string>>,
  { redis = null, logger = pino({ level: 'silent' }) }: { redis?: Redis | null; logger?: Logger } = {},
): Promise<{ app: App; routing: ReadRouting<Database> }> {
  const config = loadConfig({ SESSION_SECRET: TEST_SECRET, ...env });
  const routing = createReadRouting(
    db,
    { replicas: config.replicas, primary: config.database, ...config.readRouting, pool: { poolSize: 2, connectTimeoutMs: 3000 } },
    redis,
    logger,
  );
  await routing.start();
  const app = await buildApp({ config, db, redis, reads: routing, logger });
  app.addHook('onClose', () => routing.close());
  return { app, routing };
}
