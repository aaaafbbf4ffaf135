import type { Kysely } from 'kysely';
import { addDays, isIsoDate, type IsoDate } from '../../shared/dates.js';
import { FieldsError } from '../../shared/errors.js';
import { addCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { requireAccount } from '../accounts/index.js';
import { accountAging, balanceEffect, balancesAsOf, entriesInPeriod, type AgingFigures, type EntryKind, type LedgerEntry, type OpenInvoice } from '../ledger/index.js';

/**
 * A customer statement: what an account owed at the start of a period, every
 * entry dated in it with the running balance in date order, what it owed at
 * the end, and how late that was (aging and open invoices as of the last day).
 */

/**
 * The most entries one statement lists. A period with more is refused
 * (STATEMENT_TOO_LONG) rather than paged: a statement is one document whose
 * opening and closing balances frame every line, and this bound keeps one
 * request (and one PDF, about 25 pages) from loading unbounded history.
 */
export const STATEMENT_MAX_ENTRIES = 1000;

export interface StatementPeriod {
  /** The first day, included. */
  readonly from: IsoDate;
  /** The last day, included: the statement's date, and what aging is as of. */
  readonly to: IsoDate;
}

/** One entry of the period, with the account's balance just after it in date order. */
export interface StatementLine {
  readonly id: number;
  readonly kind: EntryKind;
  readonly effectiveOn: IsoDate;
  readonly dueOn: IsoDate | null;
  readonly reference: string | null;
  readonly memo: string;
  /** As recorded: payments and charges positive, adjustments signed. */
  readonly amountCents: Cents;
  /** The balance after this entry when the period's entries are taken by date, then id. */
  readonly balanceAfterCents: Cents;
}

export interface Statement {
  readonly account: { readonly acctid: string; readonly name: string };
  readonly period: StatementPeriod;
  /** The balance of every entry dated before `from`. */
  readonly openingBalanceCents: Cents;
  readonly lines: readonly StatementLine[];
  /** Opening plus the period's entries: the balance of every entry dated on or before `to`. */
  readonly closingBalanceCents: Cents;
  /** As of `to`. */
  readonly aging: AgingFigures;
  /** As of `to`, oldest due first. */
  readonly openInvoices: readonly OpenInvoice[];
}

// ---------------------------------------------------------------- the period

export type PeriodField = 'from' | 'to';
export type PeriodRule = 'not-a-date' | 'in-future' | 'after-to';

export interface BrokenPeriodRule {
  readonly field: PeriodField;
  readonly rule: PeriodRule;
}

/** The first day of the month `date` is in. */
export function firstOfMonth(date: IsoDate): IsoDate {
  return `${date.slice(0, 8)}01`;
}

/**
 * The period a request asks for, with its defaults (to: today; from: the
 * first day of to's month), or every rule it breaks: each date must be a real
 * day, `to` not after today, `from` not after `to`.
 */
export function statementPeriod(asked: { readonly from?: string | undefined; readonly to?: string | undefined }, today: IsoDate): { period: StatementPeriod; broken: [] } | { period?: undefined; broken: BrokenPeriodRule[] } {
  const broken: BrokenPeriodRule[] = [];
  if (asked.to !== undefined && !isIsoDate(asked.to)) broken.push({ field: 'to', rule: 'not-a-date' });
  else if (asked.to !== undefined && asked.to > today) broken.push({ field: 'to', rule: 'in-future' });
  if (asked.from !== undefined && !isIsoDate(asked.from)) broken.push({ field: 'from', rule: 'not-a-date' });
  if (broken.length > 0) return { broken };
  const to = asked.to ?? today;
  const from = asked.from ?? firstOfMonth(to);
  if (from > to) return { broken: [{ field: 'from', rule: 'after-to' }] };
  return { period: { from, to }, broken: [] };
}

/** How a rule reads, with the field named as the door names it ("from", "The start date"). */
export function periodRuleMessage({ rule }: BrokenPeriodRule, name: string, today: IsoDate, to?: string): string {
  switch (rule) {
    case 'not-a-date':
      return `${name} must be a real calendar day, written YYYY-MM-DD (like 2026-11-30).`;
    case 'in-future':
      return `${name} cannot be in the future: a statement ends today (${today}) at the latest.`;
    case 'after-to':
      return `${name} must be on or before the end of the period${to === undefined ? '' : ` (${to})`}.`;
  }
}

/** The refusal of a period with more entries than a statement lists, naming `field` (how the door calls `from`). */
export function statementTooLong(period: StatementPeriod, field: string): FieldsError {
  return new FieldsError(422, 'STATEMENT_TOO_LONG', {
    [field]: `The period ${period.from} to ${period.to} has more than ${STATEMENT_MAX_ENTRIES.toLocaleString('en-US')} entries, more than one statement lists. Choose a shorter period (a later start).`,
  });
}

// ---------------------------------------------------------------- reading one

/** The lines of a period in date order, each with the running balance from `opening`. */
export function statementLines(opening: Cents, entries: readonly LedgerEntry[]): { lines: StatementLine[]; closing: Cents } {
  let balance = opening;
  const lines = entries.map(({ id, kind, effectiveOn, dueOn, reference, memo, amountCents }) => {
    balance = addCents(balance, balanceEffect(kind, amountCents));
    return { id, kind, effectiveOn, dueOn, reference, memo, amountCents, balanceAfterCents: balance };
  });
  return { lines, closing: balance };
}

/** The statement of an account whose opening balance is known, read with the queries given (a transaction's). */
export async function statementFrom(trx: Queryable, account: Statement['account'], openingBalanceCents: Cents, period: StatementPeriod, tooLongField: string): Promise<Statement> {
  const { entries, hasMore } = await entriesInPeriod(trx, account.acctid, { ...period, limit: STATEMENT_MAX_ENTRIES });
  if (hasMore) throw statementTooLong(period, tooLongField);
  const { lines, closing } = statementLines(openingBalanceCents, entries);
  const { aging, openInvoices } = await accountAging(trx, account.acctid, period.to);
  return { account, period, openingBalanceCents, lines, closingBalanceCents: closing, aging, openInvoices };
}

/** The day before the period: the opening balance is the balance as of it. */
export function openingDay(period: StatementPeriod): IsoDate {
  return addDays(period.from, -1);
}

/** One account's statement, read with the queries given (a transaction's). */
export async function statementIn(trx: Queryable, acctid: string, period: StatementPeriod, tooLongField: string): Promise<Statement> {
  const { name } = await requireAccount(trx, acctid);
  const opening = (await balancesAsOf(trx, [acctid], openingDay(period))).get(acctid) ?? ZERO_CENTS;
  return statementFrom(trx, { acctid, name }, opening, period, tooLongField);
}

/**
 * An account's statement for a period, read in one repeatable-read
 * transaction: an entry recorded meanwhile is in every figure or in none, so
 * the closing balance and the aging total always agree.
 * @throws AppError 404 for an unknown account; FieldsError 422 (STATEMENT_TOO_LONG, naming `tooLongField`) for a period with too many entries.
 */
export function readStatement(db: Kysely<Database>, acctid: string, period: StatementPeriod, tooLongField = 'from'): Promise<Statement> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => statementIn(trx, acctid, period, tooLongField));
}
