import { sql, type Kysely } from 'kysely';
import { tableDefaults } from '../platform/db/dialect.js';

/**
 * The ledger: every change to an account's money is an entry, and the
 * account's paid/due totals are the sums of its entries. Accounts that exist
 * when this runs get opening entries equal to their totals, so the rule holds
 * for them from the start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { withId, utf8 } = tableDefaults(db);

  await db.schema
    .createTable('ledger_entry')
    .$call(withId)
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull().references('account.acctid'))
    .addColumn('kind', 'varchar(16)', (column) => column.notNull())
    // Cents. Payments and charges are positive; an adjustment carries its sign (+ owed more, − owed less).
    .addColumn('amount_cents', 'bigint', (column) => column.notNull())
    .addColumn('memo', 'varchar(500)', (column) => column.notNull().defaultTo(''))
    .addColumn('actor', 'varchar(80)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('ledger_entry_kind_known', sql`kind in ('payment', 'charge', 'adjustment')`)
    // The sign rule only: the per-entry maximum is the service's, since an opening balance carried over may exceed it.
    .addCheckConstraint('ledger_entry_amount_valid', sql`(kind = 'adjustment' and amount_cents <> 0) or (kind <> 'adjustment' and amount_cents > 0)`)
    .$call(utf8)
    .execute();
  await db.schema.createIndex('ledger_entry_account').on('ledger_entry').columns(['acctid', 'id']).execute();

  // Literals, not parameters: PostgreSQL types a parameter in a SELECT list as text.
  const now = Date.now();
  for (const [kind, column] of [
    ['charge', 'due_cents'],
    ['payment', 'paid_cents'],
  ] as const) {
    await sql`insert into ledger_entry (acctid, kind, amount_cents, memo, actor, created_at)
      select acctid, ${sql.lit(kind)}, ${sql.ref(column)}, 'Opening balance', 'migration', ${sql.lit(now)} from account where ${sql.ref(column)} > 0`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ledger_entry').execute();
}
