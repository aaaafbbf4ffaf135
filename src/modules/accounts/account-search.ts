import { z } from 'zod';
import { sql, type SqlBool } from 'kysely';
import { keysetAfter } from '../../platform/db/dialect.js';
import { AppError } from '../../shared/errors.js';
import { centsFromColumn } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import type { AccountDetails } from './account.js';
import { ACCOUNT_COLUMNS, toAccountDetails } from './account.repository.js';
import { queryWords } from './search-terms.js';

/**
 * The account list's search, filters, sort and keyset pages, shared by the
 * page and the API. Every combination reads a bounded number of index rows
 * (see searchAccounts): no OFFSET, no count of all matches.
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

type SortColumn = 'acctid' | 'sort_name' | 'balance_cents';
const SORT_COLUMNS: Readonly<Record<AccountSort, SortColumn>> = { acctid: 'acctid', name: 'sort_name', balance: 'balance_cents' };

/**
 * How many index rows one request reads at most to fill its page (a page's
 * worth at least): a search whose filter or further words reject most of what
 * it reads stops there and hands back a cursor to continue, instead of reading
 * the whole index. Also the most matches of a word that are sorted whole.
 */
export const SCAN_ROWS = 1000;

/** SCAN_ROWS for both unless said otherwise (tests reach either way with a few accounts). */
export interface ScanBounds {
  /** A word matching at most this many accounts has them checked and sorted whole. */
  readonly sortWholeUpTo?: number;
  /** Index rows a page reads (a page's worth at least) before it stops early. */
  readonly readUpTo?: number;
}

/** Where the next page starts: the last row's sort value and id, opaque to clients. */
function encodeCursor(sort: AccountSort, [value, acctid]: Key): string {
  return Buffer.from(JSON.stringify([sort, value, acctid])).toString('base64url');
}

function decodeCursor(cursor: string, sort: AccountSort): Key {
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
  /** The page stopped at the read bound (SCAN_ROWS) before it was full: more may match after it. */
  readonly stoppedEarly: boolean;
}

type Key = readonly [value: string | number, acctid: string];

/** Where a page's keys are read from, in the requested order, and what each account read must also pass. */
interface Plan {
  readonly source: 'account' | 'account_search_term';
  /** The word whose term rows are read (source account_search_term). */
  readonly term?: string;
  readonly column: SortColumn;
  /** A balance filter read as a range of the (balance_cents, acctid) index. */
  readonly range?: BalanceFilter;
  readonly check: Check;
}

/** What is checked on each account read, by primary key: a filter, and words it must also have. */
interface Check {
  readonly filter: AccountFilter;
  readonly words: readonly string[];
}

type BalanceFilter = 'owing' | 'overpaid' | 'settled';
const BALANCE_OPERATORS: Readonly<Record<BalanceFilter, '>' | '<' | '='>> = { owing: '>', overpaid: '<', settled: '=' };
const isBalanceFilter = (filter: AccountFilter): filter is BalanceFilter => filter in BALANCE_OPERATORS;

/**
 * One page of accounts. Whatever the search's selectivity and sort, it reads
 * a bounded number of index rows, never all the matches:
 * - Without words: the account index of the sort (a balance filter as its range).
 * - With words, the longest (usually the narrowest) drives. Its first
 *   SCAN_ROWS + 1 term rows are read: when that is all of them, those
 *   accounts are checked and sorted whole (exact, full pages). Otherwise the
 *   word is common and the page follows an index in the requested order: its
 *   term rows by (term, acctid) or (term, sort_name, acctid); by balance, the
 *   account index (balance_cents, acctid), the word checked by primary key.
 * What is checked after reading (filters, further words, the word when
 * reading by balance) may reject rows; after SCAN_ROWS of them the page ends
 * early, with a cursor where the reading stopped (`stoppedEarly`).
 */
export async function searchAccounts(db: Queryable, search: AccountSearch, bounds: ScanBounds = {}): Promise<AccountPage> {
  const { sortWholeUpTo = SCAN_ROWS, readUpTo = SCAN_ROWS } = bounds;
  const { q = '', filter, sort, cursor } = search;
  const after = cursor === undefined ? undefined : decodeCursor(cursor, sort);
  const [driver, ...others] = [...queryWords(q)].sort((a, b) => [...b].length - [...a].length);
  const column = SORT_COLUMNS[sort];
  if (driver === undefined || sort === 'balance') {
    const range = sort === 'balance' && isBalanceFilter(filter) ? filter : undefined;
    const check = { filter: range === undefined ? filter : 'all', words: driver === undefined ? [] : [driver, ...others] } as const;
    if (driver !== undefined) {
      const few = await allMatches(db, driver, sortWholeUpTo);
      if (few) return sortWhole(db, search, after, few, { filter, words: others });
    }
    return readInOrder(db, { source: 'account', column, ...(range ? { range } : {}), check }, search, after, readUpTo);
  }
  const few = await allMatches(db, driver, sortWholeUpTo);
  if (few) return sortWhole(db, search, after, few, { filter, words: others });
  return readInOrder(db, { source: 'account_search_term', term: driver, column, check: { filter, words: others } }, search, after, readUpTo);
}

