import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createDatabase, type PoolOptions } from './platform/db/database.js';
import { createReadRouting, type ReadRouting } from './platform/db/read-routing.js';
import { createLogger } from './platform/logger.js';
import { closeRedis, createRedis } from './platform/redis.js';
import type { Database } from './schema.js';

/** The process's long-lived resources, shared by the server, the CLI and the tests. */
export interface Deps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Kysely<Database>;
  /** Shared counters (rate limits) when REDIS_URL is set. */
  readonly redis: Redis | null;
  /**
   * Where reads that tolerate lag go: a replica (DATABASE_REPLICA_URL) unless
   * the principal just wrote, or the primary (`db`) when there are none.
   * `start()` begins the heartbeat (the server, after migrating; a command before reading).
   */
  readonly reads: ReadRouting<Database>;
  /** Closes every resource, in the reverse order of creation. */
  close(): Promise<void>;
}

export interface DepsOptions {
  /** A one-shot command needs one connection, not a pool. */
  readonly poolSize?: number;
  /** Tests hand in a quiet logger. */
  readonly logger?: Logger;
  /** The CLI needs no Redis. */
  readonly redis?: boolean;
  /** A one-shot command whose statements may run longer than a request's (migrations). */
  readonly statementTimeoutMs?: number;
  /** Commands that only write (migrate, users, tokens) open no replica pools. */
  readonly replicas?: boolean;
}

/** How long one connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 5000;

export function createDeps(config: Config, options: DepsOptions = {}): Deps {
  const logger = options.logger ?? createLogger(config.logLevel, config.logFormat);
  // One set of pool options (TLS included) for every pool this process opens to the database.
  const poolOptions: PoolOptions = {
    poolSize: options.poolSize ?? config.pool.size,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    statementTimeoutMs: options.statementTimeoutMs ?? config.pool.statementTimeoutMs,
    acquireTimeoutMs: config.pool.acquireTimeoutMs,
    caFile: config.databaseCaFile,
  };
  const db = createDatabase<Database>(config.database, poolOptions);
  const redis = config.redisUrl && options.redis !== false ? createRedis(config.redisUrl, logger) : null;
  const reads = createReadRouting(
    db,
    { replicas: options.replicas === false ? [] : config.replicas, primary: config.database, ...config.readRouting, pool: poolOptions },
    redis,
    logger,
  );
  let closed: Promise<void> | undefined;
  return {
    config,
    logger,
    db,
    redis,
    reads,
    close() {
      closed ??= (async () => {
        await reads.close();
        if (redis) await closeRedis(redis);
        await db.destroy();
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      })();
      return closed;
    },
  };
}
