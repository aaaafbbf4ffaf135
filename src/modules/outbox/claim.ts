import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../../platform/db/dialect.js';
import type { Database } from '../../schema.js';
import type { OutboxMessageRow } from './outbox.table.js';

/**
 * The Message-ID a message keeps for every try: the row's id and a random
 * part fixed at its first claim, under the sender's domain. A message sent
 * but not recorded before a crash goes again under the same id, so mail
 * systems and the customer's client see one message.
 */
export function newMessageId(id: number, domain: string): string {
  return `<outbox-${id}.${randomBytes(12).toString('hex')}@${domain}>`;
}

/**
 * Takes up to `limit` due messages for `worker` until `now + leaseMs`: their
 * next_attempt_at moves to the lease's end, so if the worker dies they fall
 * due again then and another worker takes them. Rows another transaction is
 * claiming are skipped (FOR UPDATE SKIP LOCKED on MySQL 8/MariaDB 10.6+ and
 * PostgreSQL); SQLite's BEGIN IMMEDIATE lets one claim run at a time.
 */
export async function claimDue(db: Kysely<Database>, worker: string, now: number, leaseMs: number, limit: number, domain: string): Promise<OutboxMessageRow[]> {
  return db.transaction().execute(async (trx) => {
    const due = trx
      .selectFrom('outbox_message')
      .select(['id', 'message_id'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit);
    const rows = await (dialectOf(trx) === 'sqlite' ? due : due.forUpdate().skipLocked()).execute();
    if (rows.length === 0) return [];
    const ids = rows.map((row) => Number(row.id));
    const leaseUntil = now + leaseMs;
    await trx
      .updateTable('outbox_message')
      .set((eb) => ({ lease_owner: worker, lease_until: leaseUntil, next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', 'in', ids)
      .execute();
    const fresh = rows.filter((row) => row.message_id === null).map((row) => Number(row.id));
    if (fresh.length > 0) {
      // One statement for the batch: CASE picks each row's own id.
      const cases = sql.join(fresh.map((id) => sql`when ${id} then ${newMessageId(id, domain)}`), sql` `);
      await trx.updateTable('outbox_message').set({ message_id: sql<string>`case id ${cases} end` }).where('id', 'in', fresh).execute();
    }
    return trx.selectFrom('outbox_message').selectAll().where('id', 'in', ids).orderBy('id').execute();
  });
}
