import { sql, type Kysely } from 'kysely';
import { tableDefaults } from '../platform/db/dialect.js';

/**
 * Overdue reminders:
 * - `account.reminders`: 1 (the default) when the account is sent reminders,
 *   0 when staff turned them off.
 * - `reminder_level`: the policy, one row per level (days past due, subject,
 *   text), edited by admins; the defaults are 7, 30 and 60 days.
 * - `reminder_sent`: which level each invoice was reminded of, so that a
 *   level is never sent twice for the same invoice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { withId, utf8 } = tableDefaults(db);
  await db.schema.alterTable('account').addColumn('reminders', 'integer', (column) => column.notNull().defaultTo(1)).execute();

  await db.schema
    .createTable('reminder_level')
    .$call(withId)
    .addColumn('days_late', 'integer', (column) => column.notNull().unique())
    .addColumn('subject', 'varchar(200)', (column) => column.notNull())
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('reminder_level_days_positive', sql`days_late > 0`)
    .$call(utf8)
    .execute();

  await db.schema
    .createTable('reminder_sent')
    .addColumn('charge_id', 'bigint', (column) => column.notNull())
    .addColumn('days_late', 'integer', (column) => column.notNull())
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
    // The day the reminder was chosen for (crm reminders run --as-of).
    .addColumn('as_of', 'varchar(10)', (column) => column.notNull())
    .addColumn('message_id', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('reminder_sent_pk', ['charge_id', 'days_late'])
    .$call(utf8)
    .execute();
  // A batch of accounts' records, read by account id range.
  await db.schema.createIndex('reminder_sent_account').on('reminder_sent').columns(['acctid', 'charge_id', 'days_late']).execute();

  const now = Date.now();
  await db
    .insertInto('reminder_level' as never)
    .values(DEFAULT_LEVELS.map((level) => ({ ...level, updated_at: now })))
    .execute();
}

/** The policy a new installation starts with; {placeholders} are filled per account (see the reminders module). */
export const DEFAULT_LEVELS = [
  {
    days_late: 7,
    subject: 'Payment reminder: {total_overdue} overdue',
    body: 'Dear {customer},\n\nOur records show that the invoices below are past their due date, {total_overdue} in all. Perhaps this has slipped through; we would be grateful for your payment.\n\nIf you have paid in the last few days, thank you, and please disregard this message.',
  },
  {
    days_late: 30,
    subject: 'Second reminder: {total_overdue} overdue on account {acctid}',
    body: 'Dear {customer},\n\nWe wrote to you about the invoices below, which are now more than 30 days past due, {total_overdue} in all. Please arrange payment, or tell us if something is wrong with them.\n\nIf you have paid in the last few days, thank you, and please disregard this message.',
  },
  {
    days_late: 60,
    subject: 'Final reminder: {total_overdue} overdue on account {acctid}',
    body: 'Dear {customer},\n\nThe invoices below are now more than 60 days past due, {total_overdue} in all, despite our earlier reminders. Please pay within 14 days or contact us to agree a plan.\n\nIf you have paid in the last few days, thank you, and please disregard this message.',
  },
];

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reminder_sent').execute();
  await db.schema.dropTable('reminder_level').execute();
  await db.schema.alterTable('account').dropColumn('reminders').execute();
}
