import { field, flash, form, hiddenField } from '../../platform/views/components.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { messageFor, problemSummary, textArea } from '../accounts/index.js';
import { BODY_MAX, MAX_DAYS_LATE, MAX_LEVELS, PLACEHOLDERS, SUBJECT_MAX } from './policy.js';

export const REMINDERS_PATH = '/admin/reminders';
export const REMINDERS_TITLE = 'Reminder policy';

/** A level as the form shows it: as typed or as stored, text throughout. */
export interface LevelFormValues {
  readonly days: string;
  readonly subject: string;
  readonly body: string;
}

export interface PolicyView {
  readonly levels: readonly LevelFormValues[];
  readonly csrfToken: string;
  readonly problems?: readonly FormProblem[];
  /** Whether messages can go out (SMTP_URL set): the page says so when not. */
  readonly mailConfigured: boolean;
}

export const fieldName = (index: number, part: keyof LevelFormValues) => `level_${index}_${part}`;

/** The admin page: how reminders are chosen, then one group of fields per level (and an empty one to add a level). */
export function policyBody({ levels, csrfToken, problems = [], mailConfigured }: PolicyView): SafeHtml {
  const shown = levels.length < MAX_LEVELS ? [...levels, { days: '', subject: '', body: '' }] : levels;
  const ids: Record<string, string> = { policy: 'level_0_days' };
  for (let index = 0; index < MAX_LEVELS; index += 1) for (const part of ['days', 'subject', 'body'] as const) ids[fieldName(index, part)] = fieldName(index, part);
  const groups = shown.map((level, index) => {
    const name = (part: keyof LevelFormValues) => fieldName(index, part);
    const adding = index >= levels.length;
    return html`<fieldset class="policy-level">
<legend>${adding ? 'Add a level' : `Level ${index + 1}`}</legend>
${field({ name: name('days'), label: 'Days past due', value: level.days, maxLength: 4, inputMode: 'numeric', autocomplete: 'off', hint: `An invoice reaches this level when it is this many days past its due date (1 to ${MAX_DAYS_LATE}).${adding ? ' Leave the three fields empty to add nothing.' : ' Empty the three fields to remove the level.'}`, error: messageFor(problems, name('days')) })}
${field({ name: name('subject'), label: 'Subject', value: level.subject, maxLength: SUBJECT_MAX, autocomplete: 'off', error: messageFor(problems, name('subject')) })}
${textArea({ name: name('body'), label: 'Text', value: level.body, maxLength: BODY_MAX, rows: 7, hint: 'Paragraphs separated by an empty line. The overdue invoices, the total and the customer’s link follow it, then the company’s name and address.', error: messageFor(problems, name('body')) })}
</fieldset>`;
  });
  return html`<h1>${REMINDERS_TITLE}</h1>
${mailConfigured ? '' : flash([{ kind: 'info', text: 'No e-mail is sent: SMTP_URL is not set. Reminders are queued in the outbox and wait there until it is.' }])}
<p>Every day the policy runs (<code>crm reminders run</code>, or the worker at <code>REMINDERS_AT</code>), each open account with an e-mail address and reminders on whose invoices have reached a level gets <strong>one</strong> message: the highest level any of its invoices has reached and was not yet reminded of. It lists every overdue invoice with its days late and the total overdue. An invoice is never reminded of the same level twice, and a reminder is cancelled before sending if the account no longer owes anything overdue.</p>
<details><summary>Placeholders for the subject and text</summary>
<dl class="facts">${Object.entries(PLACEHOLDERS).map(([name, meaning]) => html`<dt><code>{${name}}</code></dt><dd>${meaning}</dd>`)}</dl>
</details>
${problemSummary(problems, ids)}
${form({ action: REMINDERS_PATH, csrfToken, fields: [hiddenField('levels_shown', shown.length), ...groups], submitLabel: 'Save the policy' })}`;
}
