import escapeHtml from 'escape-html';

/** Marks text that is already safe HTML, so it is not escaped twice. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate; `false`, null and undefined render as nothing. */
export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

/**
 * Tagged template that escapes every interpolated value unless it is
 * SafeHtml (or an array of them), so a page cannot forget to escape.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  let index = 0;
  for (const value of values) {
    out += render(value) + (strings[index + 1] ?? '');
    index += 1;
  }
  return new SafeHtml(out);
}

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'string') return escapeHtml(value);
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value as readonly Interpolation[]) out += render(item);
    return out;
  }
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}
