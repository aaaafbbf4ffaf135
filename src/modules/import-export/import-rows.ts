/**
 * One row of an import file, checked with the same rules (and messages) as
 * the account forms, plus the amounts: what a row must say to become an
 * account, and, when it does not, why, with its line number.
 */
import type { z } from 'zod';
import { findControlCharacter } from '../../platform/http/text-hygiene.js';
import { formatCents, parseAmount, type Cents } from '../../shared/money.js';
import { accountDetails, acctidField, DEFAULT_TERMS_DAYS, MAX_TERMS_DAYS, termsDaysText } from '../accounts/index.js';
import { MAX_ENTRY_CENTS } from '../ledger/index.js';

/** A row that cannot be imported, or a problem with the file at that line. */
export interface RowError {
  /** 1-based line of the file where the row starts (the CSV header is line 1). */
  readonly line: number;
  /** The id as the file gives it (trimmed, at most 40 characters), or '' when there is none. */
  readonly acctid: string;
  readonly reason: string;
}

/** A row as read from the file, before checking: each value as the file gives it; absent columns are undefined. */
export interface RawRow {
  readonly line: number;
  readonly acctid?: unknown;
  readonly name?: unknown;
  readonly email?: unknown;
  readonly phone?: unknown;
  readonly terms_days?: unknown;
  readonly paid?: unknown;
  readonly due?: unknown;
}

/** A row that passed every check. Details left undefined are not in the file: a new account gets the default, an existing one keeps its value. */
export interface ImportRow {
  readonly line: number;
  /** Normalised: trimmed, upper-case. */
  readonly acctid: string;
  /** Undefined when the file leaves it blank: a new account is named after its id. */
  readonly name: string | undefined;
  /** null: the file says none (an empty cell); undefined: the file has no such column. */
  readonly email: string | null | undefined;
  readonly phone: string | null | undefined;
  /** Undefined when the file leaves it blank or has no such column: a new account gets the default terms, an existing one keeps its own. */
  readonly termsDays: number | undefined;
  readonly paidCents: Cents;
  readonly dueCents: Cents;
}

const SHOWN_ID_MAX = 40;

/** The id as the file gives it, for a report: a string trimmed and cut, or ''. */
export function shownAcctid(value: unknown): string {
  if (typeof value === 'string') return value.trim().slice(0, SHOWN_ID_MAX);
  if (typeof value === 'number') return String(value).slice(0, SHOWN_ID_MAX);
  return '';
}

/** The highest opening total an import accepts: what one ledger entry may carry (the opening entry carries it). */
export const IMPORT_AMOUNT_MAX = MAX_ENTRY_CENTS;

function amountProblem(column: 'paid' | 'due', value: unknown): { cents: Cents } | { problem: string } {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return { problem: `${column}: the amount is missing.` };
  if (typeof value !== 'string' && typeof value !== 'number') return { problem: `${column}: the amount must be a number like 60.00.` };
  let cents: Cents;
  try {
    cents = parseAmount(value);
  } catch {
    return { problem: `${column}: ${JSON.stringify(typeof value === 'string' ? value.trim().slice(0, 30) : value)} is not an amount like 60.00 (at most two decimals).` };
  }
  if (cents < 0) return { problem: `${column}: the amount cannot be negative.` };
  if (cents > IMPORT_AMOUNT_MAX) return { problem: `${column}: the amount can be at most ${formatCents(IMPORT_AMOUNT_MAX)}.` };
  return { cents };
}

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'This is not valid.';
}

const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Payment terms as the file gives them: digits (a CSV cell, or a JSON number or string, which the reader keeps as text). */
function termsProblem(value: unknown): { days: number | undefined } | { problem: string } {
  if (blank(value)) return { days: undefined };
  const parsed = termsDaysText.safeParse(typeof value === 'number' ? String(value) : value);
  if (parsed.success) return { days: parsed.data };
  const shown = typeof value === 'string' ? JSON.stringify(value.trim().slice(0, 30)) : 'the value';
  return { problem: `terms_days: ${shown} is not a whole number of days from 0 to ${MAX_TERMS_DAYS} (such as ${DEFAULT_TERMS_DAYS}; 0 means due on receipt).` };
}

/**
 * Checks one row: the id (account-form rules), the name (blank: the id),
 * email and phone (blank: none), payment terms (blank: the default for a new
 * account, unchanged for an existing one), and paid and due (non-negative, at
 * most two decimals, at most one ledger entry's limit). Every problem of the
 * row is named in one reason.
 */
export function checkRow(raw: RawRow): ImportRow | RowError {
  const problems: string[] = [];
  // A file's text meets the rule every request's text meets (PostgreSQL refuses a NUL outright).
  const hasControlCharacter = (column: 'name' | 'email' | 'phone'): boolean => {
    const found = findControlCharacter(raw[column], undefined);
    if (found) problems.push(`${column}: ${found.message}`);
    return found !== undefined;
  };
  const id = acctidField.safeParse(typeof raw.acctid === 'number' ? String(raw.acctid) : raw.acctid);
  if (!id.success) problems.push(`acctid: ${firstMessage(id.error)}`);

  let name: string | undefined;
  if (!blank(raw.name) && !hasControlCharacter('name')) {
    const parsed = accountDetails.name.safeParse(raw.name);
    if (parsed.success) name = parsed.data;
    else problems.push(`name: ${firstMessage(parsed.error)}`);
  }
  const optional = (column: 'email' | 'phone'): string | null | undefined => {
    const value = raw[column];
    if (value === undefined || hasControlCharacter(column)) return undefined;
    const parsed = accountDetails[column].safeParse(value);
    if (parsed.success) return parsed.data ?? null;
    problems.push(`${column}: ${firstMessage(parsed.error)}`);
    return undefined;
  };
  const email = optional('email');
  const phone = optional('phone');
  const terms = termsProblem(raw.terms_days);
  if ('problem' in terms) problems.push(terms.problem);
  const paid = amountProblem('paid', raw.paid);
  const due = amountProblem('due', raw.due);
  if ('problem' in paid) problems.push(paid.problem);
  if ('problem' in due) problems.push(due.problem);

  if (problems.length > 0 || !id.success || 'problem' in terms || 'problem' in paid || 'problem' in due) {
    return { line: raw.line, acctid: shownAcctid(raw.acctid), reason: problems.join(' ') };
  }
  return { line: raw.line, acctid: id.data, name, email, phone, termsDays: terms.days, paidCents: paid.cents, dueCents: due.cents };
}

export function isRowError(row: ImportRow | RowError): row is RowError {
  return 'reason' in row;
}
