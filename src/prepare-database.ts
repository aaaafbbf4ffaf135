import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { migrations } from './migrations/index.js';
import { type Account, readSeedFile, seedAccounts, writeSearchTerms } from './modules/accounts/index.js';
import type { Actor } from './modules/audit/index.js';
import { recordOpeningEntries } from './modules/ledger/index.js';
import { describeTarget } from './platform/db/database-url.js';
import { migrateToLatest, pendingMigrations } from './platform/db/migrate.js';
import { describeError, pingDatabase, waitForDatabase } from './platform/db/wait-for-database.js';
import type { Database } from './schema.js';

/**
 * What start-up (and the one-shot migrate command) does before serving:
 * wait for the database, bring the schema up to date, add missing seed accounts.
 */
export async function prepareDatabase(config: Config, db: Kysely<Database>, logger: Logger, { migrate }: { migrate: boolean }): Promise<void> {
  const where = describeTarget(config.database);
  await waitForDatabase(
    db,
    where,
    { attempts: config.pool.connectAttempts, maxDelayMs: config.pool.connectMaxDelayMs },
    (attempt, delayMs, error) =>
      logger.warn({ attempt, of: config.pool.connectAttempts, retryInMs: delayMs, reason: describeError(error) }, `waiting for the ${where}`),
  );
  logger.info(`connected to the ${where}`);
  if (!migrate) return;

  const applied = await migrateToLatest(db, migrations);
  logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
  if (config.seedFile) {
    const accounts = await readSeedFile(config.seedFile);
    const { inserted, existing } = await db.transaction().execute((trx) => seedWithLedger(trx, accounts));
    logger.info({ inserted, existing }, `seed accounts from ${config.seedFile}: ${inserted} added, ${existing} already present`);
  }
}

/** Who the ledger says wrote the seed accounts' opening entries. */
const SEED_ACTOR: Actor = Object.freeze({ name: 'seed' });

/** The seed's new accounts, each with opening ledger entries equal to its totals, in one transaction. */
export async function seedWithLedger(trx: Transaction<Database>, accounts: readonly Account[]): Promise<{ inserted: number; existing: number }> {
  const { inserted, existing, added } = await seedAccounts(trx, accounts);
  await writeSearchTerms(trx, added.map(({ acctid }) => ({ acctid, name: acctid })));
  await recordOpeningEntries(trx, SEED_ACTOR, added);
  return { inserted, existing };
}

/** Ready to serve: the database answers and has every migration this code expects. */
export function readiness(db: Kysely<Database>): () => Promise<void> {
  return async () => {
    await pingDatabase(db);
    const pending = await pendingMigrations(db, migrations);
    if (pending.length > 0) throw new Error(`schema is behind: ${pending.length} migration(s) not applied (run npm run migrate)`);
  };
}
