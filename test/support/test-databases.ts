import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { describeTarget, parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import type { Database } from '../../src/schema.js';
import { describeError, pingDatabase } from '../../src/platform/db/wait-for-database.js';
import { skipReason } from './tools.js';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
}

/** The three databases every integration suite runs against. */
export const TEST_DATABASES: readonly TestDatabase[] = [
  { name: 'SQLite', url: 'sqlite::memory:' },
  { name: 'MariaDB/MySQL', url: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_test' },
  { name: 'PostgreSQL', url: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_test' },
];

export type Opened = { readonly db: Kysely<Database>; readonly skip?: undefined } | { readonly db?: undefined; readonly skip: string };

/**
 * Connects and migrates, or says why not. Outside CI an unreachable server
 * is skipped with that reason and the command that starts the local servers
 * (scripts/test-databases.sh); with CI=true it is a failure.
 */
export async function openTestDatabase({ url }: TestDatabase): Promise<Opened> {
  const target = parseDatabaseUrl(url);
  const db = createDatabase<Database>(target, { poolSize: 5, connectTimeoutMs: 3000 });
  try {
    await pingDatabase(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    const reason = skipReason(`${describeTarget(target)} is not reachable (${describeError(error)})`, 'bash scripts/test-databases.sh');
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`, { cause: error });
    return { skip: reason };
  }
  try {
    await migrateDatabase(db);
  } catch (error) {
    // An open pool would keep the test process alive after the failure.
    await db.destroy().catch(() => undefined);
    throw error;
  }
  return { db };
}

/** An account id no other test uses: each test owns its data. */
export function uniqueAcctId(prefix = 'T'): string {
  return `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`.slice(0, 15);
}
