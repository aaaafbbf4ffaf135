import type { ColumnType, Selectable } from 'kysely';

/** One write made with an idempotency key, and the outcome it stored (kept 24 hours). */
export interface IdempotencyKeyTable {
  user_id: ColumnType<number | string | bigint, number, never>;
  idem_key: string;
  request_hash: string;
  /** 201: every keyed write creates something (an account, an entry); 0 while the claiming transaction is open. */
  status_code: number;
  /** The write's outcome as JSON, replayed to a retry. */
  response_body: string;
  created_at: ColumnType<number | string | bigint, number, number>;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;

/** The tables a database needs for idempotent writes; the app's Database includes them. */
export interface IdempotencyTables {
  idempotency_key: IdempotencyKeyTable;
}
