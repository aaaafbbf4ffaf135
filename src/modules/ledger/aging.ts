import { addDays, daysBetween, type IsoDate } from '../../shared/dates.js';
import { addCents, centsFromColumn, negateCents, subtractCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';

/**
 * Aging as of a day D: what an account owed on D, by how late it was.
 * Invoices (charges, positive adjustments) dated on or before D count with
 * what was still unpaid on D (allocations dated after D do not count yet),
 * in a bucket by days past due on D; unapplied credit on D is `credit`
 * (zero or negative). `total` = the buckets + credit = the balance of every
 * entry dated on or before D.
 */
export interface AgingFigures {
  readonly currentCents: Cents;
  readonly days1To30Cents: Cents;
  readonly days31To60Cents: Cents;
  readonly days61To90Cents: Cents;
  readonly daysOver90Cents: Cents;
  /** Unapplied credit: zero or negative. */
  readonly creditCents: Cents;
  readonly totalCents: Cents;
}

/** The buckets in order, with how each is named for people. */
export const AGING_BUCKETS = [
  { key: 'currentCents', label: 'Current', hint: 'not yet due' },
  { key: 'days1To30Cents', label: '1–30 days', hint: '1 to 30 days past due' },
  { key: 'days31To60Cents', label: '31–60 days', hint: '31 to 60 days past due' },
  { key: 'days61To90Cents', label: '61–90 days', hint: '61 to 90 days past due' },
  { key: 'daysOver90Cents', label: 'Over 90 days', hint: 'more than 90 days past due' },
] as const satisfies readonly { key: keyof AgingFigures; label: string; hint: string }[];

export type AgingBucketKey = (typeof AGING_BUCKETS)[number]['key'];

/** The bucket of an invoice due on `dueOn`, seen on `asOf`. */
export function bucketOf(dueOn: IsoDate, asOf: IsoDate): AgingBucketKey {
  const late = daysBetween(dueOn, asOf);
  if (late <= 0) return 'currentCents';
  if (late <= 30) return 'days1To30Cents';
  if (late <= 60) return 'days31To60Cents';
  if (late <= 90) return 'days61To90Cents';
  return 'daysOver90Cents';
}

/**
 * The earliest due date of each bucket as of `asOf`, for SQL that buckets by
 * comparing `due_on` (dates as text compare as dates): an invoice is current
 * when due on or after `current`, 1–30 days late when due on or after
 * `days1To30` (and before `current`), and so on; older is over 90 days.
 */
export function bucketStarts(asOf: IsoDate): { readonly current: IsoDate; readonly days1To30: IsoDate; readonly days31To60: IsoDate; readonly days61To90: IsoDate } {
  return { current: asOf, days1To30: addDays(asOf, -30), days31To60: addDays(asOf, -60), days61To90: addDays(asOf, -90) };
}

export const ZERO_AGING: AgingFigures = Object.freeze({
  currentCents: ZERO_CENTS,
  days1To30Cents: ZERO_CENTS,
  days31To60Cents: ZERO_CENTS,
  days61To90Cents: ZERO_CENTS,
  daysOver90Cents: ZERO_CENTS,
  creditCents: ZERO_CENTS,
  totalCents: ZERO_CENTS,
});

/** One invoice as of a day: what was open of it then. */
export interface OpenInvoice {
  readonly chargeId: number;
  readonly effectiveOn: IsoDate;
  readonly dueOn: IsoDate;
  readonly reference: string | null;
  readonly amountCents: Cents;
  readonly openCents: Cents;
  /** Days past due on the as-of day; 0 or less while not yet due. */
  readonly daysLate: number;
}

/** An account's aging and open invoices as of a day, from its open items and allocations dated on or before it. */
export async function accountAging(db: Queryable, acctid: string, asOf: IsoDate): Promise<{ aging: AgingFigures; openInvoices: OpenInvoice[] }> {
  const items = await db
    .selectFrom('open_item')
    .innerJoin('ledger_entry', 'ledger_entry.id', 'open_item.entry_id')
    .select(['open_item.entry_id', 'open_item.side', 'open_item.effective_on', 'open_item.due_on', 'open_item.amount_cents', 'ledger_entry.reference'])
    .where('open_item.acctid', '=', acctid)
    .where('open_item.effective_on', '<=', asOf)
    // Settled on or before the day: nothing of it was open then.
    .where((eb) => eb.or([eb('open_item.settled_on', 'is', null), eb('open_item.settled_on', '>', asOf)]))
    .orderBy('open_item.due_on')
    .orderBy('open_item.effective_on')
    .orderBy('open_item.entry_id')
    .execute();
  const applied = new Map<number, Cents>();
  if (items.length > 0) {
    const rows = await db.selectFrom('allocation').select(['charge_id', 'credit_id', 'amount_cents']).where('acctid', '=', acctid).where('effective_on', '<=', asOf).execute();
    for (const row of rows) {
      const amount = centsFromColumn(row.amount_cents);
      for (const id of [Number(row.charge_id), Number(row.credit_id)]) applied.set(id, addCents(applied.get(id) ?? ZERO_CENTS, amount));
    }
  }
  const figures: Record<keyof AgingFigures, Cents> = { ...ZERO_AGING };
  const openInvoices: OpenInvoice[] = [];
  for (const item of items) {
    const id = Number(item.entry_id);
    const amountCents = centsFromColumn(item.amount_cents);
    const openCents = subtractCents(amountCents, applied.get(id) ?? ZERO_CENTS);
    if (openCents === 0) continue;
    if (item.side === 'credit') {
      figures.creditCents = subtractCents(figures.creditCents, openCents);
      continue;
    }
    const bucket = bucketOf(item.due_on, asOf);
    figures[bucket] = addCents(figures[bucket], openCents);
    openInvoices.push({ chargeId: id, effectiveOn: item.effective_on, dueOn: item.due_on, reference: item.reference, amountCents, openCents, daysLate: daysBetween(item.due_on, asOf) });
  }
  figures.totalCents = AGING_BUCKETS.reduce((sum, { key }) => addCents(sum, figures[key]), figures.creditCents);
  return { aging: figures, openInvoices };
}

/** The account's balance from its entries dated on or before `asOf`: what aging's total must equal. */
export async function balanceAsOf(db: Queryable, acctid: string, asOf: IsoDate): Promise<Cents> {
  const rows = await db.selectFrom('ledger_entry').select(['kind', 'amount_cents']).where('acctid', '=', acctid).where('effective_on', '<=', asOf).execute();
  return rows.reduce((sum, row) => {
    const amount = centsFromColumn(row.amount_cents);
    return addCents(sum, row.kind === 'payment' ? negateCents(amount) : amount);
  }, ZERO_CENTS);
}

/** The seven figures under the names the API, statements and exported files give them (integer cents). */
export function agingCentsFields(aging: AgingFigures) {
  return {
    current_cents: aging.currentCents,
    days_1_30_cents: aging.days1To30Cents,
    days_31_60_cents: aging.days31To60Cents,
    days_61_90_cents: aging.days61To90Cents,
    days_over_90_cents: aging.daysOver90Cents,
    credit_cents: aging.creditCents,
    total_cents: aging.totalCents,
  };
}
