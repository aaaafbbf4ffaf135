import type { Queryable } from '../../schema.js';
import type { OutboxStatus } from './outbox.table.js';

/** A message as an account's history shows it. */
export interface AccountMessage {
  readonly id: number;
  readonly purpose: string;
  readonly to: string;
  readonly subject: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly sentAt: number | null;
}

/** An account's messages, newest first. */
export async function messagesOfAccount(db: Queryable, acctid: string, limit: number): Promise<AccountMessage[]> {
  const rows = await db
    .selectFrom('outbox_message')
    .select(['id', 'purpose', 'to_address', 'subject', 'status', 'attempts', 'last_error', 'created_at', 'sent_at'])
    .where('acctid', '=', acctid)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    purpose: row.purpose,
    to: row.to_address,
    subject: row.subject,
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
  }));
}
