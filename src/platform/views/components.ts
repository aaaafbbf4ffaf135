/**
 * Small, feature-agnostic view pieces that compose: each returns SafeHtml and
 * escapes everything it is given. Text parameters take a string (escaped) or
 * SafeHtml (kept as is); none takes a string as markup.
 */
import { html, SafeHtml, type Interpolation } from './html.js';
import { icon, type IconName } from './icons.js';

/** Text a component shows: a string or number is escaped, SafeHtml is kept. */
export type Text = string | number | SafeHtml;

/**
 * Checks that a link or form target stays on this site (a path, query or
 * fragment) and returns it. Escaping does not stop `javascript:` in an href,
 * so every href and action a component renders goes through here.
 * @throws Error for a scheme (javascript:, data:, https:) or another host (//host).
 */
export function siteHref(href: string): string {
  // Browsers drop control characters and spaces around a URL and tabs and newlines inside it: look at what they see.
  const seen = [...href].filter((char) => char > ' ').join('');
  const scheme = /^[^/?#]*:/.test(seen);
  const otherHost = /^[/\\]{2}/.test(seen);
  if (scheme || otherHost) throw new Error(`not a link inside this site: ${JSON.stringify(href)}`);
  return href;
}

type AttributeValue = string | number | boolean | undefined;

/** ` name="value"` for each attribute; true renders the bare name, false and undefined render nothing. */
function attributes(attrs: readonly (readonly [name: string, value: AttributeValue])[]): SafeHtml {
  let out = '';
  for (const [name, value] of attrs) {
    if (value === true) out += ` ${name}`;
    else if (value !== undefined && value !== false) out += html` ${new SafeHtml(name)}="${value}"`.value;
  }
  return new SafeHtml(out);
}

/** The non-empty parts, one a line; each is rendered like an interpolation, so a stray string is escaped too. */
function lines(parts: readonly Interpolation[]): SafeHtml {
  let out = '';
  for (const part of parts) {
    const rendered = html`${part}`.value;
    if (rendered !== '') out += out === '' ? rendered : `\n${rendered}`;
  }
  return new SafeHtml(out);
}

export type FieldType = 'text' | 'email' | 'password' | 'search' | 'tel' | 'url' | 'number' | 'date';

export interface FieldOptions {
  readonly name: string;
  readonly label: Text;
  /** Not rendered for a password field, which never echoes what was typed. */
  readonly value?: string | number;
  /** 'text' unless told. */
  readonly type?: FieldType;
  /** Shown under the label; marks the input aria-invalid and describes it. */
  readonly error?: Text;
  readonly required?: boolean;
  readonly maxLength?: number;
  readonly autocomplete?: string;
  /** The keyboard a phone shows: 'numeric' for digits typed into a text input (type="number" would let the browser alter what was typed). */
  readonly inputMode?: 'numeric' | 'decimal';
  readonly hint?: Text;
  /** The input's id (the label's `for`); the name unless told. */
  readonly id?: string;
  readonly autofocus?: boolean;
  /** The earliest and latest value a date or number input offers (the server checks again). */
  readonly min?: string | number;
  readonly max?: string | number;
}

/** The ids of a control's hint and error, and the aria attributes that tie them to it. */
function described(id: string, hint: Text | undefined, error: Text | undefined) {
  if (id === '' || /\s/.test(id)) throw new Error(`a field id must be non-empty without spaces: ${JSON.stringify(id)}`);
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error === undefined ? undefined : `${id}-error`;
  const describedBy = [hintId, errorId].filter((part) => part !== undefined).join(' ');
  const aria: [string, AttributeValue][] = [
    ['aria-invalid', errorId === undefined ? undefined : 'true'],
    ['aria-describedby', describedBy === '' ? undefined : describedBy],
  ];
  return { hintId, errorId, aria };
}

/** The field's wrapper: label, then hint and error, then the control. */
function labelled(id: string, label: Text, hint: Text | undefined, error: Text | undefined, ids: ReturnType<typeof described>, control: SafeHtml): SafeHtml {
  const { hintId, errorId } = ids;
  return html`<div class="${errorId === undefined ? 'field' : 'field field-invalid'}">
${lines([
  html`<label for="${id}">${label}</label>`,
  hintId === undefined ? undefined : html`<p class="hint" id="${hintId}">${hint}</p>`,
  errorId === undefined ? undefined : html`<p class="field-error" id="${errorId}">${error}</p>`,
  control,
])}
</div>`;
}

/**
 * A labelled input. Hint and error sit between label and input with ids
 * `{id}-hint` and `{id}-error`, which the input's aria-describedby names.
 */
export function field(options: FieldOptions): SafeHtml {
  const { name, label, type = 'text', error, hint, required, maxLength, autocomplete, autofocus } = options;
  const id = options.id ?? name;
  const ids = described(id, hint, error);
  const input = html`<input${attributes([
    ['type', type],
    ['id', id],
    ['name', name],
    ['value', type === 'password' ? undefined : options.value],
    ['maxlength', maxLength],
    ['inputmode', options.inputMode],
    ['min', options.min],
    ['max', options.max],
    ['autocomplete', autocomplete],
    ['required', required],
    ['autofocus', autofocus],
    ...ids.aria,
  ])}>`;
  return labelled(id, label, hint, error, ids, input);
}

export interface SelectChoice {
  readonly value: string;
  readonly label: Text;
}

export interface SelectOptions {
  readonly name: string;
  readonly label: Text;
  readonly choices: readonly SelectChoice[];
  /** The choice shown selected; the browser shows the first when none matches. */
  readonly value?: string;
  /** Shown under the label; marks the select aria-invalid and describes it. */
  readonly error?: Text;
  readonly hint?: Text;
  readonly required?: boolean;
  /** The select's id (the label's `for`); the name unless told. */
  readonly id?: string;
  readonly autofocus?: boolean;
}

/** A labelled drop-down list, laid out like field(): label, hint, error, then the select. */
export function select(options: SelectOptions): SafeHtml {
  const { name, label, choices, value, error, hint, required, autofocus } = options;
  if (choices.length === 0) throw new Error(`a select needs at least one choice: ${JSON.stringify(name)}`);
  const id = options.id ?? name;
  const ids = described(id, hint, error);
  const items = choices.map((choice) => html`<option${attributes([['value', choice.value], ['selected', choice.value === value]])}>${choice.label}</option>`);
  const control = html`<select${attributes([['id', id], ['name', name], ['required', required], ['autofocus', autofocus], ...ids.aria])}>
${lines(items)}
</select>`;
  return labelled(id, label, hint, error, ids, control);
}

export function hiddenField(name: string, value: string | number): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

interface FormCommon {
  /** Checked by siteHref. */
  readonly action: string;
  readonly fields: SafeHtml | readonly SafeHtml[];
  readonly submitLabel: Text;
}

/**
 * A POST form always carries the csrf_token (the type demands it). A GET
 * form (a search) takes none: the token would land in the URL, the history
 * and access logs, and the server checks it only on unsafe methods.
 */
export type FormOptions = FormCommon &
  ({ readonly method?: 'post'; readonly csrfToken: string } | { readonly method: 'get'; readonly csrfToken?: undefined });

export function form(options: FormOptions): SafeHtml {
  const method = options.method ?? 'post';
  const token = options.method === 'get' ? undefined : hiddenField('csrf_token', options.csrfToken);
  return html`<form method="${method}" action="${siteHref(options.action)}">
${lines([token, ...(options.fields instanceof SafeHtml ? [options.fields] : options.fields), html`<button type="submit">${options.submitLabel}</button>`])}
</form>`;
}

export interface Column<Row> {
  readonly header: Text;
  /** The cell's content; strings are escaped like any interpolation. */
  readonly cell: (row: Row) => Interpolation;
  /** Right-aligned with tabular figures. */
  readonly numeric?: boolean;
  /** The cell names its row: `<th scope="row">`. */
  readonly rowHeader?: boolean;
}

export interface TableOptions<Row> {
  readonly caption: Text;
  readonly columns: readonly Column<Row>[];
  readonly rows: readonly Row[];
  /** Shown in one row across all columns when there are no rows. */
  readonly empty: Text;
  /** On a phone each row becomes a card titled by its row header, each other cell labelled with its column's header (data-label, read by crm.css). */
  readonly stacked?: boolean;
}

export function table<Row>({ caption, columns, rows, empty, stacked = false }: TableOptions<Row>): SafeHtml {
  if (columns.length === 0) throw new Error('a table needs at least one column');
  const label = (column: Column<Row>) => (stacked && typeof column.header === 'string' ? html` data-label="${column.header}"` : '');
  const numeric = (column: Column<Row>) => html`${column.numeric ? html` class="num"` : ''}${label(column)}`;
  const head = columns.map((column) => html`<th scope="col"${column.numeric ? html` class="num"` : ''}>${column.header}</th>`);
  const body =
    rows.length === 0
      ? [html`<tr class="empty"><td colspan="${columns.length}">${empty}</td></tr>`]
      : rows.map(
          (row) =>
            html`<tr>${columns.map((column) =>
              column.rowHeader
                ? html`<th scope="row"${column.numeric ? html` class="num"` : ''}>${column.cell(row)}</th>`
                : html`<td${numeric(column)}>${column.cell(row)}</td>`,
            )}</tr>`,
        );
  return html`<table${stacked ? html` class="stacked"` : ''}>
<caption>${caption}</caption>
<thead>
<tr>${head}</tr>
</thead>
<tbody>
${lines(body)}
</tbody>
</table>`;
}

/** How many pages `total` items fill, at least 1 (an empty list is one empty page). */
export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

export interface PagerOptions {
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
  /** The link to a page; checked by siteHref. */
  readonly href: (page: number) => string;
}

/**
 * "Page 2 of 7" between Previous and Next links (rel=prev/next); at either
 * end the missing link is plain text. Past the last page, Previous goes to
 * the last page.
 * @throws RangeError unless page and pageSize are integers >= 1 and total an integer >= 0.
 */
export function pager({ page, pageSize, total, href }: PagerOptions): SafeHtml {
  for (const [name, value, min] of [['page', page, 1], ['pageSize', pageSize, 1], ['total', total, 0]] as const) {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`pager: ${name} must be an integer >= ${min}, got ${value}`);
  }
  const pages = pageCount(total, pageSize);
  const link = (target: number, rel: 'prev' | 'next', label: string) => html`<a href="${siteHref(href(target))}" rel="${rel}">${label}</a>`;
  const disabled = (label: string) => html`<span class="pager-disabled">${label}</span>`;
  const previous = page > 1 ? link(Math.min(page - 1, pages), 'prev', 'Previous') : disabled('Previous');
  const next = page < pages ? link(page + 1, 'next', 'Next') : disabled('Next');
  return html`<nav class="pager" aria-label="Pagination">
${previous}
<span class="pager-status">Page ${page} of ${pages}</span>
${next}
</nav>`;
}

