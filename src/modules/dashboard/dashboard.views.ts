import { scrollRegion, siteHref, table } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { accountPath } from '../accounts/index.js';
import type { EntryKind } from '../ledger/index.js';
import { AGING_DEFINITION, agingChart, agingTotalsTable, DSO_DEFINITION, RECEIVABLES_PATH } from '../receivables/index.js';
import { barChart, columnChart, type ChartSeries } from './charts.js';
import { AGGREGATES_MAX_AGE_MS, WEEKS, type BandFigures, type DashboardSummary, type WeekFigures } from './summary.js';
import { balance, count, money, moneyShort, timeTag, timeZoneName } from '../../platform/views/format.js';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_TITLE = 'Dashboard';

/** The account page (the accounts module's /accounts/:acctid). */
export function accountHref(acctid: string): string {
  return siteHref(accountPath(acctid));
}

const KIND_NAMES: Readonly<Record<EntryKind, string>> = { payment: 'Payment', charge: 'Charge', adjustment: 'Adjustment' };

/** A count as shown: "1,234". */
export const formatCount = (n: number): string => count(n);
const accountsText = (n: number) => `${formatCount(n)} ${n === 1 ? 'account' : 'accounts'}`;

/**
 * "Nov 23, 2026" for a Monday 00:00 UTC (weeks are UTC weeks, so the day is too). One formatter for the process:
 * each Intl formatter holds native (ICU) memory the garbage collector does not see, so one made per call grew the
 * server's memory by hundreds of MB under load (the reliability soak, test/reliability/soak.test.ts).
 */
const WEEK_DAY = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
const dayOf = (ms: number): string => WEEK_DAY.format(ms);

/** The id of each figure's tile, which tests and scripts may rely on. */
export const FIGURE_IDS = {
  totalDue: 'figure-total-due',
  totalPaid: 'figure-total-paid',
  netReceivables: 'figure-net-receivables',
  owing: 'figure-owing',
  overpaid: 'figure-overpaid',
  settled: 'figure-settled',
  closed: 'figure-closed',
  accounts: 'figure-accounts',
  dso: 'figure-dso',
} as const;

function tile(id: string, label: string, value: string, hint?: string): SafeHtml {
  return html`<div class="tile" id="${id}"><dt>${label}</dt><dd><span class="tile-value">${value}</span>${hint === undefined ? '' : html`<span class="tile-hint">${hint}</span>`}</dd></div>`;
}

function tiles(summary: DashboardSummary): SafeHtml {
  const { accounts } = summary;
  return html`<dl class="tiles tiles-money">
${tile(FIGURE_IDS.netReceivables, 'Net receivables', money(summary.netReceivablesCents), 'owed minus credits')}
${tile(FIGURE_IDS.totalDue, 'Total due', money(summary.totalDueCents), 'all charges')}
${tile(FIGURE_IDS.totalPaid, 'Total paid', money(summary.totalPaidCents), 'all payments and credits')}
${tile(FIGURE_IDS.accounts, 'Accounts', formatCount(accounts.total), 'open and closed')}
</dl>
<dl class="tiles tiles-counts">
${tile(FIGURE_IDS.owing, 'Owing', formatCount(accounts.owing), 'balance above 0')}
${tile(FIGURE_IDS.overpaid, 'Overpaid', formatCount(accounts.overpaid), 'in credit')}
${tile(FIGURE_IDS.settled, 'Settled', formatCount(accounts.settled), 'balance 0')}
${tile(FIGURE_IDS.closed, 'Closed', formatCount(accounts.closed), 'no new charges')}
</dl>`;
}

function accountCell(acctid: string, name: string, closed = false): SafeHtml {
  return html`<a href="${accountHref(acctid)}">${acctid}</a>${name !== '' && name !== acctid ? html` <span class="account-name">${name}</span>` : ''}${closed ? html` <span class="tag">closed</span>` : ''}`;
}

function largestTable(summary: DashboardSummary): SafeHtml {
  return table({
    caption: 'Ten largest balances owed',
    empty: 'No account owes anything.',
    rows: summary.largestBalances,
    stacked: true,
    columns: [
      { header: 'Account', rowHeader: true, cell: (row) => accountCell(row.acctid, row.name, row.closed) },
      { header: 'Balance', numeric: true, cell: (row) => balance(row.balanceCents) },
    ],
  });
}

