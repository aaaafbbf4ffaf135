import { z } from 'zod';
import type { IsoDate } from '../../shared/dates.js';
import { addCents, cents, centsFromColumn, subtractCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import type { LedgerEntry } from './entry.js';

/** A payment or credit that paid part of an invoice. */
export interface PaidBy {
  readonly creditId: number;
  readonly amountCents: Cents;
  /** The allocation's date: the later of the two entries' dates. */
  readonly effectiveOn: IsoDate;
}

/** Part of a payment or credit applied to an invoice. */
export interface AppliedTo {
  readonly chargeId: number;
  /** The invoice's reference (its number), null when it has none. */
  readonly reference: string | null;
  readonly amountCents: Cents;
  readonly effectiveOn: IsoDate;
}

/**
 * How far an entry is settled today: an invoice's unpaid part and what paid
 * it; a payment's or credit's unapplied part and the invoices it paid.
 */
export interface EntrySettlement {
  /** An invoice: what is still unpaid. A payment or credit: what is still unapplied. Never negative. */
  readonly openCents: Cents;
  /** An invoice's payments and credits, oldest allocation first; empty for a payment or credit. */
  readonly paidBy: readonly PaidBy[];
  /** A payment's or credit's invoices, oldest allocation first; empty for an invoice. */
  readonly appliedTo: readonly AppliedTo[];
}

/**
 * The settlement of each entry, in one query for all of them (a page of
 * history, or the entry just recorded), whatever the page's size: every
 * allocation to or from these entries with the invoice's reference. What
 * is open is the amount less every allocation of it (all allocations are
 * dated on or before today), the same figure the open item holds.
 */
export async function settlementsOf(db: Queryable, entries: readonly Pick<LedgerEntry, 'id' | 'amountCents'>[]): Promise<Map<number, EntrySettlement>> {
  const ids = entries.map(({ id }) => id);
  const rows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('allocation')
          .innerJoin('ledger_entry as charge', 'charge.id', 'allocation.charge_id')
          .select(['allocation.charge_id', 'allocation.credit_id', 'allocation.amount_cents', 'allocation.effective_on', 'charge.reference'])
          .where((eb) => eb.or([eb('allocation.charge_id', 'in', ids), eb('allocation.credit_id', 'in', ids)]))
          .orderBy('allocation.id')
          .execute();
  const paidBy = new Map<number, PaidBy[]>();
  const appliedTo = new Map<number, AppliedTo[]>();
  for (const row of rows) {
    const chargeId = Number(row.charge_id);
    const creditId = Number(row.credit_id);
    const amountCents = centsFromColumn(row.amount_cents);
    paidBy.set(chargeId, [...(paidBy.get(chargeId) ?? []), { creditId, amountCents, effectiveOn: row.effective_on }]);
    appliedTo.set(creditId, [...(appliedTo.get(creditId) ?? []), { chargeId, reference: row.reference, amountCents, effectiveOn: row.effective_on }]);
  }
  const settlements = new Map<number, EntrySettlement>();
  for (const { id, amountCents } of entries) {
    const paid = paidBy.get(id) ?? [];
    const applied = appliedTo.get(id) ?? [];
    // An entry is on one side only: an invoice has no applied_to, a credit no paid_by.
    const allocated = [...paid, ...applied].reduce((sum, part) => addCents(sum, part.amountCents), ZERO_CENTS);
    settlements.set(id, { openCents: subtractCents(cents(Math.abs(amountCents)), allocated), paidBy: paid, appliedTo: applied });
  }
  return settlements;
}

const centsField = z.number().int().transform(cents);

/** A settlement as an idempotent write stored it (JSON), read back into the domain. */
export const settlementSnapshot: z.ZodType<EntrySettlement> = z.object({
  openCents: centsField,
  paidBy: z.array(z.object({ creditId: z.number().int(), amountCents: centsField, effectiveOn: z.string() })),
  appliedTo: z.array(z.object({ chargeId: z.number().int(), reference: z.string().nullable(), amountCents: centsField, effectiveOn: z.string() })),
});
