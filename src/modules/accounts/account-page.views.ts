import { field, form, hiddenField, pill, scrollRegion, select, siteHref, table, type SelectChoice } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { isInvoice, MEMO_MAX, REFERENCE_MAX, type AccountInvoices, type EntryKind, type EntrySettlement, type InvoiceStanding, type LedgerEntry } from '../ledger/index.js';
import { daysBetween, type IsoDate } from '../../shared/dates.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { accountPath, ACCOUNTS_PATH } from './account-path.js';
import { messageFor, problemSummary } from './accounts.views.js';
import { paymentTermsLabel, type AccountDetails } from './account.js';
import { amount, balance, businessDate, dateTag, money, timeTag, timeZoneName } from '../../platform/views/format.js';
import { icon } from '../../platform/views/icons.js';

/** One account's page: its details, what the user may do with it, and its history. */

export const HISTORY_PAGE_SIZE = 25;
/** Open invoices the page lists (oldest due first) and offers to apply a payment to. */
export const OPEN_INVOICES_SHOWN = 50;
/** Invoices paid in full the page lists after the open ones, latest first. */
export const PAID_INVOICES_SHOWN = 5;

export function accountTitle(acctid: string): string {
  return `Account ${acctid}`;
}

/** `?done=` keys and the fixed message each shows (a recorded entry's message is built from the stored entry). */
export const ACCOUNT_DONE = {
  created: 'The account was created.',
  updated: 'The account’s details were saved.',
  closed: 'The account was closed. It still takes payments and adjustments, but no new charges.',
  reopened: 'The account was reopened: it takes charges again.',
} as const;

const KIND_CHOICES: readonly (SelectChoice & { value: EntryKind })[] = [
  { value: 'payment', label: 'Payment' },
  { value: 'charge', label: 'Charge' },
  { value: 'adjustment', label: 'Adjustment' },
];

const ARTICLE: Readonly<Record<EntryKind, string>> = { payment: 'a payment', charge: 'a charge', adjustment: 'an adjustment' };

/** The flash after an entry is recorded: what it was and the balance it left. */
export function entryRecordedMessage(entry: Pick<LedgerEntry, 'kind' | 'amountCents' | 'balanceAfterCents'>): string {
  return `Recorded ${ARTICLE[entry.kind]} of ${money(entry.amountCents)}. The balance is now ${money(entry.balanceAfterCents)}.`;
}

/** The entry form's fields as typed. */
export interface EntryFormValues {
  readonly kind: string;
  readonly amount: string;
  readonly memo: string;
  /** YYYY-MM-DD; today when the form is new. */
  readonly effectiveOn: string;
  readonly dueOn: string;
  readonly reference: string;
  /** An open invoice's id, or '' for oldest due first. */
  readonly applyTo: string;
}

export interface AccountPageView {
  readonly account: AccountDetails;
  readonly entries: readonly LedgerEntry[];
  /** Each shown entry's settlement: what paid an invoice, what a payment paid. */
  readonly settlements: ReadonlyMap<number, EntrySettlement>;
  readonly invoices: AccountInvoices;
  /** Today in the business time zone: the date field's default and latest day, and what "late" is measured from. */
  readonly today: IsoDate;
  /** The next (older) page of the history, when there is one. */
  readonly olderHref?: string;
  /** Back to the newest entries, when this is not the first page. */
  readonly newestHref?: string;
  readonly csrfToken: string;
  /** payments:record: the entry form is shown. */
  readonly canRecord: boolean;
  /** accounts:write: edit, close and reopen are shown. */
  readonly canWrite: boolean;
  /** A fresh key per page: the same form sent twice records one entry. */
  readonly entryKey: string;
  readonly entryForm?: EntryFormValues;
  readonly entryProblems?: readonly FormProblem[];
  /** Other modules' sections (AccountPageSection), rendered, in order. */
  readonly sections?: readonly SafeHtml[];
}

const ENTRY_IDS: Readonly<Record<string, string>> = {
  kind: 'kind',
  amount: 'amount',
  memo: 'memo',
  entry_key: 'amount',
  effective_on: 'effective_on',
  due_on: 'due_on',
  reference: 'reference',
  apply_to: 'apply_to',
};

function optional(value: string | null): string {
  return value === null || value === '' ? '—' : value;
}

function status(account: AccountDetails): SafeHtml {
  if (account.closedAt === null) return html`Open`;
  return html`<strong class="status-closed">Closed</strong> since ${timeTag(account.closedAt)}. It takes payments and adjustments, but no new charges.`;
}

