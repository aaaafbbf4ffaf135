import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { computedOnce, dialectOf, exactSumOf, groupByWithTotal, keysetAfter } from '../../platform/db/dialect.js';
import type { IsoDate } from '../../shared/dates.js';
import { addCents, centsFromColumn, negateCents, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import { AGING_BUCKETS, bucketOf, bucketStarts, ZERO_AGING, type AgingFigures } from '../ledger/index.js';

/**
 * Aging over every account as of a day D, exact in integer cents (one
 * account's figures are Cents; sums over accounts are bigint, read from the
 * database as digits). Two ways to the same figures as accountAging():
 * - Today (D is today in the business time zone): every allocation is
 *   already dated, so what is open is `open_cents` of the unsettled items
 *   (index open_item_open). The cost grows with what is open, not with
 *   history; an account's total is its balance_cents, so the report pages
 *   accounts on the (balance_cents, acctid) index.
 * - A past D: items dated on or before D and not settled by then (index
 *   open_item_dated), each with what was open of it on D: its open_cents when
 *   nothing was applied to it after D, else its amount minus what was
 *   applied by D. One whole computation per request.
 */

export type AgingTotals = { readonly [K in keyof AgingFigures]: bigint };

export const ZERO_TOTALS: AgingTotals = Object.freeze({
  currentCents: 0n,
  days1To30Cents: 0n,
  days31To60Cents: 0n,
  days61To90Cents: 0n,
  daysOver90Cents: 0n,
  creditCents: 0n,
  totalCents: 0n,
});

/** The seven keys in the order the report shows them: the buckets, credit, total. */
export const AGING_KEYS = [...AGING_BUCKETS.map((bucket) => bucket.key), 'creditCents', 'totalCents'] as const satisfies readonly (keyof AgingFigures)[];

export interface AccountAgingRow {
  readonly acctid: string;
  readonly name: string;
  readonly aging: AgingFigures;
}

/** Where a page of the report starts: after this total and account id, largest total first. */
export type AgingKey = readonly [totalCents: number, acctid: string];

export interface AgingPage {
  readonly rows: AccountAgingRow[];
  /** The key of the last row when more rows follow, else null. */
  readonly next: AgingKey | null;
}

export const AGING_PAGE_SIZE_DEFAULT = 50;
export const AGING_PAGE_SIZE_MAX = 500;

/** Accounts per query when every account is written out (CSV, `crm aging`). */
export const AGING_BATCH_SIZE = 1000;

/** The items that count as of `asOf`, and what was open of each on that day, as SQL over `open_item oi`. */
function itemsAsOf(asOf: IsoDate, today: IsoDate): { readonly where: RawBuilder<SqlBool>; readonly open: RawBuilder<number> } {
  if (asOf >= today) return { where: sql<SqlBool>`oi.settled_on is null`, open: sql<number>`oi.open_cents` };
  const applied = (column: 'charge_id' | 'credit_id') =>
    sql`coalesce((select sum(a.amount_cents) from allocation a where ${sql.ref(`a.${column}`)} = oi.entry_id and a.effective_on <= ${asOf}), 0)`;
  return {
    // Both sides as ranges of open_item_dated; settled on or before D: nothing of it was open then.
    where: sql<SqlBool>`oi.side in ('charge', 'credit') and oi.effective_on <= ${asOf} and (oi.settled_on is null or oi.settled_on > ${asOf})`,
    // Nothing applied after D (last_applied_on): what is open now was open then; else count what was applied by D.
    open: sql<number>`(case when oi.last_applied_on is null or oi.last_applied_on <= ${asOf} then oi.open_cents when oi.side = 'charge' then oi.amount_cents - ${applied('charge_id')} else oi.amount_cents - ${applied('credit_id')} end)`,
  };
}

/** The key of an item's place in the figures: its bucket (a charge), or credit. */
function keyOf(side: string, dueOn: IsoDate, asOf: IsoDate): keyof AgingFigures {
  return side === 'charge' ? bucketOf(dueOn, asOf) : 'creditCents';
}

/**
 * The totals over every account as of `asOf`: one pass over the items that
 * count, summed per side and due date in the database (a few hundred rows
 * come back) and put in buckets here.
 */
export async function agingTotals(db: Queryable, asOf: IsoDate, today: IsoDate): Promise<AgingTotals> {
  const { where, open } = itemsAsOf(asOf, today);
  const { rows } = await sql<{ side: string; due_on: string; cents: string | null }>`select oi.side, oi.due_on, ${exactSumOf(db, open)} as cents
    from open_item oi where ${where} group by oi.side, oi.due_on`.execute(db);
  const totals: Record<keyof AgingFigures, bigint> = { ...ZERO_TOTALS };
  for (const row of rows) {
    const cents = BigInt(row.cents ?? '0');
    const key = keyOf(row.side, row.due_on, asOf);
    const signed = key === 'creditCents' ? -cents : cents;
    totals[key] += signed;
    totals.totalCents += signed;
  }
  return totals;
}

/** Adds one item's open amount to an account's figures. */
function addItem(figures: Record<keyof AgingFigures, Cents>, side: string, dueOn: IsoDate, asOf: IsoDate, openCents: Cents): void {
  const key = keyOf(side, dueOn, asOf);
  const signed = key === 'creditCents' ? negateCents(openCents) : openCents;
  figures[key] = addCents(figures[key], signed);
  figures.totalCents = addCents(figures.totalCents, signed);
}

const isZero = (aging: AgingFigures) => Object.values(aging).every((value) => value === 0);

/** The figures of the accounts in `scope` (a list of ids, or an id range), summed per side and due date, bucketed here. */
async function figuresOf(db: Queryable, scope: RawBuilder<SqlBool>, asOf: IsoDate, today: IsoDate): Promise<Map<string, AgingFigures>> {
  const { where, open } = itemsAsOf(asOf, today);
  const { rows } = await sql<{ acctid: string; side: string; due_on: string; cents: number | string | bigint | null }>`select oi.acctid, oi.side, oi.due_on, sum(${open}) as cents
    from open_item oi where ${scope} and ${where} group by oi.acctid, oi.side, oi.due_on`.execute(db);
  const byAccount = new Map<string, Record<keyof AgingFigures, Cents>>();
  for (const row of rows) {
    let figures = byAccount.get(row.acctid);
    if (!figures) byAccount.set(row.acctid, (figures = { ...ZERO_AGING }));
    addItem(figures, row.side, row.due_on, asOf, centsFromColumn(row.cents ?? 0));
  }
  return byAccount;
}

/** The figures of these accounts as of `asOf` (all zero for an account with nothing open then). */
export async function agingOfAccounts(db: Queryable, acctids: readonly string[], asOf: IsoDate, today: IsoDate): Promise<Map<string, AgingFigures>> {
  if (acctids.length === 0) return new Map();
  const scope = sql<SqlBool>`oi.acctid in (${sql.join(acctids.map((acctid) => sql`${acctid}`))})`;
  return figuresOf(db, scope, asOf, today);
}

/**
 * The past-date report's per-account figures, summed in the database so it
 * can order and page them; `groupBy` may add the totals row (groupByWithTotal).
 */
function pastFiguresQuery(db: Queryable, asOf: IsoDate, today: IsoDate, groupBy: RawBuilder<unknown> = sql`group by i.acctid`) {
  const { where, open } = itemsAsOf(asOf, today);
  const starts = bucketStarts(asOf);
  const charge = (from: IsoDate | null, before: IsoDate | null) => {
    const bounds = [sql`i.side = 'charge'`, ...(from === null ? [] : [sql`i.due_on >= ${from}`]), ...(before === null ? [] : [sql`i.due_on < ${before}`])];
    return sql`sum(case when ${sql.join(bounds, sql` and `)} then i.open_cents else 0 end)`;
  };
  // The items as a derived table computed once (computedOnce), so each item's open amount is worked out once, not once per SUM
  // naming it: merged into this query, MariaDB took 20–26 s instead of 5–7 s a year back at a million accounts.
  return sql`select i.acctid,
      ${charge(starts.current, null)} as current_cents,
      ${charge(starts.days1To30, starts.current)} as days_1_30_cents,
      ${charge(starts.days31To60, starts.days1To30)} as days_31_60_cents,
      ${charge(starts.days61To90, starts.days31To60)} as days_61_90_cents,
      ${charge(null, starts.days61To90)} as days_over_90_cents,
      sum(case when i.side = 'credit' then -i.open_cents else 0 end) as credit_cents,
      sum(case when i.side = 'charge' then i.open_cents else -i.open_cents end) as total_cents,
      sum(i.open_cents) as open_cents
    from (select oi.acctid, oi.side, oi.due_on, ${open} as open_cents from open_item oi where ${where} ${computedOnce(db)}) i
    ${groupBy}`;
}

type Count = number | string | bigint;
interface PastRow {
  /** Null on the totals row (ROLLUP). */
  acctid: string | null;
  current_cents: Count;
  days_1_30_cents: Count;
  days_31_60_cents: Count;
  days_61_90_cents: Count;
  days_over_90_cents: Count;
  credit_cents: Count;
  total_cents: Count;
}

function pastFigures(row: PastRow): AgingFigures {
  return {
    currentCents: centsFromColumn(row.current_cents),
    days1To30Cents: centsFromColumn(row.days_1_30_cents),
    days31To60Cents: centsFromColumn(row.days_31_60_cents),
    days61To90Cents: centsFromColumn(row.days_61_90_cents),
    daysOver90Cents: centsFromColumn(row.days_over_90_cents),
    creditCents: centsFromColumn(row.credit_cents),
    totalCents: centsFromColumn(row.total_cents),
  };
}

async function namesOf(db: Queryable, acctids: readonly string[]): Promise<Map<string, string>> {
  if (acctids.length === 0) return new Map();
  const rows = await db.selectFrom('account').select(['acctid', 'name']).where('acctid', 'in', acctids).execute();
  return new Map(rows.map((row) => [row.acctid, row.name]));
}

/** A row and the key the next page continues after. */
interface KeyedRow {
  readonly row: AccountAgingRow;
  readonly key: AgingKey;
}

export interface AgingPageRequest {
  readonly asOf: IsoDate;
  /** Today in the business time zone: decides which way the figures are read. */
  readonly today: IsoDate;
  readonly limit: number;
  readonly after?: AgingKey | undefined;
}

/**
 * One page of accounts with non-zero figures as of `asOf`, largest total
 * first (then account id, descending), after `after`.
 */
export async function agingPage(db: Queryable, request: AgingPageRequest): Promise<AgingPage> {
  const { asOf, today, limit, after } = request;
  if (asOf < today) return (await pastAgingReport(db, request)).page;
  return pageOf(await todayRows(db, today, limit + 1, after), limit);
}

/** The first `limit` of `keyed` (asked for one more, to know whether more follow). */
function pageOf(keyed: readonly KeyedRow[], limit: number): AgingPage {
  const more = keyed.length > limit;
  const shown = more ? keyed.slice(0, limit) : keyed;
  const last = shown.at(-1);
  return { rows: shown.map(({ row }) => row), next: more && last ? last.key : null };
}

/**
 * Today: the accounts owing or in credit, from the (balance_cents, acctid)
 * index read backwards (an account's aging total today is its balance), then
 * their buckets from their open items in one query.
 */
async function todayRows(db: Queryable, today: IsoDate, take: number, after: AgingKey | undefined): Promise<KeyedRow[]> {
  let query = db.selectFrom('account').select(['acctid', 'name', 'balance_cents']).where('balance_cents', '<>', 0);
  if (after) query = query.where(keysetAfter(db, 'balance_cents', 'acctid', after, true));
  const accounts = await query.orderBy('balance_cents', 'desc').orderBy('acctid', 'desc').limit(take).execute();
  const figures = await agingOfAccounts(
    db,
    accounts.map((account) => account.acctid),
    today,
    today,
  );
  return accounts.map((account) => ({
    row: { acctid: account.acctid, name: account.name, aging: figures.get(account.acctid) ?? ZERO_AGING },
    key: [centsFromColumn(account.balance_cents), account.acctid],
  }));
}

const mariaDb = new WeakMap<Queryable, Promise<boolean>>();

/** Whether the server is MariaDB (not MySQL), asked once per handle. */
function isMariaDb(db: Queryable): Promise<boolean> {
  let known = mariaDb.get(db);
  if (!known) {
    known = sql<{ v: string }>`select version() as v`.execute(db).then(({ rows }) => /mariadb/i.test(rows[0]?.v ?? ''));
    mariaDb.set(db, known);
  }
  return known;
}

/**
 * MariaDB groups in an internal temporary table that leaves memory for disk
 * past tmp_table_size (16 MB by default): grouping a million accounts went
 * from 40 s to 9 s at a million accounts with 512 MB for this one statement
 * (docs/benchmarks.md). MySQL 8's TempTable engine keeps up to 1 GB in memory
 * already; PostgreSQL and SQLite size their own.
 */
const PAST_GROUPING_MEMORY_BYTES = 512 * 1024 * 1024;

/** A past day's totals and page of accounts. */
export interface PastAgingReport {
  readonly totals: AgingTotals;
  readonly page: AgingPage;
}

/**
 * A past day: every account's figures computed, ordered and paged in the
 * database, and the totals over every account from the same grouping (its
 * ROLLUP row, which the ordering puts first), so the work the day costs
 * (every item dated by then, with what was applied by then) is done once.
 * SQLite, without ROLLUP, sums the items again for the totals.
 */
export async function pastAgingReport(db: Queryable, { asOf, today, limit, after }: AgingPageRequest): Promise<PastAgingReport> {
  const keyset = after ? sql`and ${keysetAfter(db, 'g.total_cents', 'g.acctid', after, true)}` : sql``;
  const memory = dialectOf(db) === 'mysql' && (await isMariaDb(db)) ? sql.raw(`set statement tmp_table_size = ${PAST_GROUPING_MEMORY_BYTES}, max_heap_table_size = ${PAST_GROUPING_MEMORY_BYTES} for `) : sql``;
  const withTotal = groupByWithTotal(db, 'i.acctid');
  const [{ rows }, separateTotals] = await Promise.all([
    sql<PastRow>`${memory}select g.* from (${pastFiguresQuery(db, asOf, today, withTotal ?? undefined)}) g
      where g.acctid is null or (g.open_cents > 0 ${keyset})
      order by case when g.acctid is null then 0 else 1 end, g.total_cents desc, g.acctid desc limit ${limit + 2}`.execute(db),
    withTotal ? undefined : agingTotals(db, asOf, today),
  ]);
  const totalsRow = rows[0]?.acctid === null ? rows[0] : undefined;
  const accountRows = rows.filter((row): row is PastRow & { acctid: string } => row.acctid !== null).slice(0, limit + 1);
  const names = await namesOf(
    db,
    accountRows.map((row) => row.acctid),
  );
  const keyed = accountRows.map((row) => {
    const aging = pastFigures(row);
    return { row: { acctid: row.acctid, name: names.get(row.acctid) ?? '', aging }, key: [aging.totalCents, row.acctid] as const };
  });
  return { totals: separateTotals ?? (totalsRow ? totalsOfRow(totalsRow) : ZERO_TOTALS), page: pageOf(keyed, limit) };
}

/** The ROLLUP row's sums, exact as bigint (they can pass 2^53 over many accounts). */
function totalsOfRow(row: PastRow): AgingTotals {
  // PostgreSQL's ROLLUP over no items at all is one row of nulls.
  const exact = (value: Count | null) => BigInt(String(value ?? 0));
  return {
    currentCents: exact(row.current_cents),
    days1To30Cents: exact(row.days_1_30_cents),
    days31To60Cents: exact(row.days_31_60_cents),
    days61To90Cents: exact(row.days_61_90_cents),
    daysOver90Cents: exact(row.days_over_90_cents),
    creditCents: exact(row.credit_cents),
    totalCents: exact(row.total_cents),
  };
}

/**
 * Every account with non-zero figures as of `asOf`, in account id order, a
 * batch at a time: each batch is one bounded query on the account's primary
 * key and one over those accounts' items (index open_item_account), so
 * memory stays one batch whatever the number of accounts, no connection is
 * held between batches and every query stays under the statement timeout.
 * Like the export, it is not one snapshot.
 */
export async function* agingOfEveryAccount(
  db: Queryable,
  asOf: IsoDate,
  today: IsoDate,
  { batchSize = AGING_BATCH_SIZE, onProgress }: { readonly batchSize?: number; readonly onProgress?: (accountsRead: number) => void } = {},
): AsyncGenerator<AccountAgingRow[]> {
  let last: string | undefined;
  let read = 0;
  for (;;) {
    let query = db.selectFrom('account').select(['acctid', 'name']);
    if (last !== undefined) query = query.where('acctid', '>', last);
    const accounts = await query.orderBy('acctid').limit(batchSize).execute();
    const final = accounts.at(-1);
    if (!final) return;
    const scope = last === undefined ? sql<SqlBool>`oi.acctid <= ${final.acctid}` : sql<SqlBool>`oi.acctid > ${last} and oi.acctid <= ${final.acctid}`;
    const figures = await figuresOf(db, scope, asOf, today);
    read += accounts.length;
    onProgress?.(read);
    const rows = accounts.flatMap((account) => {
      const aging = figures.get(account.acctid);
      return aging && !isZero(aging) ? [{ acctid: account.acctid, name: account.name, aging }] : [];
    });
    if (rows.length > 0) yield rows;
    if (accounts.length < batchSize) return;
    last = final.acctid;
  }
}

/** How many accounts there are: the denominator of a progress bar. */
export async function accountCount(db: Queryable): Promise<number> {
  const row = await db.selectFrom('account').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The sum of some accounts' figures, as bigint (what the totals must equal when the rows are every account). */
export function sumOf(rows: readonly AccountAgingRow[]): AgingTotals {
  const totals: Record<keyof AgingFigures, bigint> = { ...ZERO_TOTALS };
  for (const { aging } of rows) for (const key of AGING_KEYS) totals[key] += BigInt(aging[key]);
  return totals;
}
