/**
 * One-shot schema migration and seeding, for an operator (`crm migrate`) or
 * a Kubernetes Job (`node dist/cli/migrate.js`, which `npm run migrate` runs
 * too). Waits for the database as start-up does (DB_CONNECT_ATTEMPTS), then
 * applies the migrations and adds the missing seed accounts. Logs JSON lines
 * on stdout, as the server does.
 *
 * `node dist/cli/migrate.js` keeps its own exit codes: 0 up to date, 2 bad
 * settings, 1 any other failure.
 */
import type { Command } from 'commander';
import { ConfigError, readConfig, type Config } from '../config.js';
import { createDeps, type Deps } from '../deps.js';
import { prepareDatabase } from '../prepare-database.js';
import { cliConfig, isEntryPoint } from './context.js';

/** Brings the database up to date; throws (ConfigError for bad settings) when it cannot. */
export async function migrate(config = readConfig()): Promise<void> {
  const deps = migrationDeps(config);
  try {
    await prepareDatabase(config, deps.db, deps.logger, { migrate: true });
    deps.logger.info('database is up to date');
  } finally {
    await deps.close();
  }
}

/** One connection whose statements may run for DB_MIGRATE_STATEMENT_TIMEOUT_MS: rebuilding a large table outlasts a request's limit. */
export function migrationDeps(config: Config): Deps {
  return createDeps(config, { poolSize: 1, redis: false, statementTimeoutMs: config.pool.migrateStatementTimeoutMs });
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('wait for the database, apply pending migrations and add missing seed accounts (what the Kubernetes Job runs)')
    .action(async () => {
      await migrate(cliConfig());
    });
}

if (isEntryPoint(import.meta.url)) {
  migrate().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`globomantics-crm migrate: failed: ${message}\n`);
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
  );
}
