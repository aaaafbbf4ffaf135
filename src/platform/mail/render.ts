import { html, type SafeHtml } from '../views/html.js';

/** What a message says; every string is plain text (the HTML part escapes it). */
export interface MailContent {
  /** Who signs it: the company's name and address lines. */
  readonly company: { readonly name: string; readonly address: readonly string[] };
  /** "Dear Ms Smith,"; none: the message starts with its first paragraph. */
  readonly greeting?: string | undefined;
  readonly paragraphs: readonly string[];
  readonly table?: { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] } | undefined;
  readonly link?: { readonly href: string; readonly text: string } | undefined;
}

/** Cells that read as amounts or counts ("1,234.50 USD", "-12", "45 days") sit right in their column. */
function isNumeric(cell: string): boolean {
  const [figure = '', unit, ...rest] = cell.trim().split(' ');
  return /^[-−+]?\d[\d.,]*$/u.test(figure) && (unit === undefined || /^[A-Za-z]+$/.test(unit)) && rest.length === 0;
}

function numericColumns(rows: readonly (readonly string[])[], width: number): boolean[] {
  return Array.from({ length: width }, (_, column) => rows.length > 0 && rows.every((row) => isNumeric(row[column] ?? '')));
}

function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = numericColumns(rows, head.length);
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    head.map((_, column) => (right[column] ? (cells[column] ?? '').padStart(widths[column] ?? 0) : (cells[column] ?? '').padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function htmlTable(head: readonly string[], rows: readonly (readonly string[])[]): SafeHtml {
  const right = numericColumns(rows, head.length);
  const align = (column: number) => (right[column] ? 'right' : 'left');
  const cell = 'padding:6px 10px;border-bottom:1px solid #d8dde3;';
  return html`<table role="presentation" style="border-collapse:collapse;margin:16px 0;font-size:14px;">
<thead><tr>${head.map((title, column) => html`<th style="${cell}text-align:${align(column)};font-weight:600;">${title}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${head.map((_, column) => html`<td style="${cell}text-align:${align(column)};">${row[column] ?? ''}</td>`)}</tr>`)}</tbody>
</table>`;
}

/**
 * One message as its two parts: plain text, and HTML whose every value is
 * escaped (the content is data, some of it typed by customers and staff).
 * Both end with the company's name and address.
 */
export function renderMail(content: MailContent): { text: string; html: string } {
  const { company, greeting, paragraphs, table, link } = content;
  const text = [
    ...(greeting ? [greeting] : []),
    ...paragraphs,
    ...(table ? [textTable(table.head, table.rows)] : []),
    ...(link ? [`${link.text}:\n${link.href}`] : []),
    [company.name, ...company.address].join('\n'),
  ].join('\n\n');

  const paragraph = (words: string) => html`<p style="margin:0 0 14px;">${words}</p>`;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${company.name}</title></head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1d2733;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:15px;line-height:1.5;">
<div style="max-width:640px;">
${greeting ? paragraph(greeting) : ''}
${paragraphs.map(paragraph)}
${table ? htmlTable(table.head, table.rows) : ''}
${link ? html`<p style="margin:18px 0;"><a href="${link.href}" style="color:#0b5cad;font-weight:600;">${link.text}</a></p>` : ''}
<p style="margin:24px 0 0;color:#4a5563;font-size:13px;">${company.name}${company.address.map((line) => html`<br>${line}`)}</p>
</div>
</body></html>
`;
  return { text, html: page.value };
}
