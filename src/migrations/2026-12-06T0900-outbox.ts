import { sql, type Kysely } from 'kysely';
import { dialectOf, tableDefaults } from '../platform/db/dialect.js';

/**
 * The outbox: every e-mail the app sends is first a row here, written in the
 * transaction that decides to send it; workers claim due rows under a lease
 * (`next_attempt_at` doubles as the lease's end while one holds it), send,
 * and record the answer.
 * - `outbox_worker`: one row per running worker, its heartbeat.
 * - `outbox_daily_run`: one row per daily job and day; the worker whose
 *   insert wins the primary key runs that day's job.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { withId, utf8 } = tableDefaults(db);
  // Bodies listing many invoices outgrow MySQL's 64 KiB TEXT.
  const body = dialectOf(db) === 'mysql' ? sql`mediumtext` : sql`text`;

  await db.schema
    .createTable('outbox_message')
    .$call(withId)
    .addColumn('purpose', 'varchar(40)', (column) => column.notNull())
    .addColumn('acctid', 'varchar(15)')
    .addColumn('to_address', 'varchar(320)', (column) => column.notNull())
    .addColumn('subject', 'varchar(300)', (column) => column.notNull())
    .addColumn('text_body', body, (column) => column.notNull())
    .addColumn('html_body', body, (column) => column.notNull())
    .addColumn('attachment_kind', 'varchar(40)')
    // JSON object of strings: what the kind's renderer needs to build the file at send time.
    .addColumn('attachment_ref', 'varchar(1000)')
    .addColumn('dedupe_key', 'varchar(200)', (column) => column.unique())
    .addColumn('status', 'varchar(10)', (column) => column.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('last_error', 'varchar(1000)')
    // Milliseconds since the epoch; while leased, when the lease ends.
    .addColumn('next_attempt_at', 'bigint', (column) => column.notNull())
    .addColumn('lease_owner', 'varchar(100)')
    .addColumn('lease_until', 'bigint')
    // Fixed at the first claim and reused by every attempt, so a resend after a crash is the same message.
    .addColumn('message_id', 'varchar(255)')
    .addColumn('smtp_response', 'varchar(1000)')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('outbox_message_status_known', sql`status in ('pending', 'sent', 'failed', 'cancelled')`)
    .$call(utf8)
    .execute();
  // Workers claim: pending rows whose time has come, oldest first.
  await db.schema.createIndex('outbox_message_due').on('outbox_message').columns(['status', 'next_attempt_at', 'id']).execute();
  // Lists: by status (newest first) and an account's history.
  await db.schema.createIndex('outbox_message_status').on('outbox_message').columns(['status', 'id']).execute();
  await db.schema.createIndex('outbox_message_account').on('outbox_message').columns(['acctid', 'id']).execute();

  await db.schema
    .createTable('outbox_worker')
    .addColumn('name', 'varchar(100)', (column) => column.primaryKey())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('last_ran_at', 'bigint', (column) => column.notNull())
    .$call(utf8)
    .execute();

  await db.schema
    .createTable('outbox_daily_run')
    .addColumn('job', 'varchar(60)', (column) => column.notNull())
    .addColumn('day', 'varchar(10)', (column) => column.notNull())
    .addColumn('worker', 'varchar(100)', (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('outcome', 'varchar(1000)')
    .addPrimaryKeyConstraint('outbox_daily_run_key', ['job', 'day'])
    .$call(utf8)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_daily_run').execute();
  await db.schema.dropTable('outbox_worker').execute();
  await db.schema.dropTable('outbox_message').execute();
}
