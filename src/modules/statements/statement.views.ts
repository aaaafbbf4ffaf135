import { errorSummary, field, form, siteHref } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { accountPath } from '../accounts/index.js';

/** Where the staff get an account's statement as a PDF (the account page's statement form points here too). */
export function statementPdfPath(acctid: string): string {
  return `${accountPath(acctid)}/statement.pdf`;
}

export function statementTitle(acctid: string): string {
  return `Statement for ${acctid}`;
}

export interface StatementFormView {
  readonly acctid: string;
  readonly name: string;
  /** As typed. */
  readonly from: string;
  readonly to: string;
  readonly problems: readonly FormProblem[];
}

const messageFor = (problems: readonly FormProblem[], name: string) => problems.find((problem) => problem.field === name)?.message;

/** The statement's period form again, when the dates asked for were refused: each message beside its date. */
export function statementFormBody({ acctid, name, from, to, problems }: StatementFormView): SafeHtml {
  return html`<div class="page-header">
<div>
<h1>${statementTitle(acctid)}</h1>
<p class="subtitle"><span>${name}</span></p>
</div>
</div>
${errorSummary(problems.map(({ field: id, message }) => (id === undefined ? { message } : { field: id, message })))}
<section class="card" aria-labelledby="statement-heading">
<h2 id="statement-heading">Statement period</h2>
${form({
  method: 'get',
  action: statementPdfPath(acctid),
  fields: [
    field({ name: 'from', label: 'From', type: 'date', value: from, hint: 'The first day. Empty: the first day of the end date’s month.', error: messageFor(problems, 'from') }),
    field({ name: 'to', label: 'To', type: 'date', value: to, hint: 'The last day, not in the future: the statement’s date. Empty: today.', error: messageFor(problems, 'to') }),
  ],
  submitLabel: 'Statement (PDF)',
})}
</section>
<p><a href="${siteHref(accountPath(acctid))}">Back to the account</a></p>`;
}
