import type { ColumnType, Selectable } from 'kysely';

type BigintColumn = ColumnType<number | string | bigint, number, number>;

/**
 * What is still open of each entry: a charge's unpaid part (an invoice), a
 * payment's or credit's unapplied part. Updated as allocations are made, in
 * the entry's transaction; the entries themselves never change.
 */
export interface OpenItemTable {
  entry_id: ColumnType<number | string | bigint, number, never>;
  acctid: ColumnType<string, string, never>;
  side: ColumnType<OpenItemSide, OpenItemSide, never>;
  /** YYYY-MM-DD. */
  effective_on: ColumnType<string, string, never>;
  /** A charge's due date; a credit's own date. */
  due_on: ColumnType<string, string, never>;
  /** Positive cents: the entry's amount, whatever its sign. */
  amount_cents: ColumnType<number | string | bigint, number, never>;
  open_cents: BigintColumn;
  last_applied_on: ColumnType<string | null, string | null | undefined, string | null>;
  /** The day the last of it was applied; null while open. */
  settled_on: ColumnType<string | null, string | null | undefined, string | null>;
}

export type OpenItemSide = 'charge' | 'credit';

/** Part of a credit (payment or negative adjustment) applied to a charge. */
export interface AllocationTable {
  id: ColumnType<number | string | bigint, never, never>;
  acctid: string;
  charge_id: ColumnType<number | string | bigint, number, never>;
  credit_id: ColumnType<number | string | bigint, number, never>;
  amount_cents: ColumnType<number | string | bigint, number, never>;
  /** The later of the two entries' dates: from then on the charge counts as paid by this much. */
  effective_on: string;
  created_at: ColumnType<number | string | bigint, number, never>;
}

export type OpenItemRow = Selectable<OpenItemTable>;
export type AllocationRow = Selectable<AllocationTable>;
