import { errorSummary, field, form, pill, scrollRegion, select, siteHref, table, type FieldError, type SelectChoice, type Text } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { ACCTID_MAX_LENGTH, DEFAULT_TERMS_DAYS, MAX_TERMS_DAYS } from './account.js';
import { accountPath, ACCOUNTS_PATH } from './account-path.js';
import { EMAIL_MAX, NAME_MAX, NOTES_MAX, PHONE_MAX } from './account-fields.js';
import { SCAN_ROWS, type AccountFilter, type AccountSort } from './account-search.js';
import type { AccountDetails } from './account.js';
import { balance, count } from '../../platform/views/format.js';
import { icon } from '../../platform/views/icons.js';

/** The staff account pages: the list with its search, and the form that creates or edits an account. */

export const ACCOUNTS_TITLE = 'Accounts';
export const NEW_ACCOUNT_PATH = `${ACCOUNTS_PATH}/new`;


export function accountStatus(account: Pick<AccountDetails, 'closedAt'>): 'open' | 'closed' {
  return account.closedAt === null ? 'open' : 'closed';
}

/** A problem's message for one field, or undefined. */
export function messageFor(problems: readonly FormProblem[], name: string): string | undefined {
  return problems.find((problem) => problem.field === name)?.message;
}

/** The summary at the top of a form: each problem linking to its field's id (`ids` maps field names to ids). */
export function problemSummary(problems: readonly FormProblem[], ids: Readonly<Record<string, string>>): SafeHtml {
  const errors: FieldError[] = problems.map(({ field: name, message }) => {
    const id = name === undefined ? undefined : ids[name];
    return id === undefined ? { message } : { field: id, message };
  });
  return errorSummary(errors);
}

export interface TextAreaOptions {
  readonly name: string;
  readonly label: Text;
  readonly value?: string;
  readonly error?: Text;
  readonly hint?: Text;
  readonly maxLength?: number;
  readonly rows?: number;
  /** The control's id (the label's `for`); the name unless told. */
  readonly id?: string;
}

/** A labelled multi-line text box, laid out like field(): label, hint, error, then the control. */
export function textArea({ name, label, value = '', error, hint, maxLength, rows = 4, id = name }: TextAreaOptions): SafeHtml {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error === undefined ? undefined : `${id}-error`;
  const describedBy = [hintId, errorId].filter((part) => part !== undefined).join(' ');
  // A newline right after <textarea> is dropped by the parser: it keeps a value that starts with one.
  return html`<div class="${errorId === undefined ? 'field' : 'field field-invalid'}">
<label for="${id}">${label}</label>${hintId === undefined ? '' : html`\n<p class="hint" id="${hintId}">${hint}</p>`}${errorId === undefined ? '' : html`\n<p class="field-error" id="${errorId}">${error}</p>`}
<textarea id="${id}" name="${name}" rows="${rows}"${maxLength === undefined ? '' : html` maxlength="${maxLength}"`}${errorId === undefined ? '' : html` aria-invalid="true"`}${describedBy === '' ? '' : html` aria-describedby="${describedBy}"`}>
${value}</textarea>
</div>`;
}

// ---------------------------------------------------------------- the list

const FILTER_CHOICES: readonly (SelectChoice & { value: AccountFilter })[] = [
  { value: 'all', label: 'All accounts' },
  { value: 'open', label: 'Open' },
  { value: 'owing', label: 'Owing (balance above zero)' },
  { value: 'overpaid', label: 'Overpaid (balance below zero)' },
  { value: 'settled', label: 'Settled (balance zero)' },
  { value: 'closed', label: 'Closed' },
];
const SORT_CHOICES: readonly (SelectChoice & { value: AccountSort })[] = [
  { value: 'acctid', label: 'Account ID' },
  { value: 'name', label: 'Name' },
  { value: 'balance', label: 'Balance' },
];
const SORTED_BY: Readonly<Record<AccountSort, string>> = { acctid: 'account ID', name: 'name', balance: 'balance' };
const DIRECTION_CHOICES: readonly SelectChoice[] = [
  { value: 'asc', label: 'Ascending' },
  { value: 'desc', label: 'Descending' },
];
const SEARCH_IDS: Readonly<Record<string, string>> = { q: 'q', filter: 'filter', sort: 'sort', dir: 'dir', limit: 'q', cursor: 'q' };

