import { z } from 'zod';
import { sql } from 'kysely';
import { keysetAfter } from '../../platform/db/dialect.js';
import { AppError } from '../../shared/errors.js';
import type { Queryable } from '../../schema.js';
import { ACCOUNT_COLUMNS, toAccountDetails, type AccountDetails } from './accounts.service.js';
import { queryWords } from './search-terms.js';

/**
 * The account list's search, filters, sort and keyset pages, shared by the
 * page and the API. Every combination reads an index in order and stops after
 * one page: no OFFSET, no count of all matches.
 */
export const ACCOUNT_FILTERS = ['all', 'open', 'owing', 'overpaid', 'settled', 'closed'] as const;
export const ACCOUNT_SORTS = ['acctid', 'name', 'balance'] as const;
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;
export type AccountFilter = (typeof ACCOUNT_FILTERS)[number];
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

export const PAGE_SIZE_DEFAULT = 25;
export const PAGE_SIZE_MAX = 200;

/** The query string of the list page and of GET /api/v1/accounts (unknown parameters are refused). */
export const accountSearchQuery = z.strictObject({
  q: z.string().max(200, 'The search can be at most 200 characters.').optional().describe('An id prefix or the starts of name words; case and accents ignored.'),
  filter: z.enum(ACCOUNT_FILTERS, { error: `The filter must be one of: ${ACCOUNT_FILTERS.join(', ')}.` }).default('all'),
  sort: z.enum(ACCOUNT_SORTS, { error: `Sort by one of: ${ACCOUNT_SORTS.join(', ')}.` }).default('acctid'),
  dir: z.enum(SORT_DIRECTIONS, { error: 'The direction must be asc or desc.' }).default('asc'),
  limit: z.coerce
    .number({ error: 'The limit must be a number.' })
    .int('The limit must be a whole number.')
    .min(1, 'The limit must be at least 1.')
    .max(PAGE_SIZE_MAX, `The limit can be at most ${PAGE_SIZE_MAX}.`)
    .default(PAGE_SIZE_DEFAULT),
  cursor: z.string().max(400, 'This page link is not valid.').optional().describe('From the previous page\'s "next" link.'),
});
export type AccountSearch = z.output<typeof accountSearchQuery>;

const SORT_COLUMNS: Readonly<Record<AccountSort, 'acctid' | 'sort_name' | 'balance_cents'>> = { acctid: 'acctid', name: 'sort_name', balance: 'balance_cents' };

/** Where the next page starts: the last row's sort value and id, opaque to clients. */
function encodeCursor(sort: AccountSort, value: string | number, acctid: string): string {
  return Buffer.from(JSON.stringify([sort, value, acctid])).toString('base64url');
}

function decodeCursor(cursor: string, sort: AccountSort): readonly [string | number, string] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 3 && decoded[0] === sort && typeof decoded[2] === 'string') {
      const [, value, acctid] = decoded as [string, unknown, string];
      if (sort === 'balance' ? Number.isSafeInteger(value) : typeof value === 'string') return [value as string | number, acctid];
    }
  } catch {
    // Refused below, like any other cursor that is not ours.
  }
  throw new AppError(400, 'INVALID_CURSOR', 'This page link is not valid (it belongs to another sort or was changed). Start again from the first page.');
}

export interface AccountPage {
  readonly accounts: AccountDetails[];
  /** The cursor of the next page, or null after the last. */
  readonly nextCursor: string | null;
}

/**
 * Without words: the account table, read along the index of the sort.
 * With words: driven by the first word's term rows, which the primary key
 * (term, acctid) keeps in id order, each further word checked by primary key;
 * sorted by id, a page reads one page of rows however many accounts match.
 * Sorting matches by name or balance sorts all the matches (fine for the
 * specific searches people make, slower for one letter at a million rows).
 */
export async function searchAccounts(db: Queryable, search: AccountSearch): Promise<AccountPage> {
  const { q = '', filter, sort, dir, limit, cursor } = search;
  const descending = dir === 'desc';
  const [first, ...others] = queryWords(q);
  const byId = sort === 'acctid';
  let query = (
    first === undefined
      ? db.selectFrom('account')
      : db
          .selectFrom('account_search_term as t0')
          .innerJoin('account', 'account.acctid', 't0.acctid')
          .where('t0.term', '=', first)
  ).select(ACCOUNT_COLUMNS.map((column) => `account.${column}` as const)).select('account.sort_name');
  // Ordered by the driving table's id when searching: the index order, no sort step.
  const idColumn = first !== undefined && byId ? 't0.acctid' : 'account.acctid';
  const column = byId ? idColumn : `account.${SORT_COLUMNS[sort]}`;
  for (const word of others) {
    query = query.where((eb) => eb.exists(eb.selectFrom('account_search_term as t').select('t.acctid').where('t.term', '=', word).whereRef('t.acctid', '=', 'account.acctid')));
  }
  if (filter === 'open') query = query.where('account.closed_at', 'is', null);
  if (filter === 'closed') query = query.where('account.closed_at', 'is not', null);
  if (filter === 'owing') query = query.where('account.balance_cents', '>', 0);
  if (filter === 'overpaid') query = query.where('account.balance_cents', '<', 0);
  if (filter === 'settled') query = query.where('account.balance_cents', '=', 0);
  if (cursor !== undefined) query = query.where(keysetAfter(db, column, idColumn, decodeCursor(cursor, sort), descending));
  if (!byId) query = query.orderBy(sql.ref(column), dir);
  const rows = await query.orderBy(sql.ref(idColumn), dir).limit(limit + 1).execute();
  const accounts = rows.slice(0, limit).map(toAccountDetails);
  const last = accounts.at(-1);
  const lastValue = last && (sort === 'balance' ? last.balanceCents : sort === 'name' ? (rows[limit - 1]?.sort_name ?? '') : last.acctid);
  return { accounts, nextCursor: rows.length > limit && last && lastValue !== undefined ? encodeCursor(sort, lastValue, last.acctid) : null };
}
