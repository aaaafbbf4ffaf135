import type { ColumnType, Selectable } from 'kysely';

/** One API write made with an Idempotency-Key, and the answer it got (kept 24 hours). */
export interface IdempotencyKeyTable {
  user_id: ColumnType<number | string | bigint, number, never>;
  idem_key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: ColumnType<number | string | bigint, number, number>;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;
