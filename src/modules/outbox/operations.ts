import { recordAudit, type Actor } from '../audit/index.js';
import type { Queryable } from '../../schema.js';
import { AppError } from '../../shared/errors.js';
import type { OutboxMessageRow, OutboxStatus } from './outbox.table.js';

/** A message as the operators' list shows it. */
export interface ListedMessage {
  readonly id: number;
  readonly purpose: string;
  readonly acctid: string | null;
  readonly to: string;
  readonly subject: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  /** When it is next tried (pending), else when it was last touched. */
  readonly nextAttemptAt: number;
  /** A worker holds it right now (it is being sent). */
  readonly inHand: boolean;
  readonly createdAt: number;
  readonly sentAt: number | null;
}

function listed(row: OutboxMessageRow, now: number): ListedMessage {
  return {
    id: Number(row.id),
    purpose: row.purpose,
    acctid: row.acctid,
    to: row.to_address,
    subject: row.subject,
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    nextAttemptAt: Number(row.next_attempt_at),
    inHand: row.status === 'pending' && row.lease_until !== null && Number(row.lease_until) > now,
    createdAt: Number(row.created_at),
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
  };
}

/** Messages, newest first, of one status or all; `beforeId` pages on. */
export async function listMessages(db: Queryable, filter: { status?: OutboxStatus | undefined; limit: number; beforeId?: number | undefined }, now = Date.now()): Promise<ListedMessage[]> {
  let query = db.selectFrom('outbox_message').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return (await query.execute()).map((row) => listed(row, now));
}

/** How many messages are in each state. */
export async function countByStatus(db: Queryable): Promise<Record<OutboxStatus, number>> {
  const rows = await db.selectFrom('outbox_message').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, failed: 0, cancelled: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

class OutboxActionError extends AppError {
  override name = 'OutboxActionError';
}

async function findMessage(db: Queryable, id: number): Promise<OutboxMessageRow> {
  const row = await db.selectFrom('outbox_message').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new OutboxActionError(404, 'OUTBOX_MESSAGE_NOT_FOUND', `There is no outbox message ${id}.`);
  return row;
}

function inHand(row: OutboxMessageRow, now: number): boolean {
  return row.status === 'pending' && row.lease_until !== null && Number(row.lease_until) > now;
}

/**
 * Makes a failed or waiting message due now. A failed one gets a fresh day
 * of tries. One a worker holds right now is left alone (sending it again
 * beside that worker could send it twice).
 */
export async function retryMessage(db: Queryable, id: number, actor: Actor, now = Date.now()): Promise<void> {
  const row = await findMessage(db, id);
  if (row.status === 'sent' || row.status === 'cancelled') {
    throw new OutboxActionError(409, 'OUTBOX_MESSAGE_CLOSED', `Message ${id} is ${row.status}; only pending and failed messages can be retried.`);
  }
  if (inHand(row, now)) throw new OutboxActionError(409, 'OUTBOX_MESSAGE_IN_HAND', `Message ${id} is being sent right now; look again in a moment.`);
  await db
    .updateTable('outbox_message')
    .set({ status: 'pending', next_attempt_at: now, attempts: row.status === 'failed' ? 0 : Number(row.attempts), lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', row.status)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .execute();
  await recordAudit(db, actor, { action: 'outbox.retried', target: `message ${id}`, before: { status: row.status, attempts: Number(row.attempts) }, after: { status: 'pending' } }, now);
}

/** Every failed message, and every waiting one no worker holds, due now; returns how many. */
export async function retryAll(db: Queryable, actor: Actor, now = Date.now()): Promise<number> {
  const failed = await db.updateTable('outbox_message').set({ status: 'pending', next_attempt_at: now, attempts: 0, updated_at: now }).where('status', '=', 'failed').executeTakeFirst();
  const waiting = await db
    .updateTable('outbox_message')
    .set({ next_attempt_at: now, updated_at: now })
    .where('status', '=', 'pending')
    .where('next_attempt_at', '>', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .executeTakeFirst();
  const count = Number(failed.numUpdatedRows) + Number(waiting.numUpdatedRows);
  await recordAudit(db, actor, { action: 'outbox.retried_all', target: 'outbox', after: { messages: count } }, now);
  return count;
}

/** Stops a pending or failed message from ever being sent. */
export async function cancelMessage(db: Queryable, id: number, actor: Actor, now = Date.now()): Promise<void> {
  const row = await findMessage(db, id);
  if (row.status === 'sent' || row.status === 'cancelled') {
    throw new OutboxActionError(409, 'OUTBOX_MESSAGE_CLOSED', `Message ${id} is already ${row.status}.`);
  }
  if (inHand(row, now)) throw new OutboxActionError(409, 'OUTBOX_MESSAGE_IN_HAND', `Message ${id} is being sent right now; it cannot be stopped.`);
  const result = await db
    .updateTable('outbox_message')
    .set({ status: 'cancelled', last_error: `cancelled by ${actor.name}`.slice(0, 1000), lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', row.status)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .executeTakeFirst();
  // A worker claimed it since it was read.
  if (Number(result.numUpdatedRows) === 0) throw new OutboxActionError(409, 'OUTBOX_MESSAGE_IN_HAND', `Message ${id} is being sent right now; it cannot be stopped.`);
  await recordAudit(db, actor, { action: 'outbox.cancelled', target: `message ${id}`, before: { status: row.status }, after: { status: 'cancelled' } }, now);
}
