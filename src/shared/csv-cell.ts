/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or carriage
 * return) as a formula. The CSV export writes such text with a leading `'`
 * (and doubles a leading `'`), which spreadsheets show as text; the import
 * takes it off again, so an export re-imports unchanged.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

export function protectCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function unprotectCell(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}
