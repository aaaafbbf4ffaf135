import { sql, type Transaction } from 'kysely';
import { AppError } from '../../shared/errors.js';
import { centsFromColumn, formatCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { balanceEffect, brokenEntryRules, effectOf, entryRuleMessage, MAX_ACCOUNT_TOTAL_CENTS, type EntryKind, type LedgerEntry, type NewEntry } from './entry.js';
import type { LedgerEntryRow } from './ledger.table.js';

function toEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    id: Number(row.id),
    acctid: row.acctid,
    kind: row.kind as EntryKind,
    amountCents: centsFromColumn(row.amount_cents),
    balanceAfterCents: row.balance_after_cents === null ? ZERO_CENTS : centsFromColumn(row.balance_after_cents),
    memo: row.memo,
    actor: row.actor,
    createdAt: Number(row.created_at),
  };
}

/**
 * Records an entry and moves the account's total with it, in the caller's
 * transaction. The total moves by an increment in SQL, so concurrent entries
 * on any number of replicas all count; the audit row is written alongside.
 * @throws AppError 400 for a refused entry, 404 for an unknown account.
 */
export async function recordEntry(trx: Transaction<Database>, actor: Actor, entry: NewEntry, at = Date.now()): Promise<LedgerEntry> {
  const [broken] = brokenEntryRules(entry);
  if (broken) throw new AppError(400, 'INVALID_ENTRY', entryRuleMessage(broken.rule, entry.kind));
  const { column, by } = effectOf(entry.kind, entry.amountCents);
  const moved = await trx
    .updateTable('account')
    // Increments in SQL, never read-modify-write: concurrent entries all count.
    .set(column, sql<number>`${sql.ref(column)} + ${by}`)
    .set('balance_cents', sql<number>`balance_cents + ${balanceEffect(entry.kind, entry.amountCents)}`)
    .where('acctid', '=', entry.acctid)
    // Checked in the update itself, so concurrent entries cannot pass the cap together.
    .where(sql.ref(column), '<=', MAX_ACCOUNT_TOTAL_CENTS - by)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0) {
    const exists = await trx.selectFrom('account').select('acctid').where('acctid', '=', entry.acctid).executeTakeFirst();
    if (!exists) throw new AppError(404, 'ACCOUNT_NOT_FOUND', `There is no account ${entry.acctid}.`);
    const total = column === 'due_cents' ? 'total due' : 'total paid';
    throw new AppError(
      422,
      'ACCOUNT_TOTAL_LIMIT',
      `This entry would take account ${entry.acctid}'s ${total} past ${formatCents(MAX_ACCOUNT_TOTAL_CENTS)}, the most one account can hold. Record it on another account.`,
    );
  }
  // The update holds the account's row lock (SQLite: the database's write lock) until commit:
  // the balance read here is the one this entry leaves, and no other entry can come in between.
  const account = await trx.selectFrom('account').select(['balance_cents', 'closed_at']).where('acctid', '=', entry.acctid).executeTakeFirstOrThrow();
  if (entry.kind === 'charge' && account.closed_at !== null) {
    throw new AppError(409, 'ACCOUNT_CLOSED', `Account ${entry.acctid} is closed: it takes payments and adjustments, but no new charges. Reopen it first.`);
  }
  const memo = entry.memo.trim();
  await trx
    .insertInto('ledger_entry')
    .values({
      acctid: entry.acctid,
      kind: entry.kind,
      amount_cents: entry.amountCents,
      balance_after_cents: centsFromColumn(account.balance_cents),
      memo,
      actor: actor.name.slice(0, 80),
      created_at: at,
    })
    .execute();
  const row = await trx
    .selectFrom('ledger_entry')
    .selectAll()
    .where('acctid', '=', entry.acctid)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, actor, { action: 'ledger.entry_recorded', target: entry.acctid, after: { entry: Number(row.id), kind: entry.kind, amountCents: entry.amountCents, memo } }, at);
  return toEntry(row);
}

