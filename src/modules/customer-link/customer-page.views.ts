import { pill, scrollRegion, table } from '../../platform/views/components.js';
import { amount, balance, businessDate, money, shownDate } from '../../platform/views/format.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { icon } from '../../platform/views/icons.js';
import { layout } from '../../platform/views/layout.js';
import { daysBetween, type IsoDate } from '../../shared/dates.js';
import { CURRENCY } from '../../shared/money.js';
import type { AccountDetails } from '../accounts/index.js';
import { AGING_BUCKETS, type AccountInvoices, type AgingFigures, type InvoiceStanding } from '../ledger/index.js';
import type { Company, StatementPeriod } from '../statements/index.js';

/**
 * The customer's own page, opened from a link without signing in: written
 * for the customer (what you owe, what is late, your statement), in a layout
 * with the company's name and no staff navigation.
 */

export interface CustomerPageView {
  readonly company: Company;
  readonly account: AccountDetails;
  readonly invoices: AccountInvoices;
  readonly aging: AgingFigures;
  /** Today in the business time zone: what "late" is measured from. */
  readonly today: IsoDate;
  /** The period of the statement offered for download. */
  readonly statement: StatementPeriod;
  readonly statementHref: string;
  /** When this link stops working (milliseconds since the epoch). */
  readonly expiresAt: number;
}

/** An invoice as the customer knows it: its number, or our entry id. */
function invoiceName(invoice: InvoiceStanding): string {
  return invoice.reference ?? `#${invoice.chargeId}`;
}

function lateness(invoice: InvoiceStanding, today: IsoDate): SafeHtml {
  const late = daysBetween(invoice.dueOn, today);
  if (late <= 0) return pill(late === 0 ? 'Due today' : `Due in ${-late} ${late === -1 ? 'day' : 'days'}`);
  return pill(late === 1 ? '1 day late' : `${late} days late`, 'danger');
}

function overdueOf(aging: AgingFigures): bigint {
  return AGING_BUCKETS.filter(({ key }) => key !== 'currentCents').reduce((sum, { key }) => sum + BigInt(aging[key]), 0n);
}

function figures({ account, aging }: CustomerPageView): SafeHtml {
  const overdue = overdueOf(aging);
  return html`<dl class="tiles tiles-account">
<div class="tile"><dt>Balance</dt><dd><strong>${balance(account.balanceCents)}</strong></dd></div>
<div class="tile"><dt>Overdue</dt><dd>${overdue > 0n ? html`<strong class="late-amount">${money(overdue)}</strong>` : html`<span>${money(overdue)}</span>`}</dd></div>
</dl>`;
}

/** The buckets side by side, as on the statement: overdue amounts in the alarm colour only where they are overdue; credit and the total under them. */
function agingBox({ aging, today }: CustomerPageView): SafeHtml {
  const cell = (label: string, hint: string, cents: AgingFigures[keyof AgingFigures], overdue: boolean) =>
    html`<div><dt>${label}<span class="visually-hidden"> (${hint})</span></dt><dd${overdue ? html` class="late-amount"` : ''}>${amount(cents)}</dd></div>\n`;
  return html`<section class="card" aria-labelledby="aging-heading">
<h2 id="aging-heading">By days past due</h2>
<p class="hint">As of ${businessDate(today)}, amounts in ${CURRENCY}.</p>
<dl class="aging-box">
${AGING_BUCKETS.map(({ key, label, hint }) => cell(label, hint, aging[key], key !== 'currentCents' && aging[key] > 0))}</dl>
<dl class="aging-summary">
${cell('Unapplied credit', 'payments not yet set against an invoice', aging.creditCents, false)}${cell('Total', 'your balance', aging.totalCents, false)}</dl>
</section>`;
}

function invoicesSection({ invoices, today }: CustomerPageView): SafeHtml {
  const { open, moreOpen } = invoices;
  const intro =
    open.length === 0
      ? html`<p>You have no open invoices.</p>`
      : html`<p>${moreOpen ? `The ${open.length} oldest of your open invoices, oldest due first; your statement lists them all.` : `${open.length === 1 ? '1 open invoice' : `${open.length} open invoices`}, oldest due first.`}</p>`;
  return html`<section aria-labelledby="invoices-heading">
<h2 id="invoices-heading">Open invoices</h2>
${intro}
${
  open.length === 0
    ? ''
    : scrollRegion(
        'invoices-heading',
        table({
          caption: `Open invoices (amounts in ${CURRENCY})`,
          empty: 'No open invoices.',
          rows: open,
          stacked: true,
          columns: [
            { header: 'Invoice', rowHeader: true, cell: invoiceName },
            { header: 'Date', cell: (invoice) => businessDate(invoice.effectiveOn) },
            { header: 'Due', cell: (invoice) => businessDate(invoice.dueOn) },
            { header: 'Amount', numeric: true, cell: (invoice) => amount(invoice.amountCents) },
            { header: 'Open', numeric: true, cell: (invoice) => amount(invoice.openCents) },
            { header: 'Status', cell: (invoice) => lateness(invoice, today) },
          ],
        }),
        'money-table',
      )
}
</section>`;
}

function statementSection({ statement, statementHref }: CustomerPageView): SafeHtml {
  return html`<section class="card" aria-labelledby="statement-heading">
<h2 id="statement-heading">Statement</h2>
<p>Every charge and payment from ${businessDate(statement.from)} to ${businessDate(statement.to)}, with your balance, what is past due and your open invoices.</p>
<p><a class="button button-primary" href="${statementHref}" download>${icon('download')}Download statement (PDF)</a></p>
</section>`;
}

function companyFooter(company: Company, expiresAt: number): SafeHtml {
  return html`<footer class="outside-footer">
<p>${company.name}${company.addressLines.map((line) => html`<br>${line}`)}</p>
<p class="hint">This page is private to you: anyone with its link can see it, so please do not share it. The link works until ${shownDate(expiresAt)}. If you have a question about your account, ${company.name} is glad to help.</p>
</footer>`;
}

export function customerPage(view: CustomerPageView): string {
  const { company, account } = view;
  const body = html`<div class="page-header">
<div>
<h1>${account.name}</h1>
<p class="subtitle"><span>Account ${account.acctid} · as of ${businessDate(view.today)}</span></p>
</div>
</div>
${figures(view)}
${agingBox(view)}
${invoicesSection(view)}
${statementSection(view)}
${companyFooter(company, view.expiresAt)}`;
  return layout({ title: `Account ${account.acctid}`, body, brand: company.name, noindex: true });
}

/** A link that is not (or no longer) good: it says nothing of any account. */
export function linkNotFoundPage(company: Company): string {
  const body = html`<h1>This link does not work</h1>
<p>The address may be incomplete or mistyped, or the link was withdrawn. Please use the link from our latest message, or contact ${company.name} for a new one.</p>`;
  return layout({ title: 'Link not found', body, brand: company.name, noindex: true });
}

/** A genuine link past its time: kind, and nothing of the account. */
export function linkExpiredPage(company: Company): string {
  const body = html`<h1>This link has expired</h1>
<p>For your privacy, links to your account work for a limited time. Your next message from us will bring a new one, or contact ${company.name} and we will send you one.</p>`;
  return layout({ title: 'Link expired', body, brand: company.name, noindex: true });
}

/** A statement with more entries than one document lists. */
export function statementTooLongPage(company: Company): string {
  const body = html`<h1>Your statement is too long to download here</h1>
<p>Please contact ${company.name} and we will send it to you.</p>`;
  return layout({ title: 'Statement', body, brand: company.name, noindex: true });
}