function recentTable(summary: DashboardSummary): SafeHtml {
  return table({
    caption: 'Latest ledger entries, newest first',
    empty: html`Nothing recorded yet. Open an <a href="/accounts">account</a> to record a payment or a charge.`,
    rows: summary.recentActivity,
    stacked: true,
    columns: [
      { header: `When (${timeZoneName()})`, rowHeader: true, cell: (entry) => timeTag(entry.createdAt) },
      { header: 'Account', cell: (entry) => accountCell(entry.acctid, entry.name) },
      { header: 'Kind', cell: (entry) => KIND_NAMES[entry.kind] ?? entry.kind },
      { header: 'Amount', numeric: true, cell: (entry) => money(entry.amountCents) },
      { header: 'Balance after', numeric: true, cell: (entry) => balance(entry.balanceAfterCents) },
      { header: 'By', cell: (entry) => entry.actor },
    ],
  });
}

const ACCOUNTS_SERIES: ChartSeries = { key: 'accounts', name: 'Accounts', className: 'bar-accounts' };
const PAYMENTS: ChartSeries = { key: 'payments', name: 'Payments', className: 'bar-payments' };
const CHARGES: ChartSeries = { key: 'charges', name: 'Charges', className: 'bar-charges' };

function bandsChart(bands: readonly BandFigures[]): SafeHtml {
  const described = bands.map((b) => `${b.shortLabel} USD: ${accountsText(b.accounts)}, ${money(b.balanceCents)} in all`).join('; ');
  return barChart({
    id: 'bands-chart',
    title: 'Accounts by balance band',
    description: `How many accounts have a balance in each band, and the sum of their balances. ${described}.`,
    groups: bands.map((b) => ({
      label: `${b.shortLabel} USD`,
      note: money(b.balanceCents),
      bars: [{ series: ACCOUNTS_SERIES, value: b.accounts, text: accountsText(b.accounts) }],
    })),
  });
}

function bandsTable(bands: readonly BandFigures[]): SafeHtml {
  return table({
    caption: 'Accounts by balance band',
    empty: 'No accounts.',
    rows: bands,
    columns: [
      { header: 'Balance', rowHeader: true, cell: (b) => b.label },
      { header: 'Accounts', numeric: true, cell: (b) => formatCount(b.accounts) },
      { header: 'Sum of balances', numeric: true, cell: (b) => money(b.balanceCents) },
    ],
  });
}

const weekLabel = (week: WeekFigures, last: boolean) => `${week.isoWeek}${last ? ' (this week so far)' : ''}`;

function weeklyChart(weeks: readonly WeekFigures[]): SafeHtml {
  const payments = weeks.reduce((sum, week) => sum + week.paymentsCents, 0n);
  const charges = weeks.reduce((sum, week) => sum + week.chargesCents, 0n);
  const first = weeks[0];
  const last = weeks.at(-1);
  const span = first && last ? ` from ${first.isoWeek} (starting ${dayOf(first.startsAt)}) to ${last.isoWeek}, the current week` : '';
  return columnChart({
    id: 'weekly-chart',
    title: `Payments and charges per week, last ${WEEKS} weeks`,
    description: `Payments received and charges made in each ISO week (Monday to Sunday, UTC)${span}. In all: payments ${money(payments)}, charges ${money(charges)}. The table below lists every week.`,
    legend: [PAYMENTS, CHARGES],
    // A bar's length needs no more than a double's precision; its text (money()) is exact.
    axisLabel: (cents) => moneyShort(BigInt(Math.round(cents))),
    groups: weeks.map((week) => ({
      label: week.isoWeek.replace(/^\d{4}-/, ''),
      bars: [
        { series: PAYMENTS, value: Number(week.paymentsCents), text: money(week.paymentsCents) },
        { series: CHARGES, value: Number(week.chargesCents), text: money(week.chargesCents) },
      ],
    })),
  });
}

