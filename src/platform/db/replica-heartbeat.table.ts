import type { ColumnType } from 'kysely';

/**
 * `replica_heartbeat`: one row (id 1) that every app process with replicas
 * configured updates on the primary once a second. Read on a replica, its
 * age is that replica's lag (replicas.ts).
 */
export interface ReplicaHeartbeatTable {
  id: ColumnType<number, number, never>;
  /** When it was last written: milliseconds since the epoch, by the writing process's clock. */
  beat_at_ms: ColumnType<number | string | bigint, number, number>;
}

/** The tables read routing needs; the app's Database includes them. */
export interface ReplicaHeartbeatTables {
  replica_heartbeat: ReplicaHeartbeatTable;
}