/** "Net 30" with what it means in quiet text; 0 days: due on receipt. */
function paymentTerms(termsDays: number): SafeHtml {
  const meaning = termsDays === 0 ? 'invoices are due on their date' : `invoices are due ${termsDays} ${termsDays === 1 ? 'day' : 'days'} after their date`;
  return html`${paymentTermsLabel(termsDays)} <span class="hint">(${meaning})</span>`;
}

function details(account: AccountDetails): SafeHtml {
  return html`<dl class="facts account-facts">
<dt>Name</dt><dd>${account.name}</dd>
<dt>Email</dt><dd>${optional(account.email)}</dd>
<dt>Phone</dt><dd>${optional(account.phone)}</dd>
<dt>Payment terms</dt><dd>${paymentTerms(account.termsDays)}</dd>
<dt>Reminders</dt><dd>${account.reminders ? html`On <span class="hint">(overdue invoices are reminded by e-mail)</span>` : html`Off <span class="hint">(no overdue reminders are sent)</span>`}</dd>
<dt>Notes</dt><dd class="notes">${optional(account.notes)}</dd>
<dt>Status</dt><dd>${status(account)}</dd>
</dl>`;
}

/** The account's figures as cards: what it owes first. */
function figures(account: AccountDetails): SafeHtml {
  return html`<dl class="tiles tiles-account">
<div class="tile"><dt>Balance</dt><dd><strong>${money(account.balanceCents)}</strong>${account.balanceCents < 0 ? html` ${pill('credit', 'info')}` : ''}</dd></div>
<div class="tile"><dt>Due</dt><dd>${money(account.dueCents)}</dd></div>
<div class="tile"><dt>Paid</dt><dd>${money(account.paidCents)}</dd></div>
</dl>`;
}

/** Name, id and status under the title; the page's actions on the right. */
function header(view: AccountPageView): SafeHtml {
  const { account } = view;
  const path = accountPath(account.acctid);
  const closed = account.closedAt !== null;
  const actions = [
    view.canRecord ? html`<a class="button button-primary" href="#entry-heading">${icon('plus')}Record entry</a>` : '',
    view.canWrite ? html`<a class="button" href="${siteHref(`${path}/edit`)}">${icon('pencil')}Edit details</a>` : '',
  ].filter((action) => action !== '');
  return html`<div class="page-header">
<div>
<h1>${accountTitle(account.acctid)}</h1>
<p class="subtitle"><span>${account.name}</span>${closed ? pill('Closed') : pill('Open', 'success')}</p>
</div>
${actions.length === 0 ? '' : html`<p class="actions">${actions}</p>`}
</div>`;
}

function manageSection({ account, csrfToken }: AccountPageView): SafeHtml {
  const path = accountPath(account.acctid);
  const closed = account.closedAt !== null;
  return html`<section class="card danger-zone" aria-labelledby="manage-heading">
<h2 id="manage-heading">Manage</h2>
<p><a href="${siteHref(`${path}/edit`)}">Edit details</a></p>
${form({
  action: `${path}/${closed ? 'reopen' : 'close'}`,
  csrfToken,
  fields: [],
  submitLabel: closed ? 'Reopen account' : 'Close account',
})}
<p class="hint">${closed ? 'Reopening lets the account take charges again.' : 'A closed account keeps its history and takes payments and adjustments, but no new charges.'}</p>
</section>`;
}

/** An invoice as people name it: its reference, or its entry id. */
export function invoiceName(invoice: { readonly chargeId: number; readonly reference: string | null }): string {
  return invoice.reference ?? `#${invoice.chargeId}`;
}

const listFormat = new Intl.ListFormat('en', { type: 'conjunction' });

function daysLate(dueOn: IsoDate, today: IsoDate): number {
  return daysBetween(dueOn, today);
}

/** Paid, Open, or how late: a pill, in the danger colour only when late. */
function invoiceStatus(invoice: InvoiceStanding, today: IsoDate): SafeHtml {
  if (invoice.settledOn !== null) return pill('Paid', 'success');
  const late = daysLate(invoice.dueOn, today);
  if (late <= 0) return pill('Open');
  return pill(late === 1 ? '1 day late' : `${late} days late`, 'danger');
}

function applyChoices(open: readonly InvoiceStanding[]): SelectChoice[] {
  return [
    { value: '', label: 'Oldest due first (default)' },
    ...open.map((invoice) => ({ value: String(invoice.chargeId), label: `${invoiceName(invoice)}: ${money(invoice.openCents)} open, due ${businessDate(invoice.dueOn)}` })),
  ];
}

