import { flash, form, pill, scrollRegion, select, table, type FlashMessage, type PillTone } from '../../platform/views/components.js';
import { count, exactTime, timeTag } from '../../platform/views/format.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { ListedMessage } from './operations.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './outbox.table.js';

export const ADMIN_OUTBOX_PATH = '/admin/outbox';
export const ADMIN_OUTBOX_TITLE = 'Outbox';
export const OUTBOX_PAGE_SIZE = 100;

/** `?done=` keys and the fixed message each shows; nothing from the query is ever shown. */
export const ADMIN_OUTBOX_DONE = {
  retried: 'The message is due now; a worker sends it within seconds.',
  retried_all: 'Every failed and waiting message is due now.',
  cancelled: 'The message was cancelled; it will not be sent.',
} as const;

const TONES: Readonly<Record<OutboxStatus, PillTone>> = { pending: 'info', sent: 'success', failed: 'danger', cancelled: 'neutral' };
/** A worker silent for longer than this is probably not running. */
const HEARTBEAT_STALE_MS = 60_000;

export interface AdminOutboxView {
  readonly messages: readonly ListedMessage[];
  readonly counts: Readonly<Record<OutboxStatus, number>>;
  readonly status: OutboxStatus | undefined;
  readonly smtpConfigured: boolean;
  readonly heartbeat: { readonly name: string; readonly lastRanAt: number } | null;
  readonly csrfToken: string;
  readonly now: number;
  /** Where "older messages" starts, if there are more. */
  readonly olderThan: number | null;
}

/** "12 s ago", "3 min ago": how fresh the heartbeat is. */
function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function workerLine({ heartbeat, now }: AdminOutboxView): SafeHtml {
  if (!heartbeat) return html`<p>${pill('No worker', 'warning')} No worker has run yet: start one with <code>crm worker</code>.</p>`;
  const stale = now - heartbeat.lastRanAt > HEARTBEAT_STALE_MS;
  return html`<p>${pill(stale ? 'Worker silent' : 'Worker running', stale ? 'warning' : 'success')} The worker last ran
<time datetime="${new Date(heartbeat.lastRanAt).toISOString()}" title="${exactTime(heartbeat.lastRanAt)}">${ago(heartbeat.lastRanAt, now)}</time>
<span class="hint">(${heartbeat.name})</span>.${stale ? ' If none is running, messages are not being sent.' : ''}</p>`;
}

function actions(message: ListedMessage, csrfToken: string): SafeHtml {
  if (message.inHand) return html`<span class="hint">being sent</span>`;
  if (message.status === 'sent' || message.status === 'cancelled') return html``;
  const which = html`<span class="visually-hidden"> message ${message.id}</span>`;
  return html`<div class="row-actions">
${form({ action: `${ADMIN_OUTBOX_PATH}/${message.id}/retry`, csrfToken, fields: [], submitLabel: html`${message.status === 'failed' ? 'Retry' : 'Send now'}${which}` })}
${form({ action: `${ADMIN_OUTBOX_PATH}/${message.id}/cancel`, csrfToken, fields: [], submitLabel: html`Cancel${which}` })}
</div>`;
}

function when(message: ListedMessage, now: number): SafeHtml | string {
  if (message.status === 'sent' && message.sentAt !== null) return html`<span>sent ${timeTag(message.sentAt, now)}</span>`;
  if (message.status !== 'pending') return '';
  if (message.nextAttemptAt <= now) return 'due now';
  const minutes = Math.max(1, Math.round((message.nextAttemptAt - now) / 60_000));
  const wait = minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
  return html`<span>next try in <time datetime="${new Date(message.nextAttemptAt).toISOString()}" title="${exactTime(message.nextAttemptAt)}">${wait}</time></span>`;
}

function filterForm(view: AdminOutboxView): SafeHtml {
  const choices = [{ value: '', label: `All (${count(OUTBOX_STATUSES.reduce((sum, status) => sum + view.counts[status], 0))})` }, ...OUTBOX_STATUSES.map((status) => ({ value: status, label: `${status} (${count(view.counts[status])})` }))];
  return html`<section class="filter-bar" aria-label="Which messages">
${form({ method: 'get', action: ADMIN_OUTBOX_PATH, fields: select({ name: 'status', id: 'status', label: 'Show', choices, value: view.status ?? '' }), submitLabel: 'Show' })}
</section>`;
}

/** The outbox page: the sending set-up, the worker's heartbeat, the messages with retry and cancel. */
export function adminOutboxBody(view: AdminOutboxView): SafeHtml {
  const notices: FlashMessage[] = view.smtpConfigured
    ? []
    : [{ kind: 'info', text: 'SMTP is not configured (SMTP_URL is not set): nothing is sent. Messages wait here until it is, and a worker runs.' }];
  const messages = table({
    caption: view.status ? `Messages: ${view.status}` : 'Messages',
    stacked: true,
    empty: view.status ? `No ${view.status} messages.` : 'No messages yet.',
    rows: view.messages,
    columns: [
      { header: 'ID', rowHeader: true, cell: (message) => String(message.id) },
      { header: 'Message', cell: (message) => html`<span class="outbox-message">${message.subject}<br><span class="hint">to ${message.to}</span></span>` },
      { header: 'Status', cell: (message) => pill(message.inHand ? 'sending' : message.status, TONES[message.status]) },
      { header: 'Tries', numeric: true, cell: (message) => count(message.attempts) },
      { header: 'When', cell: (message) => when(message, view.now) },
      { header: 'Last error or answer', cell: (message) => html`<span class="outbox-message">${message.lastError ?? ''}</span>` },
      { header: 'Actions', cell: (message) => actions(message, view.csrfToken) },
    ],
  });
  const older = view.olderThan === null ? '' : html`<p><a href="${ADMIN_OUTBOX_PATH}?${new URLSearchParams({ ...(view.status ? { status: view.status } : {}), before: String(view.olderThan) }).toString()}">Older messages</a></p>`;
  const retryAll =
    view.counts.failed > 0 ? form({ action: `${ADMIN_OUTBOX_PATH}/retry-all`, csrfToken: view.csrfToken, fields: [], submitLabel: `Retry all failed (${count(view.counts.failed)})` }) : '';
  return html`<h1>${ADMIN_OUTBOX_TITLE}</h1>
${flash(notices)}
${workerLine(view)}
<p>Pending messages are sent by the worker; temporary failures are tried again for a day, then they fail. Failed ones can be retried; pending and failed ones cancelled.</p>
${filterForm(view)}
${retryAll}
<section class="wide" aria-labelledby="messages-heading">
<h2 id="messages-heading">${view.status ? `${view.status[0]!.toUpperCase()}${view.status.slice(1)} messages` : 'All messages'}, newest first</h2>
${scrollRegion('messages-heading', messages)}
${older}
</section>`;
}
