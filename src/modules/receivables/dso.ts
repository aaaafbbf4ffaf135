import { exactSum } from '../../platform/db/dialect.js';
import { addDays, type IsoDate } from '../../shared/dates.js';
import type { Queryable } from '../../schema.js';
import { agingTotals, type AgingTotals } from './aging-report.js';

/** The window DSO looks back over, in days. */
export const DSO_WINDOW_DAYS = 90;

/** What DSO is, written where it is shown. */
export const DSO_DEFINITION = `Days sales outstanding (DSO): what customers owe at the end of the last ${DSO_WINDOW_DAYS} days (receivables, net of unapplied credit) divided by what was invoiced in those ${DSO_WINDOW_DAYS} days (charges and positive adjustments, by their date), times ${DSO_WINDOW_DAYS}. Roughly how many days of invoicing are still unpaid.`;

export interface DaysSalesOutstanding {
  /** One decimal; null when nothing was invoiced in the window. */
  readonly days: number | null;
  /** The window: the day after `from` … `to`, inclusive of `to`. */
  readonly from: IsoDate;
  readonly to: IsoDate;
  /** Receivables at the end of the window: the aging total (every account's balance of entries dated by then). */
  readonly receivablesCents: bigint;
  /** Invoices dated in the window. */
  readonly invoicedCents: bigint;
}

/** receivables ÷ invoiced × 90, rounded half away from zero to one decimal, in bigint so no float touches the money. */
export function dsoDays(receivablesCents: bigint, invoicedCents: bigint): number | null {
  if (invoicedCents <= 0n) return null;
  const scaled = receivablesCents * BigInt(DSO_WINDOW_DAYS * 10);
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const tenths = (magnitude * 2n + invoicedCents) / (invoicedCents * 2n);
  return Number(negative ? -tenths : tenths) / 10;
}

/** Invoices (charges and positive adjustments) dated in (from, to]: one range of open_item_dated. */
export async function invoicedBetween(db: Queryable, from: IsoDate, to: IsoDate): Promise<bigint> {
  const row = await db
    .selectFrom('open_item')
    .select(exactSum(db, 'amount_cents').as('cents'))
    .where('side', '=', 'charge')
    .where('effective_on', '>', from)
    .where('effective_on', '<=', to)
    .executeTakeFirst();
  return BigInt(row?.cents ?? '0');
}

/**
 * DSO for the 90 days ending `asOf` (today for the dashboard). The aging
 * totals as of that day can be passed in when already read, so the figures
 * shown side by side come from one reading.
 */
export async function daysSalesOutstanding(db: Queryable, asOf: IsoDate, today: IsoDate, totals?: AgingTotals): Promise<DaysSalesOutstanding> {
  const from = addDays(asOf, -DSO_WINDOW_DAYS);
  const receivablesCents = (totals ?? (await agingTotals(db, asOf, today))).totalCents;
  const invoicedCents = await invoicedBetween(db, from, asOf);
  return { days: dsoDays(receivablesCents, invoicedCents), from, to: asOf, receivablesCents, invoicedCents };
}
