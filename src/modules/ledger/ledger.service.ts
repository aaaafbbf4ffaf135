import { sql, type Transaction } from 'kysely';
import { insertRows } from '../../platform/db/dialect.js';
import { addDays, dateIn, type IsoDate } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import { cents, centsFromColumn, formatCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { openAndAllocate, type Allocation } from './allocation.service.js';
import { balanceEffect, brokenEntryRules, effectOf, entryRuleMessage, isInvoice, MAX_ACCOUNT_TOTAL_CENTS, type EntryKind, type LedgerEntry, type NewEntry } from './entry.js';
import type { LedgerEntryRow } from './ledger.table.js';

/** A stored row as the domain entry: the one place the row becomes a LedgerEntry. */
export function toEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    id: Number(row.id),
    acctid: row.acctid,
    kind: row.kind as EntryKind,
    amountCents: centsFromColumn(row.amount_cents),
    balanceAfterCents: row.balance_after_cents === null ? ZERO_CENTS : centsFromColumn(row.balance_after_cents),
    memo: row.memo,
    effectiveOn: row.effective_on,
    dueOn: row.due_on,
    reference: row.reference,
    actor: row.actor,
    createdAt: Number(row.created_at),
  };
}

/** Where an entry's business date comes from: the instant it is recorded and the business's time zone. */
export interface EntryClock {
  /** Milliseconds since the epoch; now by default. */
  readonly at?: number;
  /** IANA time zone that decides what "today" is (CRM_TIME_ZONE); UTC by default. */
  readonly timeZone?: string;
}

/** An entry as recorded, with the allocations it made (what it paid, or what paid it). */
export interface RecordedEntry extends LedgerEntry {
  readonly allocations: readonly Allocation[];
}

/**
 * Records an entry and moves the account's total with it, in the caller's
 * transaction. The total moves by an increment in SQL, so concurrent entries
 * on any number of replicas all count; the audit row is written alongside.
 * @throws AppError 400 for a refused entry, 404 for an unknown account.
 */
