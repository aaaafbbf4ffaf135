import type { ColumnType, Selectable } from 'kysely';

/** One level of the reminder policy: when an invoice is this many days past due, this message. */
export interface ReminderLevelTable {
  id: ColumnType<number | string | bigint, never, never>;
  days_late: number;
  subject: string;
  /** Plain text; paragraphs separated by a blank line; {placeholders} filled per account. */
  body: string;
  /** Milliseconds since the epoch. */
  updated_at: ColumnType<number | string | bigint, number, number>;
}

/** An invoice reminded of at a level (days_late of the level then): never again at that level or below. */
export interface ReminderSentTable {
  charge_id: ColumnType<number | string | bigint, number, never>;
  days_late: ColumnType<number, number, never>;
  acctid: ColumnType<string, string, never>;
  /** YYYY-MM-DD: the day the reminder was chosen for. */
  as_of: ColumnType<string, string, never>;
  /** The outbox message that carries it. */
  message_id: ColumnType<number | string | bigint | null, number | null | undefined, number | null>;
  created_at: ColumnType<number | string | bigint, number, never>;
}

export type ReminderLevelRow = Selectable<ReminderLevelTable>;
