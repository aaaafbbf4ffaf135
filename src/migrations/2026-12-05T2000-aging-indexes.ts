import type { Kysely } from 'kysely';
import { dialectOf } from '../platform/db/dialect.js';

/**
 * Aging over every account as of a past date, and DSO, from one index:
 * `open_item_dated` (side, effective_on, settled_on, due_on, acctid,
 * last_applied_on, open_cents, amount_cents, entry_id).
 * - As of a past day D the report reads the items dated on or before D
 *   (`side in ('charge', 'credit') and effective_on <= D`: two ranges) and
 *   skips those settled on or before D inside the index; every column it
 *   needs is in the index, so no row is read except for an item with an
 *   allocation dated after D (what was applied by D is summed from
 *   `allocation_charge` / `allocation_credit`).
 * - DSO sums the invoices of the last 90 days: one range
 *   (`side = 'charge' and effective_on > D - 90`), amount_cents in the index.
 * Today's report keeps using `open_item_open` (the unsettled items alone).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('open_item_dated')
    .on('open_item')
    .columns(['side', 'effective_on', 'settled_on', 'due_on', 'acctid', 'last_applied_on', 'open_cents', 'amount_cents', 'entry_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const drop = db.schema.dropIndex('open_item_dated');
  await (dialectOf(db) === 'mysql' ? drop.on('open_item') : drop).execute();
}