/** A new form: a payment dated today, applied oldest due first. */
export function emptyEntryForm(today: IsoDate): EntryFormValues {
  return { kind: 'payment', amount: '', memo: '', effectiveOn: today, dueOn: '', reference: '', applyTo: '' };
}

function entrySection({ account, csrfToken, entryKey, today, invoices, entryForm: typed = emptyEntryForm(today), entryProblems: problems = [] }: AccountPageView): SafeHtml {
  const closed = account.closedAt !== null;
  const terms = account.termsDays === 1 ? '1 day' : `${account.termsDays} days`;
  return html`<section class="card" aria-labelledby="entry-heading">
<h2 id="entry-heading">Record an entry</h2>
${form({
  action: `${accountPath(account.acctid)}/entries`,
  csrfToken,
  fields: [
    hiddenField('entry_key', entryKey),
    select({
      name: 'kind',
      label: 'Kind',
      choices: KIND_CHOICES,
      value: typed.kind,
      required: true,
      hint: closed
        ? 'A payment lowers the balance; an adjustment moves it either way and needs a memo. This account is closed: it takes no charges.'
        : 'A payment lowers the balance, a charge (an invoice) raises it; an adjustment moves it either way and needs a memo.',
      error: messageFor(problems, 'kind'),
    }),
    field({
      name: 'amount',
      label: 'Amount (USD)',
      value: typed.amount,
      required: true,
      maxLength: 20,
      autocomplete: 'off',
      hint: 'Like 12.34. For an adjustment, a minus sign lowers what is owed (-5.00); payments and charges are positive.',
      error: messageFor(problems, 'amount') ?? messageFor(problems, 'entry_key'),
    }),
    field({
      name: 'memo',
      label: 'Memo',
      value: typed.memo,
      maxLength: MEMO_MAX,
      autocomplete: 'off',
      hint: 'Such as a cheque number. Required for an adjustment: say why.',
      error: messageFor(problems, 'memo'),
    }),
    field({
      name: 'effective_on',
      label: 'Date',
      type: 'date',
      value: typed.effectiveOn,
      max: today,
      hint: "The invoice's date or the day the payment was received: today unless you change it, never later.",
      error: messageFor(problems, 'effective_on'),
    }),
    field({
      name: 'due_on',
      label: 'Due date (charges)',
      type: 'date',
      value: typed.dueOn,
      hint: `Optional, for a charge only: defaults to the date + ${terms}' terms.`,
      error: messageFor(problems, 'due_on'),
    }),
    field({
      name: 'reference',
      label: 'Reference',
      value: typed.reference,
      maxLength: REFERENCE_MAX,
      autocomplete: 'off',
      hint: 'For a charge, its invoice number (INV-1042): payments name it. Optional, at most 40 characters.',
      error: messageFor(problems, 'reference'),
    }),
    invoices.open.length === 0
      ? html``
      : select({
          name: 'apply_to',
          label: 'Apply to (payments and credits)',
          choices: applyChoices(invoices.open),
          value: typed.applyTo,
          hint: 'The whole payment goes to the invoice chosen, at most what is open of it; by default the oldest due invoices are paid first.',
          error: messageFor(problems, 'apply_to'),
        }),
  ],
  submitLabel: 'Record entry',
})}
</section>`;
}

function invoicesTable(rows: readonly InvoiceStanding[], today: IsoDate): SafeHtml {
  return table({
    caption: 'Open invoices, oldest due first, then the latest paid',
    empty: 'No invoices yet. Record a charge to invoice this account.',
    rows,
    stacked: true,
    columns: [
      { header: 'Invoice', rowHeader: true, cell: (invoice) => invoiceName(invoice) },
      { header: 'Date', cell: (invoice) => dateTag(invoice.effectiveOn) },
      { header: 'Due', cell: (invoice) => dateTag(invoice.dueOn) },
      { header: 'Amount (USD)', numeric: true, cell: (invoice) => amount(invoice.amountCents) },
      { header: 'Open (USD)', numeric: true, cell: (invoice) => amount(invoice.openCents) },
      { header: 'Status', cell: (invoice) => invoiceStatus(invoice, today) },
    ],
  });
}

/** What is open and late, in a sentence, above the invoices. */
function invoicesSummary({ open, moreOpen }: AccountInvoices, today: IsoDate): SafeHtml {
  if (open.length === 0) return html`<p class="hint">No open invoices.</p>`;
  const openCents = open.reduce((sum, invoice) => sum + BigInt(invoice.openCents), 0n);
  const lateCents = open.filter((invoice) => daysLate(invoice.dueOn, today) > 0).reduce((sum, invoice) => sum + BigInt(invoice.openCents), 0n);
  const count = open.length === 1 ? '1 open invoice' : `${open.length} open invoices`;
  const late = lateCents > 0n ? html`, of which <strong class="late-amount">${money(lateCents)} late</strong>` : '';
  return moreOpen
    ? html`<p>The ${open.length} oldest due of more open invoices: ${money(openCents)} open${late}.</p>`
    : html`<p>${count}: ${money(openCents)} open${late}.</p>`;
}

function invoicesSection(view: AccountPageView): SafeHtml {
  const { invoices, today } = view;
  return html`<section class="wide" aria-labelledby="invoices-heading">
