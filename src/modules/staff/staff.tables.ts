import type { ColumnType, Selectable } from 'kysely';

/** Drivers return BIGINT as number, string or bigint; we always write numbers (ms since the epoch). */
export type MillisColumn = ColumnType<number | string | bigint, number, number>;
type NullableMillis = ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
/** Assigned by the database; never written. */
type Id = ColumnType<number | string | bigint, never, never>;

export interface StaffUserTable {
  id: Id;
  username: string;
  role: string;
  password_hash: string;
  /** 1 when disabled: a 0/1 flag binds and reads the same on all three databases. */
  disabled: ColumnType<number, 0 | 1 | undefined, 0 | 1>;
  failed_logins: ColumnType<number, number | undefined, number>;
  locked_until: NullableMillis;
  created_at: MillisColumn;
  updated_at: MillisColumn;
}

export interface StaffSessionTable {
  id_hash: string;
  user_id: ColumnType<number | string | bigint, number, never>;
  created_at: MillisColumn;
  last_seen_at: MillisColumn;
  expires_at: MillisColumn;
  ip: string | null;
}

export interface ApiTokenTable {
  id: Id;
  user_id: ColumnType<number | string | bigint, number, never>;
  label: string;
  token_hash: string;
  prefix: string;
  created_at: MillisColumn;
  last_used_at: NullableMillis;
  expires_at: NullableMillis;
  revoked_at: NullableMillis;
}

export type StaffUserRow = Selectable<StaffUserTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;