function weeklyTable(weeks: readonly WeekFigures[]): SafeHtml {
  return table({
    caption: 'Payments and charges per ISO week (UTC)',
    empty: 'No weeks.',
    rows: weeks,
    columns: [
      { header: 'Week', rowHeader: true, cell: (week) => html`${weekLabel(week, week === weeks.at(-1))}, from <time datetime="${new Date(week.startsAt).toISOString().slice(0, 10)}">${dayOf(week.startsAt)}</time>` },
      { header: 'Payments', numeric: true, cell: (week) => money(week.paymentsCents) },
      { header: 'Charges', numeric: true, cell: (week) => money(week.chargesCents) },
    ],
  });
}

/** DSO as the tile shows it: one decimal, or a dash when nothing was invoiced in the window. */
export function dsoText(days: number | null): string {
  return days === null ? '—' : `${days.toFixed(1)} days`;
}

/** Today's aging totals as a stacked bar (and its table), with DSO and what both mean. */
function receivablesPanel(summary: DashboardSummary): SafeHtml {
  const { aging, dso } = summary;
  const caption = `Receivables over every account by days past due, ${aging.asOf}`;
  return html`<section class="chart-panel panel-aging" aria-labelledby="aging-heading">
<h2 id="aging-heading">Receivables by days past due</h2>
<div class="aging-overview">
<div>
${agingChart({ id: 'aging-chart', title: `Receivables by days past due, today (${aging.asOf})`, totals: aging.totals })}
<details>
<summary>The figures as a table</summary>
${scrollRegion('aging-heading', agingTotalsTable(aging.totals, caption))}
</details>
</div>
<div>
<dl class="tiles tiles-dso">
${tile(FIGURE_IDS.dso, 'DSO', dsoText(dso.days), `days sales outstanding, the 90 days to ${dso.to}`)}
</dl>
<p class="hint">${DSO_DEFINITION} Here: ${money(dso.receivablesCents)} owed ÷ ${money(dso.invoicedCents)} invoiced after ${dso.from} × 90.</p>
<p class="hint">${AGING_DEFINITION} <a href="${siteHref(RECEIVABLES_PATH)}">Aged receivables by account</a></p>
</div>
</div>
</section>`;
}

/** A chart, then its figures as a table (open to read, always there for screen readers that expand it). */
function figure(id: string, heading: string, chart: SafeHtml, data: SafeHtml): SafeHtml {
  return html`<section class="chart-panel panel-${id}" aria-labelledby="${id}-heading">
<h2 id="${id}-heading">${heading}</h2>
${chart}
<details>
<summary>The figures as a table</summary>
${scrollRegion(`${id}-heading`, data)}
</details>
</section>`;
}

/**
 * The dashboard: the figures as tiles, then the largest balances and the
 * balance bands beside the weekly chart, then the latest entries across the
 * page (one column on a narrow screen, in this order).
 */
export function dashboardBody(summary: DashboardSummary): SafeHtml {
  return html`<div class="dashboard wide">
<div class="page-header">
<h1>${DASHBOARD_TITLE}</h1>
</div>
<p class="hint">Totals, counts and charts as of ${timeTag(summary.asOf)} (never more than ${AGGREGATES_MAX_AGE_MS / 1000} seconds old); the lists are current. A balance is what an account owes: due minus paid.</p>
<section aria-labelledby="totals-heading">
<h2 id="totals-heading" class="visually-hidden">Totals</h2>
${tiles(summary)}
</section>
${receivablesPanel(summary)}
<div class="dashboard-grid">
<section class="panel-largest" aria-labelledby="largest-heading">
<h2 id="largest-heading">Largest balances</h2>
${scrollRegion('largest-heading', largestTable(summary))}
</section>
${figure('bands', 'Receivables by balance', bandsChart(summary.balanceBands), bandsTable(summary.balanceBands))}
${figure('weekly', 'Payments and charges', weeklyChart(summary.weeks), weeklyTable(summary.weeks))}
<section class="panel-recent" aria-labelledby="recent-heading">
<h2 id="recent-heading">Recent activity</h2>
${scrollRegion('recent-heading', recentTable(summary))}
</section>
</div>
</div>`;
}
