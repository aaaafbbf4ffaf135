/**
 * Every account as CSV or JSON, streamed: `crm export` and the admin
 * download both iterate exportAccounts, which yields text a page at a time.
 *
 * Paging: keyset pages ordered by acctid (`where acctid > last order by
 * acctid limit 1000`) on all three databases, rather than a server-side
 * cursor (pg-cursor on PostgreSQL, Kysely's .stream() elsewhere). Each page
 * is one short, bounded query on the primary key, so memory is one page
 * whatever the table's size, no connection or transaction is held between
 * pages (a slow reader of the download holds nothing), every query stays
 * under the statement timeout, and the code is the same everywhere. The
 * price: it is not one snapshot; an account changed during the export shows
 * as it is when its page is read.
 */
import { stringify } from 'csv-stringify/sync';
import { centsFromColumn, formatCents, subtractCents, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import { protectCell } from '../../shared/csv-cell.js';

export type ExportFormat = 'csv' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json'];

/** The CSV columns, in order; the JSON objects have the same fields plus paid_cents, due_cents and balance_cents. */
export const EXPORT_COLUMNS = ['acctid', 'name', 'email', 'phone', 'terms_days', 'paid', 'due', 'balance', 'status'] as const;

export const EXPORT_PAGE_SIZE = 1000;

export interface ExportOptions {
  readonly format: ExportFormat;
  readonly pageSize?: number;
  /** After each page: the accounts written so far. */
  readonly onProgress?: (accounts: number) => void;
}

/** Cents as the files write them: "60.00", "-10.00" (no currency). */
export function plainAmount(cents: Cents): string {
  return formatCents(cents).split(' ')[0] ?? '';
}

export interface ExportedAccount {
  readonly acctid: string;
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** Payment terms in days (a number in JSON, digits in CSV). */
  readonly terms_days: number;
  readonly paid: string;
  readonly due: string;
  readonly balance: string;
  readonly status: 'open' | 'closed';
  readonly paid_cents: Cents;
  readonly due_cents: Cents;
  readonly balance_cents: Cents;
}

/** One page of accounts after `after` (in acctid order). */
async function page(db: Queryable, after: string | undefined, size: number): Promise<ExportedAccount[]> {
  let query = db.selectFrom('account').select(['acctid', 'name', 'email', 'phone', 'terms_days', 'paid_cents', 'due_cents', 'closed_at']);
  if (after !== undefined) query = query.where('acctid', '>', after);
  const rows = await query.orderBy('acctid').limit(size).execute();
  return rows.map((row) => {
    const paid = centsFromColumn(row.paid_cents);
    const due = centsFromColumn(row.due_cents);
    const balance = subtractCents(due, paid);
    return {
      acctid: row.acctid,
      name: row.name,
      email: row.email,
      phone: row.phone,
      terms_days: Number(row.terms_days),
      paid: plainAmount(paid),
      due: plainAmount(due),
      balance: plainAmount(balance),
      status: row.closed_at === null ? 'open' : 'closed',
      paid_cents: paid,
      due_cents: due,
      balance_cents: balance,
    };
  });
}

function csvRecord(account: ExportedAccount): string[] {
  return [
    account.acctid,
    protectCell(account.name),
    protectCell(account.email ?? ''),
    protectCell(account.phone ?? ''),
    String(account.terms_days),
    account.paid,
    account.due,
    account.balance,
    account.status,
  ];
}

/**
 * The export as text chunks (one per page): CSV with a header line, or a
 * JSON array with one object per line. Amounts are "60.00" strings, so
 * nothing passes through a float; the CSV re-imports with `crm import`.
 */
export async function* exportAccounts(db: Queryable, { format, pageSize = EXPORT_PAGE_SIZE, onProgress }: ExportOptions): AsyncGenerator<string> {
  let after: string | undefined;
  let count = 0;
  // The header goes out with the first page: a failing database fails before anything is sent.
  let head = format === 'csv' ? stringify([[...EXPORT_COLUMNS]]) : '[';
  for (;;) {
    const accounts = await page(db, after, pageSize);
    if (accounts.length > 0) {
      const text = format === 'csv' ? stringify(accounts.map(csvRecord)) : accounts.map((account, index) => `${count + index === 0 ? '\n' : ',\n'}${JSON.stringify(account)}`).join('');
      yield head + text;
      head = '';
      count += accounts.length;
      after = accounts.at(-1)?.acctid;
      onProgress?.(count);
    }
    if (accounts.length < pageSize) break;
  }
  if (head !== '') yield head;
  if (format === 'json') yield count === 0 ? ']\n' : '\n]\n';
}