/** The search form's fields as given (shown again as they were). */
export interface AccountSearchFields {
  readonly q: string;
  readonly filter: string;
  readonly sort: string;
  readonly dir: string;
}

export interface AccountListView {
  readonly search: AccountSearchFields;
  /** Absent when the search was refused: nothing was looked up. */
  readonly accounts?: readonly AccountDetails[];
  /** The next page, when there is one. */
  readonly nextHref?: string;
  /** The first page of the same search, when this is not it. */
  readonly firstHref?: string;
  /** The page stopped at the search's read bound before it was full: the next page carries on. */
  readonly stoppedEarly?: boolean;
  readonly problems?: readonly FormProblem[];
  /** The user may create accounts: the page links to the form. */
  readonly canCreate: boolean;
}

function searchForm({ search, problems = [] }: AccountListView): SafeHtml {
  return form({
    method: 'get',
    action: ACCOUNTS_PATH,
    fields: [
      field({
        name: 'q',
        label: 'Account ID or name',
        type: 'search',
        value: search.q,
        maxLength: 200,
        autocomplete: 'off',
        hint: 'Start of an ID, or of words in the name.',
        error: messageFor(problems, 'q') ?? messageFor(problems, 'limit') ?? messageFor(problems, 'cursor'),
      }),
      select({ name: 'filter', label: 'Show', choices: FILTER_CHOICES, value: search.filter, error: messageFor(problems, 'filter') }),
      select({ name: 'sort', label: 'Sort by', choices: SORT_CHOICES, value: search.sort, error: messageFor(problems, 'sort') }),
      select({ name: 'dir', label: 'Direction', choices: DIRECTION_CHOICES, value: search.dir, error: messageFor(problems, 'dir') }),
    ],
    submitLabel: 'Search',
  });
}

const DEFAULT_SEARCH: AccountSearchFields = { q: '', filter: 'all', sort: 'acctid', dir: 'asc' };

/** The list's address with the search's fields, leaving out those at their default. */
function searchHref(search: AccountSearchFields): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'filter', 'sort', 'dir'] as const) if (search[key].trim() !== '' && search[key] !== DEFAULT_SEARCH[key]) params.set(key, search[key].trim());
  const query = params.toString();
  return query === '' ? ACCOUNTS_PATH : `${ACCOUNTS_PATH}?${query}`;
}

/** The result count on this page and each active filter as a chip whose link removes it. */
function resultSummary(view: AccountListView, shown: number): SafeHtml {
  const { search } = view;
  const label = (choices: readonly SelectChoice[], value: string) => choices.find((choice) => choice.value === value)?.label ?? value;
  const chips: [string, Text, AccountSearchFields][] = [];
  if (search.q.trim() !== '') chips.push(['q', html`Search: “${search.q.trim()}”`, { ...search, q: '' }]);
  if (search.filter !== DEFAULT_SEARCH.filter) chips.push(['filter', html`Show: ${label(FILTER_CHOICES, search.filter)}`, { ...search, filter: DEFAULT_SEARCH.filter }]);
  if (search.sort !== DEFAULT_SEARCH.sort || search.dir !== DEFAULT_SEARCH.dir) {
    chips.push(['sort', html`Sorted by ${label(SORT_CHOICES, search.sort)}, ${label(DIRECTION_CHOICES, search.dir).toString().toLowerCase()}`, { ...search, sort: DEFAULT_SEARCH.sort, dir: DEFAULT_SEARCH.dir }]);
  }
  const more = view.nextHref === undefined ? '' : ' (more on the next page)';
  return html`<div class="result-bar">
<p class="result-count">${count(shown)} ${shown === 1 ? 'account' : 'accounts'} on this page${more}</p>
${chips.length === 0 ? '' : html`<ul class="chips" aria-label="Active filters">
${chips.map(([key, text, without]) => html`<li class="chip" data-filter="${key}">${text} <a href="${siteHref(searchHref(without))}" aria-label="Remove this filter">×</a></li>
`)}</ul>`}
</div>`;
}

