/**
 * The replicated servers `scripts/test-replication.sh` starts for a run: a
 * MariaDB primary and a read_only replica (GTID replication), a PostgreSQL
 * primary and a streaming hot standby. Tests open a pair, point the app at
 * it (DATABASE_URL = primary, DATABASE_REPLICA_URL = replica), stop or kill
 * the replica through the script's control command, and wait until the
 * replica has applied everything the primary wrote.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { describeError, pingDatabase } from '../../src/platform/db/wait-for-database.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_COMMAND } from './test-databases.js';
import { skipReasonOrFail, skipReason } from './tools.js';

export type ReplicatedEngine = 'mysql' | 'postgres';

/** pause: stop applying (still answering); resume; kill: SIGKILL; start: again, on the same data and port. */
export type ReplicaOperation = 'pause' | 'resume' | 'kill' | 'start';

export interface ReplicatedServers {
  readonly name: string;
  readonly engine: ReplicatedEngine;
  readonly primaryVariable: string;
  readonly replicaVariable: string;
}

/** The two pairs every replication suite loops over. */
export const REPLICATED_SERVERS: readonly ReplicatedServers[] = [
  { name: 'MariaDB', engine: 'mysql', primaryVariable: 'TEST_MYSQL_PRIMARY_URL', replicaVariable: 'TEST_MYSQL_REPLICA_URL' },
  { name: 'PostgreSQL', engine: 'postgres', primaryVariable: 'TEST_POSTGRES_PRIMARY_URL', replicaVariable: 'TEST_POSTGRES_STANDBY_URL' },
];

export interface Replication {
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  /** Migrated; the app's user. */
  readonly primary: Kysely<Database>;
  /** The app's user on the replica (which refuses its writes). */
  readonly replica: Kysely<Database>;
  /** Runs `$TEST_REPLICATION_CTL <engine> <operation>`; resolves once it took effect. */
  control(operation: ReplicaOperation): Promise<void>;
  /** Resolves once the replica has applied everything the primary had written when called; throws after timeoutMs. */
  waitUntilReplicated(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenedReplication = { readonly replication: Replication; readonly skip?: undefined } | { readonly replication?: undefined; readonly skip: string };

const CONTROL_VARIABLE = 'TEST_REPLICATION_CTL';

/**
 * Connects to the pair (migrating the primary, then waiting until the
 * replica has the tables too), or says why not: outside CI a pair that is
 * not configured or not reachable is skipped with that reason; with CI=true
 * it is a failure.
 */
export async function openReplication(servers: ReplicatedServers, env: NodeJS.ProcessEnv = process.env): Promise<OpenedReplication> {
  const primaryUrl = env[servers.primaryVariable];
  const replicaUrl = env[servers.replicaVariable];
  const ctl = env[CONTROL_VARIABLE];
  if (!primaryUrl || !replicaUrl || !ctl) {
    const missing = [servers.primaryVariable, servers.replicaVariable, CONTROL_VARIABLE].filter((name) => !env[name]);
    return { skip: skipReasonOrFail(skipReason(`no ${servers.name} replica to test against (${missing.join(', ')} not set)`, TEST_COMMAND)) };
  }
  const primary = await openTestDatabase({ name: `${servers.name} primary`, url: primaryUrl });
  if (!primary.db) return { skip: primary.skip };
  const replica = createDatabase<Database>(parseDatabaseUrl(replicaUrl), { poolSize: 3, connectTimeoutMs: 3000 });
  try {
    await pingDatabase(replica);
  } catch (error) {
    await Promise.all([primary.db.destroy(), replica.destroy()]);
    return { skip: skipReasonOrFail(skipReason(`the ${servers.name} replica is not reachable (${describeError(error)})`, TEST_COMMAND), error) };
  }
  const replication: Replication = {
    primaryUrl,
    replicaUrl,
    primary: primary.db,
    replica,
    control: (operation) => controlReplica(ctl, servers.engine, operation),
    waitUntilReplicated: (timeoutMs = 15_000) => waitUntilReplicated(servers.engine, primary.db, replica, timeoutMs),
    close: async () => {
      await Promise.all([primary.db.destroy(), replica.destroy()]);
    },
  };
  await replication.waitUntilReplicated();
  return { replication };
}

async function controlReplica(ctl: string, engine: ReplicatedEngine, operation: ReplicaOperation): Promise<void> {
  try {
    await promisify(execFile)(ctl, [engine, operation], { timeout: 120_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${ctl} ${engine} ${operation} failed: ${stderr.trim() || describeError(error)}`, { cause: error });
  }
}

/**
 * Where the primary's log ends now (MariaDB: its GTID position; PostgreSQL:
 * the WAL insert position, which covers commits not yet flushed under
 * synchronous_commit=off), then polls the replica until it has applied that
 * far. A replica that is down or paused is waited for, up to timeoutMs.
 */
async function waitUntilReplicated(engine: ReplicatedEngine, primary: Kysely<Database>, replica: Kysely<Database>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target =
    engine === 'mysql'
      ? (await sql<{ pos: string }>`select @@gtid_binlog_pos as pos`.execute(primary)).rows[0]!.pos
      : (await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(primary)).rows[0]!.lsn;
  let last = 'not reachable';
  while (Date.now() < deadline) {
    try {
      if (engine === 'mysql') {
        // Waits on the server for up to half a second; 0 once applied, -1 on timeout.
        const { rows } = await sql<{ done: number }>`select master_gtid_wait(${target}, 0.5) as done`.execute(replica);
        if (Number(rows[0]!.done) === 0) return;
        last = (await sql<{ pos: string }>`select @@gtid_slave_pos as pos`.execute(replica)).rows[0]!.pos;
      } else {
        const { rows } = await sql<{ done: boolean; at: string | null }>`
          select pg_last_wal_replay_lsn() >= ${target}::pg_lsn as done, pg_last_wal_replay_lsn()::text as at`.execute(replica);
        if (rows[0]!.done) return;
        last = rows[0]!.at ?? 'nothing replayed';
        await sleep(50);
      }
    } catch (error) {
      last = `not reachable (${describeError(error)})`;
      await sleep(100);
    }
  }
  throw new Error(`the ${engine} replica did not reach the primary's position ${target} within ${timeoutMs} ms (it is at ${last})`);
}