<h2 id="invoices-heading">Invoices</h2>
${invoicesSummary(invoices, today)}
${scrollRegion('invoices-heading', invoicesTable([...invoices.open, ...invoices.recentlyPaid], today), 'money-table')}
</section>`;
}

/** What an entry paid, or how an invoice stands (its due date is in the Invoices table): "paid INV-1 and INV-2", "50.00 USD open". */
function allocationText(entry: LedgerEntry, settlement: EntrySettlement | undefined): string {
  if (!settlement) return '—';
  if (isInvoice(entry.kind, entry.amountCents)) return settlement.openCents === 0 ? 'paid' : `${money(settlement.openCents)} open`;
  const parts: string[] = [];
  if (settlement.appliedTo.length > 0) parts.push(`paid ${listFormat.format(settlement.appliedTo.map(invoiceName))}`);
  if (settlement.openCents > 0) parts.push(`${money(settlement.openCents)} unapplied`);
  return parts.join('; ');
}

/** The statement form: a period, then the PDF (the statements module serves it at …/statement.pdf). */
function statementSection({ account }: AccountPageView): SafeHtml {
  return html`<section class="card" aria-labelledby="statement-heading">
<h2 id="statement-heading">Statement</h2>
${form({
  method: 'get',
  action: `${accountPath(account.acctid)}/statement.pdf`,
  fields: [
    field({ name: 'from', label: 'From', type: 'date', hint: 'Empty: the first day of the end date’s month.' }),
    field({ name: 'to', label: 'To', type: 'date', hint: 'Empty: today.' }),
  ],
  submitLabel: 'Statement (PDF)',
})}
</section>`;
}

function historyTable(entries: readonly LedgerEntry[], settlements: ReadonlyMap<number, EntrySettlement>): SafeHtml {
  return table({
    caption: 'Ledger entries, newest first',
    empty: 'No entries yet. Record a payment or a charge above to start the history.',
    rows: entries,
    stacked: true,
    columns: [
      { header: `When (${timeZoneName()})`, rowHeader: true, cell: (entry) => timeTag(entry.createdAt) },
      { header: 'Who', cell: (entry) => entry.actor },
      { header: 'Kind', cell: (entry) => entry.kind },
      { header: 'Date', cell: (entry) => dateTag(entry.effectiveOn) },
      { header: 'Reference', cell: (entry) => optional(entry.reference) },
      { header: 'Amount', numeric: true, cell: (entry) => money(entry.amountCents) },
      { header: 'Memo', cell: (entry) => optional(entry.memo) },
      { header: 'Allocation', cell: (entry) => allocationText(entry, settlements.get(entry.id)) },
      { header: 'Balance after', numeric: true, cell: (entry) => balance(entry.balanceAfterCents) },
    ],
  });
}

function historyPaging({ olderHref, newestHref }: AccountPageView): SafeHtml {
  if (olderHref === undefined && newestHref === undefined) return html``;
  return html`<nav class="pager" aria-label="History pages">
${newestHref === undefined ? html`<span class="pager-disabled">Newest entries</span>` : html`<a href="${siteHref(newestHref)}">Newest entries</a>`}
${olderHref === undefined ? html`<span class="pager-disabled">Older entries</span>` : html`<a href="${siteHref(olderHref)}" rel="next">Older entries</a>`}
</nav>`;
}

export function accountPageBody(view: AccountPageView): SafeHtml {
  const { account } = view;
  return html`${header(view)}
${problemSummary(view.entryProblems ?? [], ENTRY_IDS)}
${figures(account)}
${view.canRecord ? html`${entrySection(view)}\n` : ''}${invoicesSection(view)}
<section class="wide" aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
${scrollRegion('history-heading', historyTable(view.entries, view.settlements), 'money-table')}
${historyPaging(view)}
</section>
${statementSection(view)}
${view.sections ?? []}
<section class="card" aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
${details(account)}
</section>
${view.canWrite ? html`${manageSection(view)}\n` : ''}<p><a href="${ACCOUNTS_PATH}">Back to the accounts</a></p>`;
}