/**
 * Opening entries for accounts that were just inserted with their totals
 * (the seed), so their totals equal the sums of their entries.
 */
export async function recordOpeningEntries(trx: Transaction<Database>, actor: Actor, accounts: readonly { acctid: string; paidCents: Cents; dueCents: Cents }[], at = Date.now()): Promise<void> {
  // The charge first, then the payment: each entry's running balance is what the account shows after it.
  const rows = accounts.flatMap(({ acctid, paidCents, dueCents }) => [
    ...(dueCents > 0 ? [{ acctid, kind: 'charge', amount_cents: dueCents, balance_after_cents: dueCents, memo: 'Opening balance', actor: actor.name, created_at: at }] : []),
    ...(paidCents > 0 ? [{ acctid, kind: 'payment', amount_cents: paidCents, balance_after_cents: dueCents - paidCents, memo: 'Opening balance', actor: actor.name, created_at: at }] : []),
  ]);
  if (rows.length > 0) await trx.insertInto('ledger_entry').values(rows).execute();
}

/**
 * An account's entries, newest first, each with the balance it left; keyset
 * pages continue below the last id shown.
 */
export async function listEntries(db: Queryable, acctid: string, { before, limit }: { readonly before?: number | undefined; readonly limit: number }): Promise<{ entries: LedgerEntry[]; hasMore: boolean }> {
  let query = db.selectFrom('ledger_entry').selectAll().where('acctid', '=', acctid);
  if (before !== undefined) query = query.where('id', '<', before);
  const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
  return { entries: rows.slice(0, limit).map(toEntry), hasMore: rows.length > limit };
}

/** Accounts whose totals differ from the sums of their entries: none, always (tests and operators check it). */
export async function ledgerMismatches(db: Queryable, acctids?: readonly string[]): Promise<{ acctid: string; paidCents: Cents; dueCents: Cents; entryPaidCents: Cents; entryDueCents: Cents }[]> {
  let query = db
    .selectFrom('account')
    .leftJoin('ledger_entry', 'ledger_entry.acctid', 'account.acctid')
    .select((eb) => [
      'account.acctid',
      'account.paid_cents',
      'account.due_cents',
      eb.fn
        .sum<number | string | bigint | null>(
          eb
            .case()
            .when('ledger_entry.kind', '=', 'payment')
            .then(eb.ref('ledger_entry.amount_cents'))
            .when(eb.and([eb('ledger_entry.kind', '=', 'adjustment'), eb('ledger_entry.amount_cents', '<', 0)]))
            .then(eb.neg(eb.ref('ledger_entry.amount_cents')))
            .else(0)
            .end(),
        )
        .as('entry_paid'),
      eb.fn
        .sum<number | string | bigint | null>(
          eb
            .case()
            .when('ledger_entry.kind', '=', 'charge')
            .then(eb.ref('ledger_entry.amount_cents'))
            .when(eb.and([eb('ledger_entry.kind', '=', 'adjustment'), eb('ledger_entry.amount_cents', '>', 0)]))
            .then(eb.ref('ledger_entry.amount_cents'))
            .else(0)
            .end(),
        )
        .as('entry_due'),
    ])
    .groupBy(['account.acctid', 'account.paid_cents', 'account.due_cents']);
  if (acctids) query = query.where('account.acctid', 'in', acctids.length > 0 ? [...acctids] : ['']);
  const rows = await query.execute();
  return rows
    .map((row) => ({
      acctid: row.acctid,
      paidCents: centsFromColumn(row.paid_cents),
      dueCents: centsFromColumn(row.due_cents),
      entryPaidCents: row.entry_paid === null ? ZERO_CENTS : centsFromColumn(row.entry_paid),
      entryDueCents: row.entry_due === null ? ZERO_CENTS : centsFromColumn(row.entry_due),
    }))
    .filter((row) => row.paidCents !== row.entryPaidCents || row.dueCents !== row.entryDueCents);
}
