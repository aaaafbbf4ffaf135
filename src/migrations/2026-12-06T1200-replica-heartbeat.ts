import type { Kysely } from 'kysely';

/**
 * `replica_heartbeat`: the one row the primary's heartbeat updates each
 * second, so each replica's lag can be read from the replica itself
 * (decision 0023). Made with a zero beat: a replica counts as lagging until
 * the first real beat has reached it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('replica_heartbeat')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('beat_at_ms', 'bigint', (column) => column.notNull())
    .execute();
  await (db as Kysely<{ replica_heartbeat: { id: number; beat_at_ms: number } }>).insertInto('replica_heartbeat').values({ id: 1, beat_at_ms: 0 }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('replica_heartbeat').execute();
}
