import type { Transaction } from 'kysely';
import { lockForUpdate } from '../../platform/db/dialect.js';
import { laterOf, type IsoDate } from '../../shared/dates.js';
import { FieldsError } from '../../shared/errors.js';
import { cents, centsFromColumn, formatCents, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import type { AllocationRequest } from './entry.js';
import type { OpenItemRow, OpenItemSide } from './receivables.table.js';

/** Part of a credit applied to a charge: the charge counts as paid by this much from `effectiveOn` on. */
export interface Allocation {
  readonly chargeId: number;
  readonly creditId: number;
  readonly amountCents: Cents;
  /** The later of the two entries' dates. */
  readonly effectiveOn: IsoDate;
}

/** An entry as the allocator sees it: which side it is on and how much. */
export interface ItemToOpen {
  readonly entryId: number;
  readonly acctid: string;
  readonly side: OpenItemSide;
  readonly effectiveOn: IsoDate;
  /** A charge's due date; a credit's own date. */
  readonly dueOn: IsoDate;
  /** Positive. */
  readonly amountCents: Cents;
}

interface Item {
  readonly entryId: number;
  readonly effectiveOn: IsoDate;
  openCents: Cents;
  lastAppliedOn: IsoDate | null;
  changed: boolean;
}

function itemOf(row: Pick<OpenItemRow, 'entry_id' | 'effective_on' | 'open_cents' | 'last_applied_on'>): Item {
  return { entryId: Number(row.entry_id), effectiveOn: row.effective_on, openCents: centsFromColumn(row.open_cents), lastAppliedOn: row.last_applied_on, changed: false };
}

/** How many open items are read at a time while a large payment works down an account's invoices. */
const BATCH = 200;

/**
 * Opens the item for a new entry and applies it, in the entry's transaction:
 * a payment or credit to the invoices the request names, then to the
 * account's open invoices, oldest due date first (then oldest date, then id);
 * a new invoice takes the account's unapplied credit, oldest first. What is
 * left stays open. The caller holds the account's row lock (the totals were
 * just moved), so no other entry of this account allocates meanwhile.
 * @throws FieldsError 422 for a named invoice that is unknown, another account's, not an invoice, or not open enough.
 */
export async function openAndAllocate(trx: Transaction<Database>, entry: ItemToOpen, requested: readonly AllocationRequest[] = [], at = Date.now()): Promise<Allocation[]> {
  await trx
    .insertInto('open_item')
    .values({
      entry_id: entry.entryId,
      acctid: entry.acctid,
      side: entry.side,
      effective_on: entry.effectiveOn,
      due_on: entry.dueOn,
      amount_cents: entry.amountCents,
      open_cents: entry.amountCents,
    })
    .execute();
  const self: Item = { entryId: entry.entryId, effectiveOn: entry.effectiveOn, openCents: entry.amountCents, lastAppliedOn: null, changed: false };
  const made: Allocation[] = [];
  const touched: Item[] = [self];
  const apply = (other: Item, amount: Cents) => {
    const [charge, credit] = entry.side === 'credit' ? [other, self] : [self, other];
    const effectiveOn = laterOf(charge.effectiveOn, credit.effectiveOn);
    made.push({ chargeId: charge.entryId, creditId: credit.entryId, amountCents: amount, effectiveOn });
    for (const item of [charge, credit]) {
      item.openCents = cents(item.openCents - amount);
      item.lastAppliedOn = item.lastAppliedOn === null ? effectiveOn : laterOf(item.lastAppliedOn, effectiveOn);
      item.changed = true;
    }
  };

  for (const [index, { chargeId, amountCents }] of requested.entries()) {
    const charge = await namedInvoice(trx, entry.acctid, index, chargeId, amountCents);
    apply(charge, amountCents);
    touched.push(charge);
  }
  // Oldest due first; the index open_item_account holds exactly this order, open items only.
  const other: OpenItemSide = entry.side === 'credit' ? 'charge' : 'credit';
  let after: number | undefined;
  while (self.openCents > 0) {
    // Locked (a locking read), so what is read is what is open now: on MariaDB (REPEATABLE READ) a plain read would
    // see the snapshot of the transaction's first read (the API's idempotency check reads before the entry), and
    // an invoice another entry paid meanwhile would be paid again.
    const open = trx
      .selectFrom('open_item')
      .select(['entry_id', 'effective_on', 'open_cents', 'last_applied_on'])
      .where('acctid', '=', entry.acctid)
      .where('side', '=', other)
      .where('settled_on', 'is', null)
      .orderBy('due_on')
      .orderBy('effective_on')
      .orderBy('entry_id')
      .limit(BATCH);
    const query = lockForUpdate(trx, after === undefined ? open : open.offset(after));
    const rows = await query.execute();
    for (const row of rows) {
      const item = touched.find((seen) => seen.entryId === Number(row.entry_id)) ?? itemOf(row);
      if (item.openCents === 0 || self.openCents === 0) continue;
      if (!touched.includes(item)) touched.push(item);
      apply(item, cents(Math.min(item.openCents, self.openCents)));
    }
    if (rows.length < BATCH) break;
    after = (after ?? 0) + BATCH;
  }

  if (made.length > 0) {
    await trx
      .insertInto('allocation')
      .values(made.map((allocation) => ({ acctid: entry.acctid, charge_id: allocation.chargeId, credit_id: allocation.creditId, amount_cents: allocation.amountCents, effective_on: allocation.effectiveOn, created_at: at })))
      .execute();
  }
  for (const item of touched.filter(({ changed }) => changed)) {
    await trx
      .updateTable('open_item')
      .set({ open_cents: item.openCents, last_applied_on: item.lastAppliedOn, settled_on: item.openCents === 0 ? item.lastAppliedOn : null })
      .where('entry_id', '=', item.entryId)
      .execute();
  }
  return made;
}

/** A charge the request names, checked to be this account's open invoice. */
async function namedInvoice(trx: Transaction<Database>, acctid: string, index: number, chargeId: number, amountCents: Cents): Promise<Item> {
  const field = `allocations.${index}.chargeId`;
  // Locked for the same reason as the oldest-first read: what is open now, not in the transaction's snapshot.
  const row = await lockForUpdate(trx, trx.selectFrom('open_item').select(['entry_id', 'acctid', 'side', 'effective_on', 'open_cents', 'last_applied_on']).where('entry_id', '=', chargeId)).executeTakeFirst();
  if (!row || row.acctid !== acctid) {
    // Another account's invoice is refused in the same words as a missing one: the id is simply not one of this account's.
    throw new FieldsError(422, 'UNKNOWN_INVOICE', { [field]: `Account ${acctid} has no invoice (charge) with id ${chargeId}.` });
  }
  if (row.side !== 'charge') throw new FieldsError(422, 'NOT_AN_INVOICE', { [field]: `Entry ${chargeId} is a payment or credit, not an invoice: only charges can be paid.` });
  const open = centsFromColumn(row.open_cents);
  if (open < amountCents) {
    throw new FieldsError(422, 'INVOICE_NOT_OPEN_ENOUGH', { [field]: `Invoice ${chargeId} has ${formatCents(open)} open: at most that can be applied to it.` });
  }
  return itemOf(row);
}

/** Every allocation made to or from these entries, oldest first. */
export async function allocationsOf(db: Queryable, entryIds: readonly number[]): Promise<Allocation[]> {
  if (entryIds.length === 0) return [];
  const rows = await db
    .selectFrom('allocation')
    .select(['charge_id', 'credit_id', 'amount_cents', 'effective_on'])
    .where((eb) => eb.or([eb('charge_id', 'in', [...entryIds]), eb('credit_id', 'in', [...entryIds])]))
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ chargeId: Number(row.charge_id), creditId: Number(row.credit_id), amountCents: centsFromColumn(row.amount_cents), effectiveOn: row.effective_on }));
}
