import type { ColumnType, Selectable } from 'kysely';

type Millis = ColumnType<number | string | bigint, number, number>;
type MaybeMillis = ColumnType<number | string | bigint | null, number | null | undefined, number | null>;

export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'cancelled';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sent', 'failed', 'cancelled'];

/** One e-mail, from the decision to send it to the SMTP server's last answer. */
export interface OutboxMessageTable {
  id: ColumnType<number | string | bigint, never, never>;
  /** Which feature wrote it ("reminder", "statement"); picks the check run just before sending. */
  purpose: ColumnType<string, string, never>;
  acctid: ColumnType<string | null, string | null, never>;
  to_address: ColumnType<string, string, never>;
  subject: ColumnType<string, string, never>;
  text_body: ColumnType<string, string, never>;
  html_body: ColumnType<string, string, never>;
  attachment_kind: ColumnType<string | null, string | null, never>;
  /** JSON object of strings for the kind's renderer. */
  attachment_ref: ColumnType<string | null, string | null, never>;
  dedupe_key: ColumnType<string | null, string | null, never>;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  /** When it is due; while a worker holds it, when that lease ends. */
  next_attempt_at: Millis;
  lease_owner: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: MaybeMillis;
  message_id: ColumnType<string | null, string | null | undefined, string | null>;
  smtp_response: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<number | string | bigint, number, never>;
  sent_at: MaybeMillis;
  updated_at: Millis;
}

/** A running worker's heartbeat. */
export interface OutboxWorkerTable {
  name: string;
  started_at: Millis;
  last_ran_at: Millis;
}

/** Who ran a daily job on a given day (the primary key lets one worker win). */
export interface OutboxDailyRunTable {
  job: ColumnType<string, string, never>;
  day: ColumnType<string, string, never>;
  worker: ColumnType<string, string, never>;
  started_at: ColumnType<number | string | bigint, number, never>;
  finished_at: MaybeMillis;
  outcome: ColumnType<string | null, string | null | undefined, string | null>;
}

export type OutboxMessageRow = Selectable<OutboxMessageTable>;