function caption({ search }: AccountListView): string {
  const filter = FILTER_CHOICES.find((choice) => choice.value === search.filter)?.label ?? 'All accounts';
  const sort = Object.hasOwn(SORTED_BY, search.sort) ? SORTED_BY[search.sort as AccountSort] : SORTED_BY.acctid;
  const order = `sorted by ${sort}, ${search.dir === 'desc' ? 'descending' : 'ascending'}`;
  const shown = search.filter === 'all' ? 'Accounts' : `Accounts: ${String(filter).toLowerCase()}`;
  return search.q.trim() === '' ? `${shown}, ${order}` : `${shown} matching “${search.q.trim()}”, ${order}`;
}

function accountsTable(view: AccountListView, accounts: readonly AccountDetails[]): SafeHtml {
  const searched = view.search.q.trim() !== '' || view.search.filter !== 'all';
  return table({
    caption: caption(view),
    empty: view.stoppedEarly
      ? 'None of the accounts looked through so far match. The next page carries on.'
      : searched
        ? html`No accounts match this search. <a href="${ACCOUNTS_PATH}">Clear the search</a>${view.canCreate ? html` or <a href="${NEW_ACCOUNT_PATH}">create an account</a>` : ''}.`
        : view.canCreate
          ? html`There are no accounts yet. <a href="${NEW_ACCOUNT_PATH}">Create the first one</a>.`
          : 'There are no accounts yet.',
    rows: accounts,
    stacked: true,
    columns: [
      { header: 'Account ID', rowHeader: true, cell: (account) => html`<a href="${siteHref(accountPath(account.acctid))}">${account.acctid}</a>` },
      { header: 'Name', cell: (account) => account.name },
      { header: 'Balance', numeric: true, cell: (account) => balance(account.balanceCents) },
      { header: 'Status', cell: (account) => (accountStatus(account) === 'open' ? pill('Open', 'success') : pill('Closed')) },
    ],
  });
}

function listPaging({ nextHref, firstHref }: AccountListView): SafeHtml {
  if (nextHref === undefined && firstHref === undefined) return html``;
  return html`<nav class="pager" aria-label="Account list pages">
${firstHref === undefined ? html`<span class="pager-disabled">First page</span>` : html`<a href="${siteHref(firstHref)}">First page</a>`}
${nextHref === undefined ? html`<span class="pager-disabled">Next page</span>` : html`<a href="${siteHref(nextHref)}" rel="next">Next page</a>`}
</nav>`;
}

/** The account list: the search form, then one page of matching accounts (no totals: the pages are keyset pages). */
export function accountListBody(view: AccountListView): SafeHtml {
  const { accounts, problems = [] } = view;
  // The results can scroll sideways: the wrapper takes focus so a keyboard can scroll it (as on the audit page).
  return html`<div class="page-header">
<h1>${ACCOUNTS_TITLE}</h1>
${view.canCreate ? html`<p class="actions"><a class="button button-primary" href="${NEW_ACCOUNT_PATH}">${icon('plus')}New account</a></p>\n` : ''}</div>
${problemSummary(problems, SEARCH_IDS)}
<section class="filter-bar" aria-labelledby="search-heading">
<h2 id="search-heading" class="visually-hidden">Find accounts</h2>
${searchForm(view)}
<p class="filter-clear"><a href="${ACCOUNTS_PATH}">Clear the search</a></p>
</section>
<section class="wide" aria-labelledby="results-heading">
<h2 id="results-heading" class="visually-hidden">Results</h2>
<div aria-live="polite">
${accounts === undefined ? '' : resultSummary(view, accounts.length)}
${
  accounts === undefined
    ? html`<p>Nothing was searched: correct the search above and try again.</p>
${listPaging(view)}`
    : html`${scrollRegion('results-heading', accountsTable(view, accounts), 'money-table')}
${view.stoppedEarly ? html`<p>This page stopped after looking through ${count(SCAN_ROWS)} accounts in this order; the next page carries on from there.</p>
` : ''}${listPaging(view)}`
}
</div>
</section>`;
}

// ---------------------------------------------------------------- create and edit

