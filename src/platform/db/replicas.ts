import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicaHeartbeatTables } from './replica-heartbeat.table.js';
import { describeError } from './wait-for-database.js';

/**
 * What a replica is good for right now: `healthy` (serves reads), `lagging`
 * (its heartbeat is older than the limit), `unreachable` (no answer, or an
 * error, within the probe's time), `unknown` (not checked yet).
 */
export type ReplicaHealth = 'unknown' | 'healthy' | 'lagging' | 'unreachable';

export interface ReplicaState {
  /** Where it is, without the password. */
  readonly url: string;
  readonly state: ReplicaHealth;
  /** How far behind the primary it was at the last check; null when it did not answer. */
  readonly lagMs: number | null;
}

export interface Replica<DB> {
  /** For logs and /readyz: never with the password. */
  readonly url: string;
  /** The replica itself: the health checks read its heartbeat here. */
  readonly db: Kysely<DB>;
  /** What pick() hands out for reads (default `db`): the replica's pool that falls back to the primary when the replica cannot be reached. */
  readonly reads?: Kysely<DB>;
}

export interface ReplicaSetOptions {
  /** A replica further behind than this is skipped. */
  readonly maxLagMs: number;
  /** How often the heartbeat is written and the replicas read; 1 s. */
  readonly intervalMs?: number;
  /** How long a replica (or the primary's heartbeat write) may take to answer; past it, unreachable. */
  readonly probeTimeoutMs?: number;
  /** The clock that writes and judges heartbeats (tests move it). */
  readonly now?: () => number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

const HEARTBEAT_ID = 1;
/** How long close() waits for a replica's pool to end. */
const CLOSE_WAIT_MS = 2000;

/** `work`, or a rejection after `ms` (the work itself may still finish; its result is ignored). */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

interface Tracked<DB> extends Replica<DB> {
  state: ReplicaHealth;
  lagMs: number | null;
}

/**
 * The primary's replicas and how far behind each is. Each round (once a
 * second) writes the heartbeat row on the primary with this process's clock,
 * then reads the row on every replica: its age is that replica's lag (the
 * time replication takes, plus up to one interval since the last beat).
 * `pick()` hands out the healthy replicas in turn, or the primary when none
 * is. A change of state is logged once, not per request.
 */
export class ReplicaSet<DB extends ReplicaHeartbeatTables> {
  readonly #primary: Kysely<DB>;
  readonly #replicas: Tracked<DB>[];
  readonly #maxLagMs: number;
  readonly #intervalMs: number;
  readonly #probeTimeoutMs: number;
  readonly #now: () => number;
  readonly #logger: Pick<Logger, 'info' | 'warn'>;
  #healthy: Kysely<DB>[] = [];
  #turn = 0;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  #beatFailing = false;
  #closed = false;

  constructor(primary: Kysely<DB>, replicas: readonly Replica<DB>[], options: ReplicaSetOptions) {
    this.#primary = primary;
    this.#replicas = replicas.map((replica) => ({ ...replica, state: 'unknown', lagMs: null }));
    this.#maxLagMs = options.maxLagMs;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 1500;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  /** Where a read that tolerates lag goes now: the next healthy replica, or the primary when none is. */
  pick(): Kysely<DB> {
    const healthy = this.#healthy;
    if (healthy.length === 0) return this.#primary;
    const chosen = healthy[this.#turn % healthy.length]!;
    this.#turn = (this.#turn + 1) % healthy.length;
    return chosen;
  }

  states(): ReplicaState[] {
    return this.#replicas.map(({ url, state, lagMs }) => ({ url, state, lagMs }));
  }

  /**
   * Starts the rounds: the first at once (the promise settles when it is
   * done, within the probe's time), then one per interval. Idempotent.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.checkNow();
      if (this.#closed) return;
      this.#timer = setInterval(() => {
        // A round still waiting for a slow replica is not stacked upon.
        if (!this.#round) void this.checkNow();
      }, this.#intervalMs);
      // The rounds are not a reason for a one-shot command to stay alive.
      this.#timer.unref();
    })();
    return this.#started;
  }

  /** One round: the primary's beat, then every replica's lag. */
  checkNow(): Promise<void> {
    this.#round ??= (async () => {
      try {
        await this.#beat();
        await Promise.all(this.#replicas.map((replica) => this.#probe(replica)));
        this.#healthy = this.#replicas.filter(({ state }) => state === 'healthy').map(({ db, reads }) => reads ?? db);
      } finally {
        this.#round = undefined;
      }
    })();
    return this.#round;
  }

  /** Stops the rounds and closes the replicas' pools (not the primary's: it is not ours). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#round?.catch(() => undefined);
    this.#healthy = [];
    // A replica that never answers must not hold up shutdown: its connections die with the process.
    const pools = this.#replicas.flatMap(({ db, reads }) => (reads ? [db, reads] : [db]));
    await Promise.all(pools.map((pool) => within(pool.destroy(), CLOSE_WAIT_MS).catch(() => undefined)));
  }

  async #beat(): Promise<void> {
    const db = this.#primary as unknown as Kysely<ReplicaHeartbeatTables>;
    try {
      await within(db.updateTable('replica_heartbeat').set({ beat_at_ms: this.#now() }).where('id', '=', HEARTBEAT_ID).execute(), this.#probeTimeoutMs);
      if (this.#beatFailing) this.#logger.info('replica heartbeat: written again on the primary');
      this.#beatFailing = false;
    } catch (error) {
      // Without beats every replica soon reads as lagging, and reads stay on the primary: the safe side.
      if (!this.#beatFailing) this.#logger.warn({ reason: describeError(error) }, 'replica heartbeat: cannot write it on the primary; replicas will read as lagging');
      this.#beatFailing = true;
    }
  }

  async #probe(replica: Tracked<DB>): Promise<void> {
    const db = replica.db as unknown as Kysely<ReplicaHeartbeatTables>;
    let state: ReplicaHealth;
    let lagMs: number | null = null;
    let reason: string | undefined;
    try {
      const row = await within(db.selectFrom('replica_heartbeat').select('beat_at_ms').where('id', '=', HEARTBEAT_ID).executeTakeFirst(), this.#probeTimeoutMs);
      if (!row) throw new Error('the heartbeat row is missing (has the schema been migrated on the primary?)');
      // A clock a little behind another writer's must not read as negative lag.
      lagMs = Math.max(0, this.#now() - Number(row.beat_at_ms));
      state = lagMs > this.#maxLagMs ? 'lagging' : 'healthy';
    } catch (error) {
      state = 'unreachable';
      reason = describeError(error);
    }
    const previous = replica.state;
    replica.state = state;
    replica.lagMs = lagMs;
    if (state === previous) return;
    const where = { replica: replica.url, state, lagMs, maxLagMs: this.#maxLagMs, ...(reason === undefined ? {} : { reason }) };
    if (state === 'healthy') this.#logger.info(where, `replica ${replica.url}: healthy, serving reads`);
    else this.#logger.warn(where, `replica ${replica.url}: ${state}, its reads go elsewhere`);
  }
}
