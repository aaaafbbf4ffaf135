import { sql, type Kysely } from 'kysely';
import { dialectOf, tableDefaults } from '../platform/db/dialect.js';

/**
 * Receivables: business dates on entries, invoices with due dates, and what
 * paid them.
 * - `account.terms_days`: days from an invoice's date to its due date (30).
 * - `ledger_entry.effective_on` (the business date, YYYY-MM-DD text), `due_on`
 *   (charges and positive adjustments) and `reference` (an invoice number).
 *   Existing entries get the UTC day they were recorded; existing charges are
 *   due that day.
 * - `open_item`: one row per entry, what is still open of it: a charge's
 *   unpaid part, a payment's or credit's unapplied part. It is the only
 *   mutable side of the ledger (the entries stay append-only), so today's
 *   aging reads open items, not history.
 * - `allocation`: which credit paid which charge, how much, from which day.
 * Existing accounts are allocated oldest first (charges by due date, credits
 * by date), as the app does from now on as entries arrive.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { withId, utf8 } = tableDefaults(db);
  const dialect = dialectOf(db);

  await db.schema.alterTable('account').addColumn('terms_days', 'integer', (column) => column.notNull().defaultTo(30)).execute();
  await db.schema.alterTable('ledger_entry').addColumn('effective_on', 'varchar(10)').execute();
  await db.schema.alterTable('ledger_entry').addColumn('due_on', 'varchar(10)').execute();
  await db.schema.alterTable('ledger_entry').addColumn('reference', 'varchar(40)').execute();

  const utcDay =
    dialect === 'mysql'
      ? sql`date_format(date_add('1970-01-01', interval floor(created_at / 1000) second), '%Y-%m-%d')`
      : dialect === 'postgres'
        ? sql`to_char(to_timestamp(floor(created_at / 1000)) at time zone 'UTC', 'YYYY-MM-DD')`
        : sql`strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')`;
  await sql`update ledger_entry set effective_on = ${utcDay}`.execute(db);
  await sql`update ledger_entry set due_on = effective_on where kind = 'charge' or (kind = 'adjustment' and amount_cents > 0)`.execute(db);
  if (dialect !== 'sqlite') {
    // SQLite cannot add NOT NULL to a column; its writers always set it.
    const alter = dialect === 'mysql' ? sql`alter table ledger_entry modify effective_on varchar(10) not null` : sql`alter table ledger_entry alter column effective_on set not null`;
    await alter.execute(db);
  }
  await db.schema.createIndex('ledger_entry_account_effective').on('ledger_entry').columns(['acctid', 'effective_on', 'id']).execute();

  await db.schema
    .createTable('open_item')
    .addColumn('entry_id', 'bigint', (column) => column.primaryKey().references('ledger_entry.id'))
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
    // charge: a charge or positive adjustment (an invoice); credit: a payment or negative adjustment.
    .addColumn('side', 'varchar(6)', (column) => column.notNull())
    .addColumn('effective_on', 'varchar(10)', (column) => column.notNull())
    // A charge's due date; a credit's own date (credits are taken in date order).
    .addColumn('due_on', 'varchar(10)', (column) => column.notNull())
    .addColumn('amount_cents', 'bigint', (column) => column.notNull())
    .addColumn('open_cents', 'bigint', (column) => column.notNull())
    // The latest allocation's date; once open_cents is 0, the day it was settled.
    .addColumn('last_applied_on', 'varchar(10)')
    .addColumn('settled_on', 'varchar(10)')
    .addCheckConstraint('open_item_side_known', sql`side in ('charge', 'credit')`)
    .addCheckConstraint('open_item_open_valid', sql`open_cents >= 0 and open_cents <= amount_cents`)
    .$call(utf8)
    .execute();
  // An account's open charges (or credits) in the order they are paid; settled ones are skipped by the index.
  await db.schema.createIndex('open_item_account').on('open_item').columns(['acctid', 'side', 'settled_on', 'due_on', 'effective_on', 'entry_id']).execute();
  // Today's aging over every account: the open items only, by due date.
  await db.schema.createIndex('open_item_open').on('open_item').columns(['settled_on', 'side', 'due_on', 'open_cents']).execute();

  await db.schema
    .createTable('allocation')
    .$call(withId)
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
    .addColumn('charge_id', 'bigint', (column) => column.notNull().references('ledger_entry.id'))
    .addColumn('credit_id', 'bigint', (column) => column.notNull().references('ledger_entry.id'))
    .addColumn('amount_cents', 'bigint', (column) => column.notNull())
    // The later of the two entries' dates: the day from which the charge counts as paid by this much.
    .addColumn('effective_on', 'varchar(10)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('allocation_amount_positive', sql`amount_cents > 0`)
    .$call(utf8)
    .execute();
  await db.schema.createIndex('allocation_charge').on('allocation').columns(['charge_id', 'effective_on', 'amount_cents']).execute();
  await db.schema.createIndex('allocation_credit').on('allocation').columns(['credit_id', 'effective_on', 'amount_cents']).execute();

  await sql`insert into open_item (entry_id, acctid, side, effective_on, due_on, amount_cents, open_cents)
    select id, acctid,
      case when kind = 'charge' or (kind = 'adjustment' and amount_cents > 0) then 'charge' else 'credit' end,
      effective_on, coalesce(due_on, effective_on), abs(amount_cents), abs(amount_cents)
    from ledger_entry`.execute(db);
  await allocateOldestFirst(db);
}

/**
 * FIFO over each account's existing entries in one pass: charges laid end to
 * end in due-date order and credits in date order; a credit pays the charges
 * its stretch overlaps, by the overlap. Worked through staging tables with
 * indexes, so the overlap join reads ranges instead of comparing every pair.
 */
