import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { describeTarget, parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import type { Database } from '../../src/schema.js';
import { describeError, pingDatabase } from '../../src/platform/db/wait-for-database.js';
import { skipReasonOrFail, skipReason } from './tools.js';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** The variable that overrides the URL, if any. */
  readonly variable?: TestServerVariable;
}

export type TestServerVariable = 'TEST_MYSQL_URL' | 'TEST_POSTGRES_URL' | 'TEST_REDIS_URL';

/** The command that starts private test servers and runs the tests against them. */
export const TEST_COMMAND = 'bash scripts/test.sh';

/**
 * What makes an unreachable test server reachable: the test command starts
 * private ones; a server named by the variable is the user's to start.
 */
export function startHint(variable: TestServerVariable, env: NodeJS.ProcessEnv = process.env): string {
  if (!env[variable]) return TEST_COMMAND;
  return `start the server ${variable} names, or let the test command start its own: env -u ${variable} ${TEST_COMMAND}`;
}

/** The three databases every integration suite runs against. */
export const TEST_DATABASES: readonly TestDatabase[] = [
  { name: 'SQLite', url: 'sqlite::memory:' },
  { name: 'MariaDB/MySQL', url: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_test', variable: 'TEST_MYSQL_URL' },
  { name: 'PostgreSQL', url: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_test', variable: 'TEST_POSTGRES_URL' },
];

/** Redis for the shared rate-limit tests. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Opened = { readonly db: Kysely<Database>; readonly skip?: undefined } | { readonly db?: undefined; readonly skip: string };

/**
 * Connects and migrates, or says why not. Outside CI an unreachable server
 * is skipped with that reason and what makes it reachable (startHint); with
 * CI=true it is a failure.
 */
export async function openTestDatabase({ url, variable }: TestDatabase): Promise<Opened> {
  const target = parseDatabaseUrl(url);
  const db = createDatabase<Database>(target, { poolSize: 5, connectTimeoutMs: 3000 });
  try {
    await pingDatabase(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    const enable = variable ? startHint(variable) : TEST_COMMAND;
    return { skip: skipReasonOrFail(skipReason(`${describeTarget(target)} is not reachable (${describeError(error)})`, enable), error) };
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
