import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
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
