import type { ColumnType, Selectable } from 'kysely';

export interface AuditEventTable {
  /** Assigned by the database; never written. */
  id: ColumnType<number | string | bigint, never, never>;
  /** Milliseconds since the epoch. */
  at: ColumnType<number | string | bigint, number, never>;
  actor: string;
  ip: string | null;
  request_id: string | null;
  action: string;
  target: string | null;
  before_json: string | null;
  after_json: string | null;
}

export type AuditEventRow = Selectable<AuditEventTable>;
