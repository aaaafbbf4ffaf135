import { sql } from 'kysely';
import type { IsoDate } from '../../shared/dates.js';
import { centsFromColumn, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import type { LedgerEntry } from './entry.js';
import { toEntry } from './ledger.service.js';

/**
 * Reads by business date for statements: the entries of a period in date
 * order, and balances as of a day. Both read the index
 * ledger_entry_account_effective (acctid, effective_on, id).
 */

/**
 * An account's entries dated from `from` to `to` (both included), by date,
 * then id (the order they were recorded in on one day); at most `limit`, and
 * whether there were more.
 */
export async function entriesInPeriod(
  db: Queryable,
  acctid: string,
  { from, to, limit }: { readonly from: IsoDate; readonly to: IsoDate; readonly limit: number },
): Promise<{ entries: LedgerEntry[]; hasMore: boolean }> {
  const rows = await db
    .selectFrom('ledger_entry')
    .selectAll()
    .where('acctid', '=', acctid)
    .where('effective_on', '>=', from)
    .where('effective_on', '<=', to)
    .orderBy('effective_on')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return { entries: rows.slice(0, limit).map(toEntry), hasMore: rows.length > limit };
}

/**
 * Each account's balance (due − paid) from its entries dated on or before
 * `asOf`, summed by the database; an account with none is 0. One account's
 * balance never passes 2^53 cents (its totals are capped there), so each sum
 * is exact as Cents.
 */
export async function balancesAsOf(db: Queryable, acctids: readonly string[], asOf: IsoDate): Promise<Map<string, Cents>> {
  const balances = new Map<string, Cents>(acctids.map((acctid) => [acctid, ZERO_CENTS]));
  if (acctids.length === 0) return balances;
  const rows = await db
    .selectFrom('ledger_entry')
    .select(['acctid', sql<number | string | bigint>`sum(case when kind = 'payment' then -amount_cents else amount_cents end)`.as('balance')])
    .where('acctid', 'in', [...acctids])
    .where('effective_on', '<=', asOf)
    .groupBy('acctid')
    .execute();
  for (const { acctid, balance } of rows) balances.set(acctid, centsFromColumn(balance));
  return balances;
}
