import { sql, type Kysely } from 'kysely';
import { termsOf } from '../modules/accounts/index.js';
import { dialectOf, tableDefaults } from '../platform/db/dialect.js';

/**
 * What staff manage about an account (name, contact, notes, closed), the
 * columns that make search and sorting index-only at a million rows, the
 * running balance on each ledger entry, and the API's idempotency keys.
 *
 * - `sort_name`: the name lower-cased without accents, compared bytewise on
 *   every database (MySQL utf8mb4_bin, PostgreSQL COLLATE "C", SQLite binary),
 *   so keyset pages agree everywhere.
 * - `balance_cents`: due − paid, moved by the same increments as the totals, so
 *   "owing", "overpaid" and "sort by balance" read an index.
 * - `account_search_term`: every prefix of the id and of each name word, so a
 *   search word is one key whose rows the primary key keeps in id order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { utf8 } = tableDefaults(db);
  const postgres = dialectOf(db) === 'postgres';
  // Bytewise comparison on PostgreSQL (the others are binary already): keyset order and prefix ranges agree everywhere.
  const bytewise = postgres ? sql`collate "C"` : sql``;

  const columns = [
    db.schema.alterTable('account').addColumn('name', 'varchar(200)', (column) => column.notNull().defaultTo('')),
    db.schema.alterTable('account').addColumn('sort_name', 'varchar(200)', (column) => column.modifyFront(bytewise).notNull().defaultTo('')),
    db.schema.alterTable('account').addColumn('email', 'varchar(254)'),
    db.schema.alterTable('account').addColumn('phone', 'varchar(40)'),
    db.schema.alterTable('account').addColumn('notes', 'varchar(2000)', (column) => column.notNull().defaultTo('')),
    db.schema.alterTable('account').addColumn('balance_cents', 'bigint', (column) => column.notNull().defaultTo(0)),
    db.schema.alterTable('account').addColumn('closed_at', 'bigint'),
    db.schema.alterTable('account').addColumn('created_at', 'bigint', (column) => column.notNull().defaultTo(0)),
    db.schema.alterTable('account').addColumn('updated_at', 'bigint', (column) => column.notNull().defaultTo(0)),
    db.schema.alterTable('ledger_entry').addColumn('balance_after_cents', 'bigint'),
  ];
  // One statement each: SQLite adds one column per ALTER TABLE.
  for (const column of columns) await column.execute();

  const now = Date.now();
  await sql`update account set balance_cents = due_cents - paid_cents, name = acctid, sort_name = lower(acctid), created_at = ${sql.lit(now)}, updated_at = ${sql.lit(now)}`.execute(db);

  await db.schema.createIndex('account_sort_name').on('account').columns(['sort_name', 'acctid']).execute();
  await db.schema.createIndex('account_balance').on('account').columns(['balance_cents', 'acctid']).execute();
  await db.schema.createIndex('account_closed').on('account').column('closed_at').execute();

  await db.schema
    .createTable('account_search_term')
    .addColumn('term', 'varchar(15)', (column) => column.modifyFront(bytewise).notNull())
    // No foreign key: terms are derived from the account and rewritten with it, and MySQL would add an index for one.
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
    .addPrimaryKeyConstraint('account_search_term_pk', ['term', 'acctid'])
    .$call(utf8)
    .execute();
  await writeTermsOfExistingAccounts(db);

  await backfillRunningBalances(db);

  await db.schema
    .createTable('idempotency_key')
    .addColumn('user_id', 'bigint', (column) => column.notNull())
    .addColumn('idem_key', 'varchar(255)', (column) => column.notNull())
    // SHA-256 (hex) of method, path and body: the same key with another request is refused.
    .addColumn('request_hash', 'varchar(64)', (column) => column.notNull())
    .addColumn('status_code', 'integer', (column) => column.notNull())
    .addColumn('response_body', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('idempotency_key_pk', ['user_id', 'idem_key'])
    .$call(utf8)
    .execute();
  // Finds a user's expired keys without touching (or, on InnoDB, locking) the live ones.
  await db.schema.createIndex('idempotency_key_expiry').on('idempotency_key').columns(['user_id', 'created_at']).execute();
}

/**
 * Accounts that exist now are named after their ids (the seed's three, usually): their terms, a page at a time.
 * termsOf is the app's own: a later change to it comes with a migration that rewrites the terms.
 */
async function writeTermsOfExistingAccounts(db: Kysely<unknown>): Promise<void> {
  let after = '';
  for (;;) {
    const { rows } = await sql<{ acctid: string }>`select acctid from account where acctid > ${after} order by acctid limit 500`.execute(db);
    if (rows.length === 0) return;
    const values = rows.flatMap(({ acctid }) => termsOf(acctid, acctid).map((term) => sql`(${term}, ${acctid})`));
    await sql`insert into account_search_term (term, acctid) values ${sql.join(values)}`.execute(db);
    after = rows.at(-1)!.acctid;
  }
}

/** The entries written before this migration (opening balances) get their running balance, account by account. */
async function backfillRunningBalances(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ id: number | string; acctid: string; kind: string; amount_cents: number | string }>`
    select id, acctid, kind, amount_cents from ledger_entry order by acctid, id`.execute(db);
  let acctid = '';
  let balance = 0;
  for (const row of rows) {
    if (row.acctid !== acctid) [acctid, balance] = [row.acctid, 0];
    const amount = Number(row.amount_cents);
    balance += row.kind === 'payment' ? -amount : amount;
    await sql`update ledger_entry set balance_after_cents = ${balance} where id = ${row.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_key').execute();
  await db.schema.dropTable('account_search_term').execute();
  const mysql = dialectOf(db) === 'mysql';
  for (const index of ['account_sort_name', 'account_balance', 'account_closed']) {
    const drop = db.schema.dropIndex(index);
    await (mysql ? drop.on('account') : drop).execute();
  }
  for (const column of ['name', 'sort_name', 'email', 'phone', 'notes', 'balance_cents', 'closed_at', 'created_at', 'updated_at']) {
    await db.schema.alterTable('account').dropColumn(column).execute();
  }
  await db.schema.alterTable('ledger_entry').dropColumn('balance_after_cents').execute();
}
