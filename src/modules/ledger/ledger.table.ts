import type { ColumnType, Selectable } from 'kysely';

type BigintColumn = ColumnType<number | string | bigint, number, never>;

/** Append-only: rows are inserted, never updated or deleted. */
export interface LedgerEntryTable {
  /** Assigned by the database. */
  id: ColumnType<number | string | bigint, never, never>;
  acctid: string;
  kind: string;
  /** Cents; positive for payments and charges, signed for adjustments. */
  amount_cents: BigintColumn;
  /** The account's balance (due − paid) just after this entry: the history's running balance. */
  balance_after_cents: ColumnType<number | string | bigint | null, number, never>;
  memo: string;
  /** The business date, YYYY-MM-DD. */
  effective_on: ColumnType<string, string, never>;
  /** Charges and positive adjustments: YYYY-MM-DD; null otherwise. */
  due_on: ColumnType<string | null, string | null | undefined, never>;
  reference: ColumnType<string | null, string | null | undefined, never>;
  actor: string;
  /** Milliseconds since the epoch. */
  created_at: BigintColumn;
}

export type LedgerEntryRow = Selectable<LedgerEntryTable>;