/** What the account form shows: the values as typed (or stored), as text. */
export interface AccountFormValues {
  readonly acctid: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly notes: string;
  /** Payment terms in days, as typed. */
  readonly termsDays: string;
  /** "on" or "off". */
  readonly reminders: string;
}

export const EMPTY_ACCOUNT_FORM: AccountFormValues = { acctid: '', name: '', email: '', phone: '', notes: '', termsDays: String(DEFAULT_TERMS_DAYS), reminders: 'on' };

export interface AccountFormView {
  /** new: every field, posted to /accounts; edit: the id is fixed, posted to the account. */
  readonly mode: 'new' | 'edit';
  readonly values: AccountFormValues;
  readonly csrfToken: string;
  readonly problems?: readonly FormProblem[];
}

const ACCOUNT_FORM_IDS: Readonly<Record<string, string>> = { acctid: 'acctid', name: 'name', email: 'email', phone: 'phone', terms_days: 'terms_days', reminders: 'reminders', notes: 'notes' };

export const NEW_ACCOUNT_TITLE = 'New account';

export function editAccountTitle(acctid: string): string {
  return `Edit account ${acctid}`;
}

/** The form that creates an account or edits one's details, with each problem beside its field. */
export function accountFormBody({ mode, values, csrfToken, problems = [] }: AccountFormView): SafeHtml {
  const editing = mode === 'edit';
  const fields = [
    editing
      ? undefined
      : field({
          name: 'acctid',
          label: 'Account ID',
          value: values.acctid,
          required: true,
          maxLength: ACCTID_MAX_LENGTH,
          autocomplete: 'off',
          hint: `Up to ${ACCTID_MAX_LENGTH} letters, digits, hyphens, underscores and dots, such as ACCT100. Stored in capitals; it cannot be changed later.`,
          error: messageFor(problems, 'acctid'),
        }),
    field({ name: 'name', label: 'Name', value: values.name, required: true, maxLength: NAME_MAX, autocomplete: 'off', error: messageFor(problems, 'name') }),
    field({ name: 'email', label: 'Email (optional)', type: 'email', value: values.email, maxLength: EMAIL_MAX, autocomplete: 'off', error: messageFor(problems, 'email') }),
    field({ name: 'phone', label: 'Phone (optional)', type: 'tel', value: values.phone, maxLength: PHONE_MAX, autocomplete: 'off', error: messageFor(problems, 'phone') }),
    field({
      name: 'terms_days',
      label: 'Payment terms (days)',
      value: values.termsDays,
      required: true,
      maxLength: 3,
      inputMode: 'numeric',
      autocomplete: 'off',
      hint: `Invoices are due this many days after their date; 0 = due on receipt. From 0 to ${MAX_TERMS_DAYS}, usually ${DEFAULT_TERMS_DAYS}.${editing ? ' A change applies to invoices recorded from now on; recorded invoices keep their due dates.' : ''}`,
      error: messageFor(problems, 'terms_days'),
    }),
    select({
      name: 'reminders',
      label: 'Overdue reminders',
      choices: [
        { value: 'on', label: 'On: e-mail reminders when invoices are overdue' },
        { value: 'off', label: 'Off: never send overdue reminders' },
      ],
      value: values.reminders,
      hint: 'Reminders go to the email address above, following the reminder policy.',
      error: messageFor(problems, 'reminders'),
    }),
    textArea({ name: 'notes', label: 'Notes (optional)', value: values.notes, maxLength: NOTES_MAX, hint: `At most ${NOTES_MAX} characters.`, error: messageFor(problems, 'notes') }),
  ].filter((part) => part !== undefined);
  const action = editing ? accountPath(values.acctid) : ACCOUNTS_PATH;
  const back = editing ? accountPath(values.acctid) : ACCOUNTS_PATH;
  return html`<h1>${editing ? editAccountTitle(values.acctid) : NEW_ACCOUNT_TITLE}</h1>
${problemSummary(problems, ACCOUNT_FORM_IDS)}
${form({ action, csrfToken, fields, submitLabel: editing ? 'Save changes' : 'Create account' })}
<p><a href="${siteHref(back)}">${editing ? 'Back to the account' : 'Back to the accounts'}</a></p>`;
}
