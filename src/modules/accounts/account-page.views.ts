import { field, form, hiddenField, pill, scrollRegion, select, siteHref, table, type SelectChoice } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { MEMO_MAX, type EntryKind, type LedgerEntry } from '../ledger/index.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { accountPath, ACCOUNTS_PATH } from './account-path.js';
import { messageFor, problemSummary } from './accounts.views.js';
import { paymentTermsLabel, type AccountDetails } from './account.js';
import { balance, money, timeTag, timeZoneName } from '../../platform/views/format.js';
import { icon } from '../../platform/views/icons.js';

/** One account's page: its details, what the user may do with it, and its history. */

export const HISTORY_PAGE_SIZE = 25;

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
}

export interface AccountPageView {
  readonly account: AccountDetails;
  readonly entries: readonly LedgerEntry[];
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
}

const ENTRY_IDS: Readonly<Record<string, string>> = { kind: 'kind', amount: 'amount', memo: 'memo', entry_key: 'amount' };

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

function entrySection({ account, csrfToken, entryKey, entryForm: typed = { kind: 'payment', amount: '', memo: '' }, entryProblems: problems = [] }: AccountPageView): SafeHtml {
  const closed = account.closedAt !== null;
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
        : 'A payment lowers the balance, a charge raises it; an adjustment moves it either way and needs a memo.',
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
  ],
  submitLabel: 'Record entry',
})}
</section>`;
}

function historyTable(entries: readonly LedgerEntry[]): SafeHtml {
  return table({
    caption: 'Ledger entries, newest first',
    empty: 'No entries yet. Record a payment or a charge above to start the history.',
    rows: entries,
    stacked: true,
    columns: [
      { header: `When (${timeZoneName()})`, rowHeader: true, cell: (entry) => timeTag(entry.createdAt) },
      { header: 'Who', cell: (entry) => entry.actor },
      { header: 'Kind', cell: (entry) => entry.kind },
      { header: 'Amount', numeric: true, cell: (entry) => money(entry.amountCents) },
      { header: 'Memo', cell: (entry) => optional(entry.memo) },
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
${view.canRecord ? html`${entrySection(view)}\n` : ''}<section class="wide" aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
${scrollRegion('history-heading', historyTable(view.entries), 'money-table')}
${historyPaging(view)}
</section>
<section class="card" aria-labelledby="details-heading">
<h2 id="details-heading">Details</h2>
${details(account)}
</section>
${view.canWrite ? html`${manageSection(view)}\n` : ''}<p><a href="${ACCOUNTS_PATH}">Back to the accounts</a></p>`;
}
