/**
 * One-shot schema migration and seeding, for a Kubernetes Job or an operator:
 * `node dist/cli/migrate.js`. Exits 0 when the database is up to date, 1 otherwise.
 */
import { ConfigError, readConfig } from '../config.js';
import { createDeps } from '../deps.js';
import { prepareDatabase } from '../prepare-database.js';

async function main(): Promise<number> {
  const config = readConfig();
  const deps = createDeps(config, { poolSize: 1, redis: false });
  try {
    await prepareDatabase(config, deps.db, deps.logger, { migrate: true });
    deps.logger.info('database is up to date');
    return 0;
  } finally {
    await deps.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`globomantics-crm migrate: failed: ${message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
