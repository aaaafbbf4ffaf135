import { insertUnlessPresent } from '../../platform/db/dialect.js';
import { centsFromColumn } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import type { Account } from './account.js';
import type { AccountRow } from './account.table.js';

function toAccount(row: Pick<AccountRow, 'acctid' | 'paid_cents' | 'due_cents'>): Account {
  return {
    acctid: row.acctid,
    paidCents: centsFromColumn(row.paid_cents),
    dueCents: centsFromColumn(row.due_cents),
  };
}

/** `acctid` must already be normalised (see normalizeAcctId). */
export async function findAccount(db: Queryable, acctid: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom('account')
    .select(['acctid', 'paid_cents', 'due_cents'])
    .where('acctid', '=', acctid)
    .executeTakeFirst();
  return row && toAccount(row);
}

/**
 * Inserts the account unless one with the same id exists, in which case the
 * stored one is left untouched. Returns whether a row was inserted. Safe when
 * several replicas seed at once: the conflict is settled by the database.
 */
export async function insertAccountIfMissing(db: Queryable, account: Account): Promise<boolean> {
  const now = Date.now();
  // A seeded account is named after its id until staff name it.
  const insert = db.insertInto('account').values({
    acctid: account.acctid,
    name: account.acctid,
    sort_name: account.acctid.toLowerCase(),
    paid_cents: account.paidCents,
    due_cents: account.dueCents,
    balance_cents: account.dueCents - account.paidCents,
    created_at: now,
    updated_at: now,
  });
  const result = await insertUnlessPresent(db, insert, ['acctid']).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}
