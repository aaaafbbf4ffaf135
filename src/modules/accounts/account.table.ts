import type { ColumnType, Selectable } from 'kysely';

/** Drivers return BIGINT as number, string or bigint; we always write numbers. */
type CentsColumn = ColumnType<number | string | bigint, number, number>;

export interface AccountTable {
  /** Upper-case, at most 15 characters (see normalizeAcctId). */
  acctid: string;
  paid_cents: CentsColumn;
  due_cents: CentsColumn;
}

export type AccountRow = Selectable<AccountTable>;