async function allocateOldestFirst(db: Kysely<unknown>): Promise<void> {
  const { utf8 } = tableDefaults(db);
  const mysql = dialectOf(db) === 'mysql';
  const least = mysql || dialectOf(db) === 'postgres' ? sql.raw('least') : sql.raw('min');
  const greatest = mysql || dialectOf(db) === 'postgres' ? sql.raw('greatest') : sql.raw('max');
  for (const [table, side, order] of [
    ['fifo_charge', 'charge', sql`due_on, effective_on, entry_id`],
    ['fifo_credit', 'credit', sql`effective_on, entry_id`],
  ] as const) {
    await db.schema.dropTable(table).ifExists().execute();
    await db.schema
      .createTable(table)
      .addColumn('entry_id', 'bigint', (column) => column.primaryKey())
      .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
      .addColumn('effective_on', 'varchar(10)', (column) => column.notNull())
      .addColumn('start_cents', 'bigint', (column) => column.notNull())
      .addColumn('end_cents', 'bigint', (column) => column.notNull())
      .$call(utf8)
      .execute();
    await sql`insert into ${sql.table(table)} (entry_id, acctid, effective_on, start_cents, end_cents)
      select entry_id, acctid, effective_on, running - amount_cents, running from (
        select entry_id, acctid, effective_on, amount_cents,
          sum(amount_cents) over (partition by acctid order by ${order} rows unbounded preceding) as running
        from open_item where side = ${side}
      ) stretched`.execute(db);
    await db.schema.createIndex(`${table}_stretch`).on(table).columns(['acctid', 'end_cents', 'start_cents']).execute();
  }
  await sql`insert into allocation (acctid, charge_id, credit_id, amount_cents, effective_on, created_at)
    select c.acctid, c.entry_id, p.entry_id,
      ${least}(c.end_cents, p.end_cents) - ${greatest}(c.start_cents, p.start_cents),
      ${greatest}(c.effective_on, p.effective_on), ${sql.lit(Date.now())}
    from fifo_charge c join fifo_credit p
      on p.acctid = c.acctid and p.end_cents > c.start_cents and p.start_cents < c.end_cents`.execute(db);
  await db.schema.dropTable('fifo_charge').execute();
  await db.schema.dropTable('fifo_credit').execute();

  for (const [side, column] of [
    ['charge', 'charge_id'],
    ['credit', 'credit_id'],
  ] as const) {
    const applied = sql`(select sum(a.amount_cents) from allocation a where ${sql.ref(`a.${column}`)} = open_item.entry_id)`;
    const lastOn = sql`(select max(a.effective_on) from allocation a where ${sql.ref(`a.${column}`)} = open_item.entry_id)`;
    await sql`update open_item set open_cents = amount_cents - coalesce(${applied}, 0), last_applied_on = ${lastOn} where side = ${side}`.execute(db);
  }
  await sql`update open_item set settled_on = last_applied_on where open_cents = 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('allocation').execute();
  await db.schema.dropTable('open_item').execute();
  const drop = db.schema.dropIndex('ledger_entry_account_effective');
  await (dialectOf(db) === 'mysql' ? drop.on('ledger_entry') : drop).execute();
  for (const column of ['reference', 'due_on', 'effective_on']) await db.schema.alterTable('ledger_entry').dropColumn(column).execute();
  await db.schema.alterTable('account').dropColumn('terms_days').execute();
}
