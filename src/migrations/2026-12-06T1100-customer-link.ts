import type { Kysely } from 'kysely';
import { tableDefaults } from '../platform/db/dialect.js';

/**
 * `customer_link`: when each account's customer links were last revoked
 * (a link made up to then shows nothing). Accounts never revoked have no row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { utf8 } = tableDefaults(db);
  await db.schema
    .createTable('customer_link')
    .addColumn('acctid', 'varchar(15)', (column) => column.primaryKey().references('account.acctid'))
    .addColumn('revoked_at', 'bigint', (column) => column.notNull())
    .addColumn('revoked_by', 'varchar(80)', (column) => column.notNull())
    .$call(utf8)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_link').execute();
}
