import { sql, type Kysely } from 'kysely';
import type { Database, Queryable } from '../../schema.js';
import { exactSum } from '../../platform/db/dialect.js';
import { addCents, cents, centsFromColumn, formatCents, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { EntryKind } from '../ledger/index.js';
import { agingTotals, daysSalesOutstanding, type AgingTotals, type DaysSalesOutstanding } from '../receivables/index.js';
import { dateIn, type IsoDate } from '../../shared/dates.js';

/**
 * The dashboard's figures, one service for the page and the API. Every
 * query reads an index or makes one pass over a table (measured at 1,000,000
 * accounts and 5,000,000 entries: docs/benchmarks.md "Dashboard queries"); money stays integer
 * cents throughout. One account's figures fit a Cents (its totals are capped
 * at 2^53 − 1); sums over many accounts or entries can pass that, so they are
 * bigint, read from the database as digits (exactSum).
 */

export const LARGEST_BALANCES = 10;
export const RECENT_ENTRIES = 10;
export const WEEKS = 12;

const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05T00:00:00Z, the first Monday after the epoch: ISO weeks start on Mondays (UTC here). */
const FIRST_MONDAY_MS = 4 * DAY_MS;

export interface BalanceBand {
  /** Stable, for scripts: le0, 0-100, 100-1k, 1k-10k, gt10k. */
  readonly key: string;
  /** For a chart axis: "≤ 0", "0–100", … (USD). */
  readonly shortLabel: string;
  /** In the one money format: "0.01 to 100.00 USD". */
  readonly label: string;
  /** Balances above this (exclusive), or null for no lower bound. */
  readonly aboveCents: Cents | null;
  /** Balances up to this (inclusive), or null for no upper bound. */
  readonly upToCents: Cents | null;
}

function band(key: string, shortLabel: string, aboveCents: Cents | null, upToCents: Cents | null): BalanceBand {
  const label =
    aboveCents === null ? `${formatCents(upToCents ?? ZERO_CENTS)} or less` : upToCents === null ? `over ${formatCents(aboveCents)}` : `${formatCents(addCents(aboveCents, cents(1)))} to ${formatCents(upToCents)}`;
  return { key, shortLabel, label, aboveCents, upToCents };
}

/** Receivables by balance: settled or in credit, then owing up to 100, 1,000, 10,000 USD and above. */
export const BALANCE_BANDS: readonly BalanceBand[] = [
  band('le0', '≤ 0', null, cents(0)),
  band('0-100', '0–100', cents(0), cents(10_000)),
  band('100-1k', '100–1k', cents(10_000), cents(100_000)),
  band('1k-10k', '1k–10k', cents(100_000), cents(1_000_000)),
  band('gt10k', '> 10k', cents(1_000_000), null),
];

export interface BandFigures extends BalanceBand {
  readonly accounts: number;
  /** The sum of the band's balances. */
  readonly balanceCents: bigint;
}

export interface LargestBalance {
  readonly acctid: string;
  readonly name: string;
  readonly balanceCents: Cents;
  readonly closed: boolean;
}

export interface RecentEntry {
  readonly id: number;
  readonly acctid: string;
  readonly name: string;
  readonly kind: EntryKind;
  /** Positive for payments and charges, signed for adjustments. */
  readonly amountCents: Cents;
  readonly balanceAfterCents: Cents;
  readonly actor: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface WeekFigures {
  /** Monday 00:00 UTC, milliseconds since the epoch. */
  readonly startsAt: number;
  /** The ISO 8601 week: "2026-W48". */
  readonly isoWeek: string;
  readonly paymentsCents: bigint;
  readonly chargesCents: bigint;
}

export interface DashboardSummary {
  /** When the figures were read (milliseconds since the epoch); the weeks end with the one holding it. */
  readonly asOf: number;
  readonly totalDueCents: bigint;
  readonly totalPaidCents: bigint;
  /** The sum of all balances (due − paid): owed minus credits. */
  readonly netReceivablesCents: bigint;
  readonly accounts: {
    readonly total: number;
    /** Balance > 0. */
    readonly owing: number;
    /** Balance < 0. */
    readonly overpaid: number;
    /** Balance = 0. */
    readonly settled: number;
    readonly closed: number;
  };
  /** The largest balances owed (> 0), largest first. */
  readonly largestBalances: readonly LargestBalance[];
  /** The latest ledger entries, newest first. */
  readonly recentActivity: readonly RecentEntry[];
  readonly balanceBands: readonly BandFigures[];
  /** Payments and charges recorded per ISO week (UTC), oldest first, the current week last. */
  readonly weeks: readonly WeekFigures[];
  /** Today's aging over every account (today in the business time zone when read). */
  readonly aging: { readonly asOf: IsoDate; readonly totals: AgingTotals };
  /** Days sales outstanding over the 90 days ending today, from the same reading's aging total. */
  readonly dso: DaysSalesOutstanding;
}

/** Monday 00:00 UTC of the week holding `at`. */
export function weekStart(at: number): number {
  return at - ((((at - FIRST_MONDAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS);
}

/** The ISO 8601 week of a Monday (UTC): its Thursday decides the year. */
export function isoWeekOf(monday: number): string {
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Drivers give counts as number, string (pg) or bigint. */
type Count = number | string | bigint | null;
const count = (value: Count): number => (value === null ? 0 : Number(value));
/** An exactSum(): digits, or null for a sum of no rows. */
const exactTotal = (digits: string | null | undefined): bigint => (digits == null ? 0n : BigInt(digits));

/** "balance_cents is in this band": a range on the (balance_cents, acctid) index. */
function inBand({ aboveCents, upToCents }: BalanceBand) {
  const parts = [
    ...(aboveCents === null ? [] : [sql`balance_cents > ${aboveCents}`]),
    ...(upToCents === null ? [] : [sql`balance_cents <= ${upToCents}`]),
  ];
  return sql.join(parts, sql` and `);
}

/**
 * The totals, the counts and the bands. Due and paid need one pass over the
 * table (net is due − paid from the same statement, so the three tiles always
 * agree); everything else counts ranges of an index: each band on
 * (balance_cents, acctid), settled as balance_cents = 0, closed on closed_at.
 */
export async function accountFigures(db: Queryable) {
  const totals = db.selectFrom('account').select([exactSum(db, 'due_cents').as('due'), exactSum(db, 'paid_cents').as('paid')]).executeTakeFirst();
  // Beside the scan, one index range after another: a dashboard takes few of the pool's connections.
  const ranges = (async () => {
    const balanceBands: BandFigures[] = [];
    for (const b of BALANCE_BANDS) {
      const { rows } = await sql<{ n: Count; cents: string | null }>`select count(*) as n, ${exactSum(db, 'balance_cents')} as cents from account where ${inBand(b)}`.execute(db);
      balanceBands.push({ ...b, accounts: count(rows[0]?.n ?? null), balanceCents: exactTotal(rows[0]?.cents) });
    }
    const settledRow = await db.selectFrom('account').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).where('balance_cents', '=', 0).executeTakeFirst();
    const closedRow = await db.selectFrom('account').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).where('closed_at', 'is not', null).executeTakeFirst();
    return { balanceBands, settledRow, closedRow };
  })();
  const [sums, { balanceBands, settledRow, closedRow }] = await Promise.all([totals, ranges]);
  const totalDueCents = exactTotal(sums?.due);
  const totalPaidCents = exactTotal(sums?.paid);
  const credit = balanceBands.filter((b) => b.upToCents !== null && b.upToCents <= 0);
  const owed = balanceBands.filter((b) => b.aboveCents !== null && b.aboveCents >= 0);
  const settledCount = count(settledRow?.n ?? null);
  const total = balanceBands.reduce((sum, b) => sum + b.accounts, 0);
  return {
    totalDueCents,
    totalPaidCents,
    netReceivablesCents: totalDueCents - totalPaidCents,
    accounts: {
      total,
      owing: owed.reduce((sum, b) => sum + b.accounts, 0),
      overpaid: credit.reduce((sum, b) => sum + b.accounts, 0) - settledCount,
      settled: settledCount,
      closed: count(closedRow?.n ?? null),
    },
    balanceBands,
  };
}

/** The largest balances owed, read backwards from the (balance_cents, acctid) index. */
export async function largestBalances(db: Queryable): Promise<LargestBalance[]> {
  const rows = await db
    .selectFrom('account')
    .select(['acctid', 'name', 'balance_cents', 'closed_at'])
    .where('balance_cents', '>', 0)
    // Both descending: one backward walk of the index, no sort (MySQL/MariaDB would sort a mixed order).
    .orderBy('balance_cents', 'desc')
    .orderBy('acctid', 'desc')
    .limit(LARGEST_BALANCES)
    .execute();
  return rows.map((row) => ({ acctid: row.acctid, name: row.name, balanceCents: centsFromColumn(row.balance_cents), closed: row.closed_at !== null }));
}

/** The latest entries (primary key, backwards), then their accounts' names by primary key. */
export async function recentActivity(db: Queryable): Promise<RecentEntry[]> {
  const latest = db.selectFrom('ledger_entry').select(['id', 'acctid', 'kind', 'amount_cents', 'balance_after_cents', 'actor', 'created_at']).orderBy('id', 'desc').limit(RECENT_ENTRIES);
  const rows = await db
    .selectFrom(latest.as('e'))
    .innerJoin('account as a', 'a.acctid', 'e.acctid')
    .select(['e.id', 'e.acctid', 'a.name', 'e.kind', 'e.amount_cents', 'e.balance_after_cents', 'e.actor', 'e.created_at'])
    .orderBy('e.id', 'desc')
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    acctid: row.acctid,
    name: row.name,
    kind: row.kind as EntryKind,
    amountCents: centsFromColumn(row.amount_cents),
    balanceAfterCents: row.balance_after_cents === null ? ZERO_CENTS : centsFromColumn(row.balance_after_cents),
    actor: row.actor,
    createdAt: Number(row.created_at),
  }));
}

/**
 * Payments and charges per ISO week, the last WEEKS weeks: per week, one
 * after another, a range of the ledger_entry(kind, created_at, amount_cents)
 * index per kind, read from the index alone (no date functions, which the
 * three databases spell differently).
 */
export async function weeklyFigures(db: Queryable, asOf: number): Promise<WeekFigures[]> {
  const current = weekStart(asOf);
  const starts = Array.from({ length: WEEKS }, (_, index) => current - (WEEKS - 1 - index) * WEEK_MS);
  const weeks: WeekFigures[] = [];
  for (const startsAt of starts) {
    const rows = await db
      .selectFrom('ledger_entry')
      .select(['kind', exactSum(db, 'amount_cents').as('cents')])
      .where('kind', 'in', ['payment', 'charge'])
      .where('created_at', '>=', startsAt)
      .where('created_at', '<', startsAt + WEEK_MS)
      .groupBy('kind')
      .execute();
    const sumOf = (kind: EntryKind) => exactTotal(rows.find((row) => row.kind === kind)?.cents);
    weeks.push({ startsAt, isoWeek: isoWeekOf(startsAt), paymentsCents: sumOf('payment'), chargesCents: sumOf('charge') });
  }
  return weeks;
}

/**
 * Today's aging totals (the unsettled open items, index open_item_open) and
 * DSO from them (one range of open_item_dated for what was invoiced).
 */
export async function receivablesFigures(db: Queryable, asOf: number, timeZone: string): Promise<Pick<DashboardSummary, 'aging' | 'dso'>> {
  const today = dateIn(timeZone, asOf);
  const totals = await agingTotals(db, today, today);
  return { aging: { asOf: today, totals }, dso: await daysSalesOutstanding(db, today, today, totals) };
}

/** The weeks, then the receivables: one lane. */
async function weeksAndReceivables(db: Queryable, asOf: number, timeZone: string) {
  const weeks = await weeklyFigures(db, asOf);
  return { weeks, ...(await receivablesFigures(db, asOf, timeZone)) };
}

/**
 * Every figure the dashboard shows, read now. Four lanes run side by side
 * (the account scan, the index ranges, the weeks then the receivables, the
 * two short lists), so a dashboard holds at most four of the pool's
 * connections. "Today" for aging and DSO is the day in `timeZone` (CRM_TIME_ZONE).
 */
export async function summarize(db: Queryable, asOf = Date.now(), timeZone = 'UTC'): Promise<DashboardSummary> {
  const lists = (async () => ({ largest: await largestBalances(db), recent: await recentActivity(db) }))();
  const [figures, rest, { largest, recent }] = await Promise.all([accountFigures(db), weeksAndReceivables(db, asOf, timeZone), lists]);
  return { asOf, ...figures, largestBalances: largest, recentActivity: recent, ...rest };
}

/**
 * The promise: the aggregate figures (totals, counts, bands, weeks) a request
 * gets are never older than this. At a million accounts one reading takes
 * seconds on a small MySQL buffer pool (docs/benchmarks.md "Dashboard
 * queries"); nobody needs receivables to the second, and the lists (largest
 * balances, latest entries) are read on every request.
 */
export const AGGREGATES_MAX_AGE_MS = 30_000;

/**
 * From this age a reading is still served but a new one starts in the
 * background, so that while requests keep coming the reading is replaced
 * before it breaks the promise and nobody waits for one.
 */
export const AGGREGATES_REFRESH_AFTER_MS = 20_000;

type Aggregates = Pick<DashboardSummary, 'asOf' | 'weeks' | 'aging' | 'dso'> & Awaited<ReturnType<typeof accountFigures>>;

interface Reading {
  readonly startedAt: number;
  readonly result: Promise<Aggregates>;
}

interface AggregateCache {
  value?: Aggregates;
  reading?: Reading;
}

const aggregateCache = new WeakMap<Queryable, AggregateCache>();

async function readAggregates(db: Queryable, asOf: number, timeZone: string): Promise<Aggregates> {
  const [figures, rest] = await Promise.all([accountFigures(db), weeksAndReceivables(db, asOf, timeZone)]);
  return { asOf, ...figures, ...rest };
}

/**
 * The aggregates, never older than AGGREGATES_MAX_AGE_MS: a reading younger
 * than AGGREGATES_REFRESH_AFTER_MS is served as it is; an older one within the
 * promise is served while one reading (per process) replaces it in the
 * background; a request that finds no reading within the promise (the first
 * of a process, or the first after a quiet spell) waits for a new one.
 * Requests share a reading in progress if it started within the promise.
 */
function aggregates(db: Queryable, now: number, onRefreshError: (error: unknown) => void, timeZone: string): Promise<Aggregates> {
  let cache = aggregateCache.get(db);
  if (!cache) aggregateCache.set(db, (cache = {}));
  const entry = cache;
  const startReading = (): Promise<Aggregates> => {
    if (entry.reading && now - entry.reading.startedAt < AGGREGATES_MAX_AGE_MS) return entry.reading.result;
    const reading: Reading = {
      startedAt: now,
      result: readAggregates(db, now, timeZone)
        .then((value) => {
          if (!entry.value || entry.value.asOf < value.asOf) entry.value = value;
          return value;
        })
        .finally(() => {
          if (entry.reading === reading) delete entry.reading;
        }),
    };
    entry.reading = reading;
    return reading.result;
  };
  const { value } = entry;
  if (!value || now - value.asOf >= AGGREGATES_MAX_AGE_MS) return startReading();
  if (now - value.asOf >= AGGREGATES_REFRESH_AFTER_MS && !entry.reading) startReading().catch(onRefreshError);
  return Promise.resolve(value);
}

/**
 * What the dashboard and GET /api/v1/summary show: the aggregates (see
 * aggregates(); `asOf` says when they were read; aging and DSO are among
 * them) and the two short lists, read now on the primary, so a payment just
 * recorded is in the latest entries at once. The aggregates, already
 * seconds old by design, are read from `reads` (a replica when there are
 * any: the heavy part of the page off the primary).
 */
export async function currentSummary(db: Kysely<Database>, onRefreshError: (error: unknown) => void = () => undefined, timeZone = 'UTC', reads: Kysely<Database> = db): Promise<DashboardSummary> {
  const [figures, largest, recent] = await Promise.all([aggregates(reads, Date.now(), onRefreshError, timeZone), largestBalances(db), recentActivity(db)]);
  return { ...figures, largestBalances: largest, recentActivity: recent };
}