export async function recordEntry(trx: Transaction<Database>, actor: Actor, entry: NewEntry, clock: EntryClock = {}): Promise<RecordedEntry> {
  const at = clock.at ?? Date.now();
  const today = dateIn(clock.timeZone ?? 'UTC', at);
  const [broken] = brokenEntryRules(entry, today);
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
  const account = await trx.selectFrom('account').select(['balance_cents', 'closed_at', 'terms_days']).where('acctid', '=', entry.acctid).executeTakeFirstOrThrow();
  if (entry.kind === 'charge' && account.closed_at !== null) {
    throw new AppError(409, 'ACCOUNT_CLOSED', `Account ${entry.acctid} is closed: it takes payments and adjustments, but no new charges. Reopen it first.`);
  }
  const memo = entry.memo.trim();
  const effectiveOn: IsoDate = entry.effectiveOn ?? today;
  const invoice = isInvoice(entry.kind, entry.amountCents);
  // A charge is due after the account's terms; a positive adjustment on its date.
  const dueOn = entry.kind === 'charge' ? (entry.dueOn ?? addDays(effectiveOn, Number(account.terms_days))) : invoice ? effectiveOn : null;
  const reference = entry.reference?.trim() || null;
  await trx
    .insertInto('ledger_entry')
    .values({
      acctid: entry.acctid,
      kind: entry.kind,
      amount_cents: entry.amountCents,
      balance_after_cents: centsFromColumn(account.balance_cents),
      memo,
      effective_on: effectiveOn,
      due_on: dueOn,
      reference,
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
  const recorded = toEntry(row);
  const allocations = await openAndAllocate(
    trx,
    { entryId: recorded.id, acctid: entry.acctid, side: invoice ? 'charge' : 'credit', effectiveOn, dueOn: dueOn ?? effectiveOn, amountCents: cents(Math.abs(entry.amountCents)) },
    entry.allocations,
    at,
  );
  await recordAudit(
    trx,
    actor,
    {
      action: 'ledger.entry_recorded',
      target: entry.acctid,
      after: {
        entry: recorded.id,
        kind: entry.kind,
        amountCents: entry.amountCents,
        memo,
        effectiveOn,
        ...(dueOn ? { dueOn } : {}),
        ...(reference ? { reference } : {}),
        ...(allocations.length > 0 ? { allocations: allocations.map(({ chargeId, creditId, amountCents }) => ({ chargeId, creditId, amountCents })) } : {}),
      },
    },
    at,
  );
  return { ...recorded, allocations };
}

/**
 * Opening entries for accounts that were just inserted with their totals
 * (the seed, an import), so their totals equal the sums of their entries:
 * the balance carried over is one invoice due on the day, paid by the
 * opening payment as far as it goes. Set-based, for batches of thousands.
 */
export async function recordOpeningEntries(
  trx: Transaction<Database>,
  actor: Actor,
  accounts: readonly { acctid: string; paidCents: Cents; dueCents: Cents }[],
  { at = Date.now(), timeZone = 'UTC' }: EntryClock = {},
): Promise<void> {
  const effectiveOn = dateIn(timeZone, at);
  // The charge first, then the payment: each entry's running balance is what the account shows after it.
  const rows = accounts.flatMap(({ acctid, paidCents, dueCents }) => [
    ...(dueCents > 0 ? [{ acctid, kind: 'charge', amount_cents: dueCents, balance_after_cents: dueCents, memo: 'Opening balance', effective_on: effectiveOn, due_on: effectiveOn, actor: actor.name, created_at: at }] : []),
    ...(paidCents > 0 ? [{ acctid, kind: 'payment', amount_cents: paidCents, balance_after_cents: dueCents - paidCents, memo: 'Opening balance', effective_on: effectiveOn, actor: actor.name, created_at: at }] : []),
  ]);
  if (rows.length === 0) return;
  for (const chunk of chunks(rows, OPENING_CHUNK)) await insertRows(trx, 'ledger_entry', ['acctid', 'kind', 'amount_cents', 'balance_after_cents', 'memo', 'effective_on', 'due_on', 'actor', 'created_at'], chunk);
  // The accounts are new: every entry they have is one of these.
  const inserted: { id: number | string | bigint; acctid: string; kind: string }[] = [];
  for (const ids of chunks([...new Set(rows.map(({ acctid }) => acctid))], OPENING_CHUNK)) {
    inserted.push(...(await trx.selectFrom('ledger_entry').select(['id', 'acctid', 'kind']).where('acctid', 'in', ids).execute()));
  }
  const byAccount = new Map(accounts.map((account) => [account.acctid, account]));
  const items = [];
  const allocations = [];
  for (const { id, acctid, kind } of inserted) {
    const account = byAccount.get(acctid);
    if (!account) continue;
    const applied = Math.min(account.paidCents, account.dueCents);
    const amount = kind === 'charge' ? account.dueCents : account.paidCents;
    const open = amount - applied;
    items.push({ entry_id: Number(id), acctid, side: kind === 'charge' ? ('charge' as const) : ('credit' as const), effective_on: effectiveOn, due_on: effectiveOn, amount_cents: amount, open_cents: open, last_applied_on: applied > 0 ? effectiveOn : null, settled_on: open === 0 ? effectiveOn : null });
  }
  for (const chunk of chunks(items, OPENING_CHUNK)) await insertRows(trx, 'open_item', ['entry_id', 'acctid', 'side', 'effective_on', 'due_on', 'amount_cents', 'open_cents', 'last_applied_on', 'settled_on'], chunk);
  const ids = new Map<string, { charge?: number; credit?: number }>();
  for (const item of items) ids.set(item.acctid, { ...ids.get(item.acctid), [item.side]: item.entry_id });
  for (const [acctid, { charge, credit }] of ids) {
    const account = byAccount.get(acctid);
    if (!account || charge === undefined || credit === undefined) continue;
    allocations.push({ acctid, charge_id: charge, credit_id: credit, amount_cents: Math.min(account.paidCents, account.dueCents), effective_on: effectiveOn, created_at: at });
  }
  for (const chunk of chunks(allocations, OPENING_CHUNK)) await insertRows(trx, 'allocation', ['acctid', 'charge_id', 'credit_id', 'amount_cents', 'effective_on', 'created_at'], chunk);
}

/** Rows per multi-row INSERT: well under every driver's limit on bound parameters. */
const OPENING_CHUNK = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
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
