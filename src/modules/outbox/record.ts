import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';

type Db = Kysely<Database>;

/** The server took it. Recorded whoever holds the lease now: it was sent, and a later holder must not send it again. */
export async function recordSent(db: Db, id: number, response: string, now: number): Promise<void> {
  await db
    .updateTable('outbox_message')
    .set({ status: 'sent', smtp_response: response.slice(0, 1000), last_error: null, sent_at: now, lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * A try that did not send: due again after `pauseMs`, or `failed` (pause
 * null); `cancelled` when the check before sending said no. Only while this
 * worker still holds the lease: once it ran out, the message is another's.
 */
export async function recordUnsent(
  db: Db,
  id: number,
  worker: string,
  outcome: { status: 'pending' | 'failed' | 'cancelled'; error: string; pauseMs?: number; response?: string | null },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('outbox_message')
    .set({
      status: outcome.status,
      last_error: outcome.error.slice(0, 1000),
      smtp_response: outcome.response?.slice(0, 1000) ?? null,
      next_attempt_at: now + (outcome.pauseMs ?? 0),
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('lease_owner', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