/** The ids of the accounts `word` matches, when there are at most `most` (read from the primary key (term, acctid)). */
async function allMatches(db: Queryable, word: string, most: number): Promise<string[] | undefined> {
  const rows = await db.selectFrom('account_search_term').select('acctid').where('term', '=', word).limit(most + 1).execute();
  return rows.length > most ? undefined : rows.map((row) => row.acctid);
}

/** These accounts (by primary key) that pass the check. */
function checked(db: Queryable, acctids: readonly string[], { filter, words }: Check) {
  let query = db.selectFrom('account').select(ACCOUNT_COLUMNS).select('sort_name').where('acctid', 'in', acctids);
  if (filter === 'open') query = query.where('closed_at', 'is', null);
  if (filter === 'closed') query = query.where('closed_at', 'is not', null);
  if (isBalanceFilter(filter)) query = query.where('balance_cents', BALANCE_OPERATORS[filter], 0);
  for (const word of words) {
    query = query.where((eb) => eb.exists(eb.selectFrom('account_search_term as t').select('t.acctid').where('t.term', '=', word).whereRef('t.acctid', '=', 'account.acctid')));
  }
  return query;
}

/** A few matches (at most SCAN_ROWS), checked and sorted whole: one page of them. */
async function sortWhole(db: Queryable, search: AccountSearch, after: Key | undefined, acctids: readonly string[], check: Check): Promise<AccountPage> {
  const { sort, dir, limit } = search;
  if (acctids.length === 0) return { accounts: [], nextCursor: null, stoppedEarly: false };
  const column = SORT_COLUMNS[sort];
  let query = checked(db, acctids, check);
  if (after !== undefined) query = query.where(keysetAfter(db, column, 'acctid', after, dir === 'desc'));
  if (column !== 'acctid') query = query.orderBy(column, dir);
  const rows = await query.orderBy('acctid', dir).limit(limit + 1).execute();
  const last = rows[limit - 1];
  return {
    accounts: rows.slice(0, limit).map(toAccountDetails),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, [column === 'balance_cents' ? centsFromColumn(last.balance_cents) : last[column], last.acctid]) : null,
    stoppedEarly: false,
  };
}

/**
 * Keys in the requested order, a growing batch at a time, each batch's
 * accounts checked by primary key, until the page is full, the index ends or
 * SCAN_ROWS keys were read.
 */
async function readInOrder(db: Queryable, plan: Plan, search: AccountSearch, after: Key | undefined, readUpTo: number): Promise<AccountPage> {
  const { sort, limit } = search;
  const found: { account: AccountDetails; key: Key }[] = [];
  let from = after;
  let read = 0;
  for (let batch = limit + 1; ; batch = Math.max(1, Math.min(batch * 2, readUpTo - read))) {
    const keys = await readKeys(db, plan, search.dir === 'desc', from, batch);
    read += keys.length;
    const rows = keys.length === 0 ? [] : await checked(db, keys.map(([, acctid]) => acctid), plan.check).execute();
    const byId = new Map(rows.map((row) => [row.acctid, row]));
    for (const key of keys) {
      const row = byId.get(key[1]);
      if (row) found.push({ account: toAccountDetails(row), key });
      if (found.length > limit) return { accounts: found.slice(0, limit).map((f) => f.account), nextCursor: encodeCursor(sort, found[limit - 1]!.key), stoppedEarly: false };
    }
    const accounts = found.map((f) => f.account);
    if (keys.length < batch) return { accounts, nextCursor: null, stoppedEarly: false };
    from = keys.at(-1)!;
    if (read >= readUpTo) return { accounts, nextCursor: encodeCursor(sort, from), stoppedEarly: true };
  }
}

/** `count` keys (sort value, id) after `from`, read from the plan's index in its order. */
async function readKeys(db: Queryable, plan: Plan, descending: boolean, from: Key | undefined, count: number): Promise<Key[]> {
  const direction = sql.raw(descending ? 'desc' : 'asc');
  const conditions = [
    ...(plan.term === undefined ? [] : [sql<SqlBool>`term = ${plan.term}`]),
    ...(plan.range === undefined ? [] : [sql<SqlBool>`balance_cents ${sql.raw(BALANCE_OPERATORS[plan.range])} 0`]),
    ...(from === undefined ? [] : [keysetAfter(db, plan.column, 'acctid', from, descending)]),
  ];
  const order = plan.column === 'acctid' ? sql`acctid ${direction}` : sql`${sql.ref(plan.column)} ${direction}, acctid ${direction}`;
  const { rows } = await sql<{ acctid: string; value: string | number | bigint }>`
    select acctid, ${sql.ref(plan.column)} as value from ${sql.table(plan.source)}
    ${conditions.length === 0 ? sql`` : sql`where ${sql.join(conditions, sql` and `)}`}
    order by ${order} limit ${count}`.execute(db);
  return rows.map((row) => [plan.column === 'balance_cents' ? centsFromColumn(row.value) : String(row.value), row.acctid]);
}
