import type { ColumnType } from 'kysely';

/**
 * When each account's customer links were last revoked: a link made at or
 * before `revoked_at` shows nothing. Accounts never revoked have no row.
 */
export interface CustomerLinkTable {
  acctid: string;
  /** Milliseconds since the epoch. */
  revoked_at: ColumnType<number | string | bigint, number, number>;
  /** The staff member (or "cli") who revoked last. */
  revoked_by: string;
}