export type FlashKind = 'success' | 'error' | 'info';

export interface FlashMessage {
  readonly kind: FlashKind;
  readonly text: Text;
}

const FLASH_ICONS: Readonly<Record<FlashKind, IconName>> = { success: 'circle-check', error: 'circle-alert', info: 'info' };

/** One box per message, with an icon of its kind; the text is the live region (errors role=alert, success and info role=status). Nothing for no messages. */
export function flash(messages: readonly FlashMessage[]): SafeHtml {
  return lines(
    messages.map(
      ({ kind, text }) => html`<div class="flash flash-${kind}">${icon(FLASH_ICONS[kind])}<div role="${kind === 'error' ? 'alert' : 'status'}">${text}</div></div>`,
    ),
  );
}

/** How a status pill reads at a glance; the words say what it means, the colour only repeats it. */
export type PillTone = 'success' | 'neutral' | 'info' | 'warning' | 'danger';

/** A short status in a rounded label: "Open", "Paid", "12 days late". */
export function pill(text: Text, tone: PillTone = 'neutral'): SafeHtml {
  return html`<span class="pill pill-${tone}">${text}</span>`;
}

export interface FieldError {
  /** The id of the input at fault (a field's id, by default its name): the message links to it. */
  readonly field?: string;
  readonly message: Text;
}

/** The form's errors in one list at its top, each linking to its input. Nothing for no errors. */
export function errorSummary(errors: readonly FieldError[], title: Text = 'There is a problem'): SafeHtml {
  if (errors.length === 0) return html``;
  const items = errors.map(({ field: id, message }) =>
    id === undefined ? html`<li>${message}</li>` : html`<li><a href="#${id}">${message}</a></li>`,
  );
  return html`<div class="error-summary" role="alert">
<h2>${title}</h2>
<ul>
${lines(items)}
</ul>
</div>`;
}

/**
 * A wide table that may scroll sideways inside the page: the region takes
 * focus (tabindex=0) so a keyboard can scroll it, and is named by the
 * heading whose id is `labelledBy`.
 */
export function scrollRegion(labelledBy: string, content: SafeHtml, className?: string): SafeHtml {
  return html`<div class="${className === undefined ? 'table-scroll' : `table-scroll ${className}`}" role="group" aria-labelledby="${labelledBy}" tabindex="0">
${content}
</div>`;
}
