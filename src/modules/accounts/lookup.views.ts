import { formatCents } from '../../shared/money.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { page } from '../../platform/views/layout.js';
import { LOGIN_PATH } from '../staff/index.js';
import { balanceCents, ACCTID_MAX_LENGTH, type Account } from './account.js';

export type LookupOutcome =
  | { readonly kind: 'found'; readonly account: Account }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'problem'; readonly message: string };

export const UNKNOWN_ACCOUNT_MESSAGE = 'Unknown account number; please try again';

function outcomeHtml(outcome: LookupOutcome | undefined): SafeHtml | undefined {
  switch (outcome?.kind) {
    case 'found':
      return html`<p class="result" role="status">Account balance: ${formatCents(balanceCents(outcome.account))}</p>`;
    case 'unknown':
      return html`<p class="problem" role="status">${UNKNOWN_ACCOUNT_MESSAGE}</p>`;
    case 'problem':
      return html`<p class="problem" role="alert">${outcome.message}</p>`;
    default:
      return undefined;
  }
}

export const LOOKUP_TITLE = 'Account lookup';

export interface LookupView {
  readonly csrfToken: string;
  readonly acctid?: string;
  readonly outcome?: LookupOutcome;
}

/** The lookup form, with the result of the last lookup under it. */
export function lookupBody({ csrfToken, acctid = '', outcome }: LookupView): SafeHtml {
  return html`<h1>Account lookup</h1>
<form method="post" action="/">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="acctid">Enter account ID (e.g. ACCT100):</label>
<input type="text" id="acctid" name="acctid" value="${acctid}" maxlength="${ACCTID_MAX_LENGTH}" autocomplete="off" required autofocus>
<button type="submit">Submit</button>
</form>
${outcomeHtml(outcome)}`;
}

/** The public page: the form in the plain layout, and the way in for staff. */
export function lookupPage(view: LookupView): string {
  return page(LOOKUP_TITLE, html`${lookupBody(view)}
<p class="staff-sign-in"><a href="${LOGIN_PATH}">Staff sign in</a></p>`);
}
