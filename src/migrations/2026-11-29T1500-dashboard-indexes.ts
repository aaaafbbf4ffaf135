import type { Kysely } from 'kysely';
import { dialectOf } from '../platform/db/dialect.js';

/**
 * The dashboard's figures, read from indexes instead of tables:
 * - `ledger_entry_kind_created` (kind, created_at, amount_cents): the weekly
 *   chart sums payments and charges per week of the last 12; each week and
 *   kind is one range of this index. Without it every week scans the whole
 *   ledger (measured at 5,000,000 entries: docs/benchmarks.md "Dashboard queries").
 * - `account_money` (paid_cents, due_cents): total due and paid are one pass
 *   over every account; over this narrow index instead of the table it took
 *   0.20–0.25 s instead of 0.90–1.15 s at 1,000,000 accounts on MariaDB with
 *   its default 128 MB buffer pool (mysql client, three runs each).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('ledger_entry_kind_created').on('ledger_entry').columns(['kind', 'created_at', 'amount_cents']).execute();
  await db.schema.createIndex('account_money').on('account').columns(['paid_cents', 'due_cents']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const mysql = dialectOf(db) === 'mysql';
  for (const [index, table] of [
    ['ledger_entry_kind_created', 'ledger_entry'],
    ['account_money', 'account'],
  ] as const) {
    const drop = db.schema.dropIndex(index);
    await (mysql ? drop.on(table) : drop).execute();
  }
}
