import type { ColumnType, Selectable } from 'kysely';

/** Drivers return BIGINT as number, string or bigint; we always write numbers. */
type CentsColumn = ColumnType<number | string | bigint, number, number>;


export interface AccountTable {
  /** Upper-case, at most 15 characters (see normalizeAcctId). */
  acctid: string;
  paid_cents: CentsColumn;
  due_cents: CentsColumn;
  /** due − paid, moved with them (see the ledger); indexed for filters and sorting. */
  balance_cents: ColumnType<number | string | bigint, number | undefined, number>;
  name: ColumnType<string, string | undefined, string>;
  /** The name lower-cased without accents (sortName); compared bytewise. */
  sort_name: ColumnType<string, string | undefined, string>;
  email: ColumnType<string | null, string | null | undefined, string | null>;
  phone: ColumnType<string | null, string | null | undefined, string | null>;
  notes: ColumnType<string, string | undefined, string>;
  /** Days from an invoice's date to its due date: 0 to 365. */
  terms_days: ColumnType<number, number | undefined, number>;
  /** 1: overdue reminders are sent (the default); 0: staff turned them off. */
  reminders: ColumnType<number, 0 | 1 | undefined, 0 | 1>;
  /** Milliseconds since the epoch; null while open. */
  closed_at: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  created_at: ColumnType<number | string | bigint, number | undefined, number>;
  updated_at: ColumnType<number | string | bigint, number | undefined, number>;
}

/** One word of an account's name, or its id, lower-cased without accents: what search matches by prefix. */
export interface AccountSearchTermTable {
  term: string;
  acctid: string;
  /** The account's sort_name, copied so that a term's rows read in name order from one index. */
  sort_name: string;
}

export type AccountRow = Selectable<AccountTable>;

