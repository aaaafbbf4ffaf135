import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createDatabase, type PoolOptions } from './database.js';
import { urlWithoutPassword, type DatabaseTarget } from './database-url.js';
import { memoryRecentWriters, redisRecentWriters, type RecentWriters } from './recent-writers.js';
import type { ReplicaHeartbeatTables } from './replica-heartbeat.table.js';
import { ReplicaSet, type ReplicaState } from './replicas.js';

/**
 * Where reads that tolerate a few seconds of lag go (decision 0023). Code
 * that may read from a replica asks `readsFor(principal)` for its handle and
 * never decides itself; writes, reads inside a write's transaction and
 * everything that must be current use the primary's handle (`db`) as before.
 */
export interface ReadRouting<DB> {
  /** Whether replicas are configured; without them every method is a no-op on the primary. */
  readonly routed: boolean;
  /**
   * A handle for one lag-tolerant read (a page, an export): the primary while
   * `principal` is within its read-your-writes window, otherwise a healthy
   * replica in turn, otherwise the primary. `null`: no one (a batch job).
   */
  readsFor(principal: string | null): Promise<Kysely<DB>>;
  /** `principal` wrote: its reads go to the primary for the window. Settles once the mark is stored. */
  wrote(principal: string): Promise<void>;
  /** Each replica's state, for /readyz; empty without replicas. */
  replicas(): ReplicaState[];
  /** Starts the heartbeat and the lag checks; settles after the first round. */
  start(): Promise<void>;
  /** One round of heartbeat and lag checks now (tests, and a command before a long read). */
  checkNow(): Promise<void>;
  /** Stops the timers and closes the replicas' pools. */
  close(): Promise<void>;
}

/** No replicas: every read is the primary's, with nothing added (no timer, no query, no Redis). */
export function primaryOnly<DB>(db: Kysely<DB>): ReadRouting<DB> {
  const primary = Promise.resolve(db);
  return {
    routed: false,
    readsFor: () => primary,
    wrote: async () => undefined,
    replicas: () => [],
    start: async () => undefined,
    checkNow: async () => undefined,
    close: async () => undefined,
  };
}

/** Reads over a set of replicas, the primary for recent writers. */
export function replicaRouting<DB extends ReplicaHeartbeatTables>(db: Kysely<DB>, replicas: ReplicaSet<DB>, writers: RecentWriters): ReadRouting<DB> {
  return {
    routed: true,
    async readsFor(principal) {
      if (principal !== null && (await writers.wroteRecently(principal))) return db;
      return replicas.pick();
    },
    wrote: (principal) => writers.mark(principal),
    replicas: () => replicas.states(),
    start: () => replicas.start(),
    checkNow: () => replicas.checkNow(),
    close: () => replicas.close(),
  };
}

export interface ReadRoutingSettings {
  readonly replicas: readonly DatabaseTarget[];
  /**
   * The primary (DATABASE_URL): a read sent to a replica that turns out to
   * be unreachable, before a health check has noticed, is read here instead
   * of failing. Without it such a read fails (503) until the check skips the replica.
   */
  readonly primary?: DatabaseTarget;
  readonly maxLagMs: number;
  readonly readYourWritesMs: number;
  /** The primary's pool settings, which each replica's pool copies (read-only sessions added). */
  readonly pool: PoolOptions;
}

/**
 * The routing a process's settings ask for: the primary alone without
 * replicas; otherwise a bounded, read-only pool per replica, and the
 * read-your-writes marks in Redis when there is one (every app process sees
 * them), in this process's memory otherwise.
 */
export function createReadRouting<DB extends ReplicaHeartbeatTables>(
  db: Kysely<DB>,
  settings: ReadRoutingSettings,
  redis: Redis | null,
  logger: Logger,
): ReadRouting<DB> {
  if (settings.replicas.length === 0) return primaryOnly(db);
  const primary = settings.primary;
  const replicas = settings.replicas.map((target) => ({
    url: urlWithoutPassword(target),
    db: createDatabase<DB>(target, { ...settings.pool, readOnly: true, ...(primary ? { poolSize: 1 } : {}) }),
    ...(primary ? { reads: createDatabase<DB>(target, { ...settings.pool, readOnly: true, fallback: primary }) } : {}),
  }));
  const writers = redis ? redisRecentWriters(redis, settings.readYourWritesMs, logger) : memoryRecentWriters(settings.readYourWritesMs);
  return replicaRouting(db, new ReplicaSet(db, replicas, { maxLagMs: settings.maxLagMs, logger }), writers);
}
