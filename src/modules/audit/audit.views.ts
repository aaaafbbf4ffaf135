import { errorSummary, field, form, scrollRegion, siteHref, table, type FieldError } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import type { AuditEntry } from './audit.repository.js';
import { timeTag, timeZoneName } from '../../platform/views/format.js';

export const AUDIT_PATH = '/admin/audit';
export const AUDIT_TITLE = 'Audit log';

/** The filter form's fields as typed (shown again as they were). */
export interface AuditFilterFields {
  readonly actor: string;
  readonly action: string;
  readonly from: string;
  readonly to: string;
}

export interface AuditPageView {
  readonly filters: AuditFilterFields;
  /** Absent when the filters were refused: nothing was looked up. */
  readonly entries?: readonly AuditEntry[];
  /** The next (older) page, when there is one. */
  readonly olderHref?: string;
  /** Back to the newest events with the same filters, when this is not the first page. */
  readonly newestHref?: string;
  readonly problems?: readonly FormProblem[];
}

const FILTER_IDS: Readonly<Record<string, string>> = { actor: 'actor', action: 'action', from: 'from', to: 'to' };

/** A state as one line of JSON, or a dash for none. */
function compact(state: unknown): string {
  return state === null || state === undefined ? '—' : typeof state === 'string' ? state : JSON.stringify(state);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The change as a definition list: per field, before → after (or the one side there is); a value that is not an object is one row. */
function change(before: unknown, after: unknown): SafeHtml {
  if (before == null && after == null) return html`—`;
  const old = isRecord(before) ? before : before == null ? {} : { value: before };
  const now = isRecord(after) ? after : after == null ? {} : { value: after };
  const fields = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  const row = (name: string) => {
    const had = Object.hasOwn(old, name);
    const has = Object.hasOwn(now, name);
    const value =
      had && has
        ? html`<del>${compact(old[name])}</del> → <ins>${compact(now[name])}</ins>`
        : had
          ? html`<del>${compact(old[name])}</del> → —`
          : html`${compact(now[name])}`;
    return html`<dt>${name}</dt><dd>${value}</dd>`;
  };
  return html`<dl class="diff">${fields.map(row)}</dl>`;
}

/** A request id shortened to 8 characters, the whole one on hover and for screen readers. */
function requestId(id: string | null): SafeHtml {
  if (id === null) return html`—`;
  return id.length <= 8 ? html`<span class="request-id">${id}</span>` : html`<span class="request-id" title="${id}">${id.slice(0, 8)}<span class="visually-hidden">${id.slice(8)}</span></span>`;
}

function filterForm({ filters, problems = [] }: AuditPageView): SafeHtml {
  const messageFor = (name: string) => problems.find((problem) => problem.field === name)?.message;
  return form({
    method: 'get',
    action: AUDIT_PATH,
    fields: [
      field({ name: 'actor', label: 'Actor', value: filters.actor, maxLength: 80, autocomplete: 'off', hint: 'A user name exactly, or cli, bootstrap, anonymous.', error: messageFor('actor') }),
      field({ name: 'action', label: 'Action', value: filters.action, maxLength: 64, autocomplete: 'off', hint: 'Exactly, such as user.created or session.sign_in_failed.', error: messageFor('action') }),
      field({ name: 'from', label: 'From (UTC day)', type: 'date', value: filters.from, hint: 'Year-month-day, like 2026-11-29.', error: messageFor('from') }),
      field({ name: 'to', label: 'To (UTC day, included)', type: 'date', value: filters.to, hint: 'Year-month-day, like 2026-11-30.', error: messageFor('to') }),
    ],
    submitLabel: 'Show events',
  });
}

function eventsTable(entries: readonly AuditEntry[], filtered: boolean): SafeHtml {
  return table({
    caption: filtered ? 'Matching audit events, newest first' : 'Audit events, newest first',
    empty: filtered ? 'No events match these filters.' : 'No events yet.',
    rows: entries,
    stacked: true,
    columns: [
      { header: `Time (${timeZoneName()})`, rowHeader: true, cell: (entry) => timeTag(entry.at) },
      { header: 'Actor', cell: (entry) => entry.actor },
      { header: 'Action', cell: (entry) => entry.action },
      { header: 'Target', cell: (entry) => entry.target ?? '—' },
      { header: 'IP', cell: (entry) => entry.ip ?? '—' },
      { header: 'Request', cell: (entry) => requestId(entry.requestId) },
      { header: 'Change', cell: (entry) => change(entry.before, entry.after) },
    ],
  });
}

function paging({ olderHref, newestHref }: AuditPageView): SafeHtml {
  if (olderHref === undefined && newestHref === undefined) return html``;
  return html`<nav class="pager" aria-label="Audit log pages">
${newestHref === undefined ? html`<span class="pager-disabled">Newest</span>` : html`<a href="${siteHref(newestHref)}">Newest</a>`}
${olderHref === undefined ? html`<span class="pager-disabled">Older</span>` : html`<a href="${siteHref(olderHref)}" rel="next">Older</a>`}
</nav>`;
}

/** The audit log page: the filters, then one page of events, newest first, with a link to older ones. */
export function auditBody(view: AuditPageView): SafeHtml {
  const { filters, entries, problems = [] } = view;
  const summary: FieldError[] = problems.map(({ field: name, message }) => {
    const id = name === undefined ? undefined : FILTER_IDS[name];
    return id === undefined ? { message } : { field: id, message };
  });
  const filtered = Object.values(filters).some((value) => value !== '');
  // The table can scroll sideways: its wrapper takes focus (tabindex=0) so a keyboard can scroll it, named by the heading
  // (role=group: a region named like the section around it would be a second landmark of that name).
  return html`<h1>${AUDIT_TITLE}</h1>
${errorSummary(summary)}
<section aria-labelledby="filter-heading">
<h2 id="filter-heading">Filter</h2>
${filterForm(view)}
<p><a href="${AUDIT_PATH}">Clear the filters</a></p>
</section>
${
  entries === undefined
    ? ''
    : html`<section class="wide" aria-labelledby="events-heading">
<h2 id="events-heading">Events</h2>
${scrollRegion('events-heading', eventsTable(entries, filtered))}
${paging(view)}
</section>`
}`;
}
