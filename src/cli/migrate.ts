/**
 * One-shot schema migration and seeding, for a Kubernetes Job or an operator:
 * `node dist/cli/migrate.js`. Exits 0 when the database is up to date, 1 otherwise.
 */
import { ConfigError, loadConfig } from '../config.js';
import { createDatabase } from '../platform/db/database.js';
import { createLogger } from '../platform/logger.js';
import { prepareDatabase } from '../prepare-database.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = createDatabase(config.database, { poolSize: 1, connectTimeoutMs: 5000 });
  try {
    await prepareDatabase(config, db, logger, { migrate: true });
    logger.info('database is up to date');
    return 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`globomantics-crm migrate: failed: ${message}\n`);
    process.exit(1);
  },
);
