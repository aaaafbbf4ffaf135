import type { IsoDate } from '../../shared/dates.js';
import { centsFromColumn, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';

/** An invoice (a charge or a positive adjustment) as it stands today. */
export interface InvoiceStanding {
  readonly chargeId: number;
  readonly reference: string | null;
  readonly effectiveOn: IsoDate;
  readonly dueOn: IsoDate;
  readonly amountCents: Cents;
  /** What is still unpaid today. */
  readonly openCents: Cents;
  /** The day it was paid in full; null while open. */
  readonly settledOn: IsoDate | null;
}

export interface AccountInvoices {
  /** Open invoices, oldest due first (the order payments pay them), at most `openLimit`. */
  readonly open: readonly InvoiceStanding[];
  /** More invoices are open than `open` shows. */
  readonly moreOpen: boolean;
  /** The invoices paid in full most recently, latest first, at most `paidLimit`. */
  readonly recentlyPaid: readonly InvoiceStanding[];
}

/**
 * An account's open invoices and its most recently paid ones, from the open
 * items: two reads along the index open_item_account, however long the
 * account's history.
 */
export async function accountInvoices(db: Queryable, acctid: string, { openLimit, paidLimit }: { readonly openLimit: number; readonly paidLimit: number }): Promise<AccountInvoices> {
  const invoices = db
    .selectFrom('open_item')
    .innerJoin('ledger_entry', 'ledger_entry.id', 'open_item.entry_id')
    .select(['open_item.entry_id', 'ledger_entry.reference', 'open_item.effective_on', 'open_item.due_on', 'open_item.amount_cents', 'open_item.open_cents', 'open_item.settled_on'])
    .where('open_item.acctid', '=', acctid)
    .where('open_item.side', '=', 'charge');
  const open = await invoices.where('open_item.settled_on', 'is', null).orderBy('open_item.due_on').orderBy('open_item.effective_on').orderBy('open_item.entry_id').limit(openLimit + 1).execute();
  // Backwards along the same index: the latest settled first.
  const paid = await invoices
    .where('open_item.settled_on', 'is not', null)
    .orderBy('open_item.settled_on', 'desc')
    .orderBy('open_item.due_on', 'desc')
    .orderBy('open_item.effective_on', 'desc')
    .orderBy('open_item.entry_id', 'desc')
    .limit(paidLimit)
    .execute();
  const toStanding = (row: (typeof open)[number]): InvoiceStanding => ({
    chargeId: Number(row.entry_id),
    reference: row.reference,
    effectiveOn: row.effective_on,
    dueOn: row.due_on,
    amountCents: centsFromColumn(row.amount_cents),
    openCents: centsFromColumn(row.open_cents),
    settledOn: row.settled_on,
  });
  return { open: open.slice(0, openLimit).map(toStanding), moreOpen: open.length > openLimit, recentlyPaid: paid.map(toStanding) };
}
