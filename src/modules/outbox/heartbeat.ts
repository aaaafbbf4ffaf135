import type { Kysely } from 'kysely';
import { insertUnlessPresent } from '../../platform/db/dialect.js';
import type { Database } from '../../schema.js';

/** Notes that `worker` is alive (its row, made on the first beat). */
export async function beat(db: Kysely<Database>, worker: string, startedAt: number, now: number): Promise<void> {
  const result = await db.updateTable('outbox_worker').set({ last_ran_at: now }).where('name', '=', worker).executeTakeFirst();
  // MySQL counts changed rows, so a beat in the same millisecond also lands here: the insert then leaves the row be.
  if (Number(result.numUpdatedRows) === 0) {
    await insertUnlessPresent(db, db.insertInto('outbox_worker').values({ name: worker, started_at: startedAt, last_ran_at: now }), ['name']).execute();
  }
}

/** The worker that ran most recently, if any ever did. */
export async function latestHeartbeat(db: Kysely<Database>): Promise<{ name: string; lastRanAt: number } | null> {
  const row = await db.selectFrom('outbox_worker').select(['name', 'last_ran_at']).orderBy('last_ran_at', 'desc').limit(1).executeTakeFirst();
  return row ? { name: row.name, lastRanAt: Number(row.last_ran_at) } : null;
}
