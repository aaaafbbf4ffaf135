import { errorSummary, field, form, scrollRegion, siteHref, table, type FieldError } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { amount, money, timeTag } from '../../platform/views/format.js';
import { accountPath } from '../accounts/index.js';
import { AGING_BUCKETS, type AgingFigures } from '../ledger/index.js';
import { agingChart } from './aging-chart.js';
import type { AccountAgingRow, AgingTotals } from './aging-report.js';

export const RECEIVABLES_PATH = '/receivables';
export const RECEIVABLES_CSV_PATH = '/receivables.csv';
export const RECEIVABLES_TITLE = 'Aged receivables';

/** What aging means here, written where the figures are shown. */
export const AGING_DEFINITION =
  'Aging sorts what each account owed on the as-of date by how many days its invoices were past their due date then: current (not yet due), 1–30, 31–60, 61–90 and over 90 days. Credit is payments and credits not yet applied to an invoice; the total is the balance on that date.';

/** One formatter for the process: each holds native memory (see dayOf in dashboard.views.ts). */
const DAY = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', dateStyle: 'medium' });

/** A date as written in links and forms: the day itself. */
const dayText = (day: string) => html`<time datetime="${day}">${DAY.format(Date.parse(`${day}T00:00:00Z`))}</time>`;

/** The totals as a table: one row per bucket, then credit and total (the chart's figures, for reading). */
export function agingTotalsTable(totals: AgingTotals, caption: string): SafeHtml {
  const rows = [
    ...AGING_BUCKETS.map((bucket) => ({ label: bucket.label, hint: bucket.hint, cents: totals[bucket.key] })),
    { label: 'Credit', hint: 'unapplied payments and credits', cents: totals.creditCents },
    { label: 'Total', hint: 'the balance on the as-of date', cents: totals.totalCents },
  ];
  return table({
    caption,
    empty: 'Nothing.',
    rows,
    columns: [
      { header: 'Bucket', rowHeader: true, cell: (row) => html`${row.label} <span class="account-name">${row.hint}</span>` },
      { header: 'Amount (USD)', numeric: true, cell: (row) => amount(row.cents) },
    ],
  });
}

function accountsTable(rows: readonly AccountAgingRow[], asOf: string): SafeHtml {
  const figure = (key: keyof AgingFigures) => (row: AccountAgingRow) => (row.aging[key] === 0 ? html`<span class="zero">0.00</span>` : amount(row.aging[key]));
  return table({
    caption: html`Accounts with something owed or in credit on ${dayText(asOf)}, largest total first (USD)`,
    empty: 'No account owed anything or was in credit on that day.',
    rows,
    stacked: true,
    columns: [
      { header: 'Account', rowHeader: true, cell: (row) => html`<a href="${siteHref(accountPath(row.acctid))}">${row.acctid}</a> <span class="account-name">${row.name}</span>` },
      ...AGING_BUCKETS.map((bucket) => ({ header: bucket.label, numeric: true, cell: figure(bucket.key) })),
      { header: 'Credit', numeric: true, cell: figure('creditCents') },
      { header: 'Total', numeric: true, cell: (row: AccountAgingRow) => html`<strong>${amount(row.aging.totalCents)}</strong>` },
    ],
  });
}

export interface ReceivablesView {
  /** What the form shows in the date field (as typed when refused). */
  readonly asOfInput: string;
  readonly errors: readonly FieldError[];
  /** The report, absent when the request was refused. */
  readonly report?: {
    readonly asOf: string;
    readonly today: string;
    readonly totals: AgingTotals;
    /** When the totals were read (today's come from a shared reading at most 30 s old). */
    readonly totalsReadAt: number;
    readonly rows: readonly AccountAgingRow[];
    /** The next page's address, or null after the last. */
    readonly nextHref: string | null;
    /** The first page's address when this is not it. */
    readonly firstHref: string | null;
  };
}

function keysetPager(nextHref: string | null, firstHref: string | null): SafeHtml {
  if (nextHref === null && firstHref === null) return html``;
  return html`<nav class="pager" aria-label="Pagination">
${firstHref === null ? html`<span class="pager-disabled">First page</span>` : html`<a href="${siteHref(firstHref)}" rel="first">First page</a>`}
${nextHref === null ? html`<span class="pager-disabled">Next</span>` : html`<a href="${siteHref(nextHref)}" rel="next">Next</a>`}
</nav>`;
}

export function receivablesBody(view: ReceivablesView): SafeHtml {
  const { report } = view;
  const dateError = view.errors.find((error) => error.field === 'as_of')?.message;
  const asOfForm = form({
    method: 'get',
    action: RECEIVABLES_PATH,
    fields: [field({ name: 'as_of', type: 'date', label: 'As of', value: view.asOfInput, hint: 'A day up to today (YYYY-MM-DD); today when empty.', ...(dateError === undefined ? {} : { error: dateError }) })],
    submitLabel: 'Show',
  });
  const csvHref = report ? `${RECEIVABLES_CSV_PATH}?${new URLSearchParams({ as_of: report.asOf }).toString()}` : null;
  return html`<div class="receivables wide">
<div class="page-header">
<div>
<h1>${RECEIVABLES_TITLE}</h1>
${report ? html`<p class="subtitle">As of ${dayText(report.asOf)}${report.asOf === report.today ? ' (today)' : ''}</p>` : ''}
</div>
${csvHref === null ? '' : html`<p class="actions"><a class="button" href="${siteHref(csvHref)}" download>Download CSV (every account)</a></p>`}
</div>
<p class="hint aging-definition">${AGING_DEFINITION}</p>
${errorSummary(view.errors)}
<section class="filter-bar aging-form" aria-label="As-of date">
${asOfForm}
</section>
${
  report
    ? html`<div class="receivables-grid">
<section class="chart-panel" aria-labelledby="totals-heading">
<h2 id="totals-heading">Every account: ${money(report.totals.totalCents)}</h2>
${report.asOf === report.today ? html`<p class="hint">Totals read ${timeTag(report.totalsReadAt)} (never more than 30 seconds old); the accounts below are read now.</p>` : ''}
${agingChart({ id: 'aging-chart', title: `Receivables by days past due on ${report.asOf}`, totals: report.totals })}
<details>
<summary>The figures as a table</summary>
${scrollRegion('totals-heading', agingTotalsTable(report.totals, `Totals over every account on ${report.asOf}`))}
</details>
</section>
<section aria-labelledby="accounts-heading">
<h2 id="accounts-heading">By account</h2>
${scrollRegion('accounts-heading', accountsTable(report.rows, report.asOf))}
${keysetPager(report.nextHref, report.firstHref)}
</section>
</div>`
    : ''
}
</div>`;
}
