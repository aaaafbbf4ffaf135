import { errorSummary, flash, hiddenField, scrollRegion, siteHref, table, type FlashMessage } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { ImportReport } from './importer.js';
import { reportCounts } from './report-counts.js';

export const IMPORT_PATH = '/admin/import';
export const EXPORT_PATH = '/admin/export';
export const IMPORT_TITLE = 'Import and export accounts';

/** Rejected rows the page lists at most; the count says how many more there were. */
export const SHOWN_ERRORS_MAX = 500;

export interface ImportChoices {
  readonly partial: boolean;
  readonly update: boolean;
  readonly dryRun: boolean;
}

export interface ImportPageView {
  readonly csrfToken: string;
  readonly maxUploadBytes: number;
  /** What the last upload did. */
  readonly report?: ImportReport;
  /** Why the upload could not be imported at all (no file, too large). */
  readonly problem?: string;
  /** The checkboxes as they were sent. */
  readonly choices?: ImportChoices;
}

const NO_CHOICES: ImportChoices = { partial: false, update: false, dryRun: false };

function checkbox(name: string, label: string, hint: string, checked: boolean): SafeHtml {
  return html`<div class="field">
<label for="${name}"><input type="checkbox" id="${name}" name="${name}" value="1" aria-describedby="${name}-hint"${checked ? html` checked` : ''}> ${label}</label>
<p class="hint" id="${name}-hint">${hint}</p>
</div>`;
}

function uploadForm({ csrfToken, maxUploadBytes, problem, choices = NO_CHOICES }: ImportPageView): SafeHtml {
  const mib = Math.round(maxUploadBytes / 1024 / 1024);
  return html`<section aria-labelledby="import-heading">
<h2 id="import-heading">Import accounts</h2>
<p>A CSV file whose first line is <code>acctid,name,email,phone,terms_days,paid,due</code> (amounts like <code>60.00</code>; name, email, phone and terms_days may be empty or left out: the name defaults to the account ID, and payment terms to 30 days for a new account), or a JSON file like the seed file: <code>[{"acctid":"ACCT100","paid":60.00,"due":100.00}]</code>. Every row is checked, and each bad one is listed with its line number. New accounts get opening ledger entries for their paid and due amounts.</p>
<form method="post" action="${siteHref(IMPORT_PATH)}" enctype="multipart/form-data">
${hiddenField('csrf_token', csrfToken)}
<div class="${problem === undefined ? 'field' : 'field field-invalid'}">
<label for="file">CSV or JSON file</label>
<p class="hint" id="file-hint">At most ${mib} MiB here; larger files with the <code>crm import</code> command.</p>
${problem === undefined ? '' : html`<p class="field-error" id="file-error">${problem}</p>`}
<input type="file" id="file" name="file" accept=".csv,.json,text/csv,application/json" required aria-describedby="file-hint${problem === undefined ? '' : ' file-error'}"${problem === undefined ? '' : html` aria-invalid="true"`}>
</div>
<fieldset>
<legend>Options</legend>
${checkbox('partial', 'Import the good rows even if some are bad', 'Without it, nothing is imported when any row is bad.', choices.partial)}
${checkbox('update', 'Update accounts that already exist', 'Name, email, phone and payment terms are replaced (new terms apply to invoices recorded afterwards); higher paid or due amounts are recorded as ledger adjustments. Without it, existing accounts are skipped.', choices.update)}
${checkbox('dry_run', 'Dry run: check and report only', 'Nothing is written.', choices.dryRun)}
</fieldset>
<button type="submit">Import</button>
</form>
</section>`;
}

function summary(report: ImportReport): FlashMessage {
  const { planned } = report;
  if (report.dryRun) {
    return {
      kind: report.rejected > 0 ? 'error' : 'info',
      text: `Dry run, nothing was written: ${planned.imported} accounts would be imported, ${planned.updated} updated and ${planned.skipped} skipped; ${report.rejected} rows were rejected.`,
    };
  }
  if (report.rejected > 0 && report.mode === 'all-or-nothing') {
    return { kind: 'error', text: `Nothing was imported: ${report.rejected} of ${report.rows} rows were rejected. Fix them and upload the file again, or choose to import the good rows.` };
  }
  if (report.rejected > 0) {
    return { kind: 'error', text: `${report.imported} accounts were imported and ${report.updated} updated; ${report.rejected} rows were rejected${report.stopped ? ' and the file could not be read to its end' : ''}.` };
  }
  return { kind: 'success', text: `Imported ${report.imported} accounts, updated ${report.updated}, skipped ${report.skipped} that already exist.` };
}

function reportSection(report: ImportReport): SafeHtml {
  const seconds = (report.durationMs / 1000).toFixed(2);
  const counts: [string, number | string][] = [
    ['Rows read', report.rows],
    ...reportCounts(report).map(([label, count]): [string, number] => [`${label.charAt(0).toUpperCase()}${label.slice(1)}`, count]),
    ['Time', `${seconds} s`],
  ];
  const shown = report.errors.slice(0, SHOWN_ERRORS_MAX);
  const more = report.rejected - shown.length;
  return html`<section class="wide" aria-labelledby="report-heading">
<h2 id="report-heading">Import report</h2>
${flash([summary(report)])}
<dl class="facts">
${counts.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}
</dl>
${
  report.rejected === 0
    ? ''
    : html`${scrollRegion('report-heading', table({
  caption: 'Rejected rows',
  empty: 'No row was rejected.',
  rows: shown,
  columns: [
    { header: 'Line', numeric: true, rowHeader: true, cell: (error) => error.line },
    { header: 'Account ID', cell: (error) => error.acctid || '—' },
    { header: 'Reason', cell: (error) => error.reason },
  ],
}))}
${more > 0 ? html`<p>… and ${more} more rejected rows, not listed here. The <code>crm import FILE --errors errors.csv</code> command lists every one.</p>` : ''}`
}
</section>`;
}

function exportSection(): SafeHtml {
  return html`<section aria-labelledby="export-heading">
<h2 id="export-heading">Export accounts</h2>
<p>Every account with its totals, balance and status. The CSV imports again unchanged (text that a spreadsheet would run as a formula starts with <code>'</code>).</p>
<ul>
<li><a href="${siteHref(`${EXPORT_PATH}?format=csv`)}">Download CSV</a></li>
<li><a href="${siteHref(`${EXPORT_PATH}?format=json`)}">Download JSON</a></li>
</ul>
</section>`;
}

/** The import and export page: the upload form, the last upload's report, the export links. */
export function importBody(view: ImportPageView): SafeHtml {
  return html`<h1>${IMPORT_TITLE}</h1>
${view.problem === undefined ? '' : errorSummary([{ field: 'file', message: view.problem }])}
${view.report ? reportSection(view.report) : ''}
${uploadForm(view)}
${exportSection()}`;
}
