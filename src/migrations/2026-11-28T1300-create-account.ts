import { sql, type Kysely } from 'kysely';
import { tableDefaults } from '../platform/db/dialect.js';

// Migrations see the schema as it was when they were written, not today's types.
export async function up(db: Kysely<unknown>): Promise<void> {
  const { utf8 } = tableDefaults(db);
  await db.schema
    .createTable('account')
    .addColumn('acctid', 'varchar(15)', (column) => column.primaryKey())
    .addColumn('paid_cents', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('due_cents', 'bigint', (column) => column.notNull().defaultTo(0))
    .addCheckConstraint('account_paid_not_negative', sql`paid_cents >= 0`)
    .addCheckConstraint('account_due_not_negative', sql`due_cents >= 0`)
    // A server default of latin1 would turn a non-ASCII lookup into a collation error.
    .$call(utf8)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account').execute();
}
