/**
 * Aging over every account as of any day, on each database: exact figures
 * for accounts worked out by hand (today and past days, an invoice paid after
 * the day, unapplied credit, a closed account, a settled account left out),
 * the SQL figures equal to the ledger's accountAging() for every account and
 * many days, largest total first in keyset pages, totals equal to the sum of
 * every row, and every account written out in batches.
 * Each test works in a transaction it rolls back, so other suites' rows on a
 * shared database change nothing it compares (repeatable read: one snapshot).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Kysely, Transaction } from 'kysely';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { accountAging, recordEntry, type AgingFigures, type NewEntry } from '../../src/modules/ledger/index.js';
import { agingOfAccounts, agingOfEveryAccount, agingPage, agingTotals, pastAgingReport, sumOf, type AccountAgingRow, type AgingKey, type AgingTotals } from '../../src/modules/receivables/index.js';
import { dialectOf } from '../../src/platform/db/dialect.js';
import type { Database } from '../../src/schema.js';
import { addDays } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'aging-report-test', ip: '127.0.0.1', requestId: 'req-aging-report' };
/** "Today" for these tests: entries are recorded at noon UTC on this day, and the report is asked with it as today. */
const TODAY = '2026-06-30';
const AT = Date.parse(`${TODAY}T12:00:00Z`);
/** Days of an era no other suite writes entries in: as of such a day only this test's accounts have figures. */
const ERA_TODAY = '1999-12-31';
const ERA_AT = Date.parse(`${ERA_TODAY}T12:00:00Z`);

/** Thrown to roll back a transaction whose work the test only needed to look at. */
class RolledBack extends Error {}

/** Figures in the order current, 1–30, 31–60, 61–90, over 90, credit, total. */
const figures = (aging: AgingFigures | undefined): number[] =>
  aging ? [aging.currentCents, aging.days1To30Cents, aging.days31To60Cents, aging.days61To90Cents, aging.daysOver90Cents, aging.creditCents, aging.totalCents] : [];
const totalsList = (totals: AgingTotals): bigint[] => [totals.currentCents, totals.days1To30Cents, totals.days31To60Cents, totals.days61To90Cents, totals.daysOver90Cents, totals.creditCents, totals.totalCents];
const minus = (after: AgingTotals, before: AgingTotals): number[] => totalsList(after).map((value, index) => Number(value - totalsList(before)[index]!));

/** Every page of the report, `limit` rows at a time. */
async function everyPage(trx: Transaction<Database>, asOf: string, today: string, limit: number): Promise<AccountAgingRow[][]> {
  const pages: AccountAgingRow[][] = [];
  let after: AgingKey | undefined;
  for (;;) {
    const page = await agingPage(trx, { asOf, today, limit, after });
    pages.push(page.rows);
    if (!page.next) return pages;
    after = page.next;
  }
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`aging over every account on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db as Kysely<Database>;
    after(async () => db?.destroy());

    /** Runs `work` in a repeatable-read transaction, then rolls it back. */
    async function inRolledBack(work: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
      const transaction = dialectOf(db) === 'sqlite' ? db.transaction() : db.transaction().setIsolationLevel('repeatable read');
      await assert.rejects(
        transaction.execute(async (trx) => {
          await work(trx);
          throw new RolledBack();
        }),
        RolledBack,
      );
    }

    async function newAccount(trx: Transaction<Database>, name: string, { termsDays = 30, at = AT, openingDueCents = 0 } = {}): Promise<string> {
      const acctid = uniqueAcctId('AG');
      await createAccounts(trx, actor, [{ acctid, name, ...(openingDueCents > 0 ? { openingDueCents: cents(openingDueCents) } : {}) }], at);
      await trx.updateTable('account').set({ terms_days: termsDays }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = (trx: Transaction<Database>, acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number; memo?: string }, at = AT) =>
      recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at, timeZone: 'UTC' });

    test('figures worked out by hand, today and on past days, agree with accountAging for every account and day; the totals move by their sum', async () => {
      await inRolledBack(async (trx) => {
        const totalsBefore = { today: await agingTotals(trx, TODAY, TODAY), march: await agingTotals(trx, '2026-03-31', TODAY) };
        // Paid after 03-31: 100.00 dated 01-10, due 02-09, paid 04-20.
        const paidLater = await newAccount(trx, 'Paid Later');
        await record(trx, paidLater, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-01-10' });
        await record(trx, paidLater, { kind: 'payment', amountCents: 10_000, effectiveOn: '2026-04-20' });
        // Three invoices in three buckets today; a payment on 06-25 pays part of the oldest (20.00 due 02-01).
        const spread = await newAccount(trx, 'Spread Over Buckets');
        await record(trx, spread, { kind: 'charge', amountCents: 2_000, effectiveOn: '2026-02-01', dueOn: '2026-02-01' });
        await record(trx, spread, { kind: 'charge', amountCents: 5_000, effectiveOn: '2026-05-01' }); // due 05-31
        await record(trx, spread, { kind: 'charge', amountCents: 3_000, effectiveOn: '2026-06-20' }); // due 07-20
        await record(trx, spread, { kind: 'payment', amountCents: 1_000, effectiveOn: '2026-06-25' });
        // Credit before any invoice: 25.00 on 03-01; a 10.00 invoice on 05-01 takes part of it.
        const inCredit = await newAccount(trx, 'In Credit');
        await record(trx, inCredit, { kind: 'payment', amountCents: 2_500, effectiveOn: '2026-03-01' });
        await record(trx, inCredit, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-05-01' });
        // Closed: 60.00 dated 03-15 (due 04-14), a 20.00 credit on 04-01, closed, then a 5.00 payment today.
        const closed = await newAccount(trx, 'Closed Account');
        await record(trx, closed, { kind: 'charge', amountCents: 6_000, effectiveOn: '2026-03-15' });
        await record(trx, closed, { kind: 'adjustment', amountCents: -2_000, effectiveOn: '2026-04-01', memo: 'goodwill' });
        await trx.updateTable('account').set({ closed_at: AT }).where('acctid', '=', closed).execute();
        await record(trx, closed, { kind: 'payment', amountCents: 500, effectiveOn: TODAY });
        // Settled the day it was charged: nothing, ever.
        const settled = await newAccount(trx, 'Settled');
        await record(trx, settled, { kind: 'charge', amountCents: 700, effectiveOn: '2026-02-10' });
        await record(trx, settled, { kind: 'payment', amountCents: 700, effectiveOn: '2026-02-10' });
        const ours = [paidLater, spread, inCredit, closed, settled];

        const expected: Record<string, Record<string, number[]>> = {
          // current, 1–30, 31–60, 61–90, over 90, credit, total
          [TODAY]: {
            [spread]: [3_000, 5_000, 0, 0, 1_000, 0, 9_000], // due 07-20; due 05-31 (30 days); due 02-01 (149 days), 10.00 left
            [inCredit]: [0, 0, 0, 0, 0, -1_500, -1_500],
            [closed]: [0, 0, 0, 3_500, 0, 0, 3_500], // due 04-14: 77 days late
          },
          '2026-03-31': {
            [paidLater]: [0, 0, 20_000 / 2, 0, 0, 0, 10_000], // due 02-09: 50 days late, paid on 04-20
            [spread]: [0, 0, 2_000, 0, 0, 0, 2_000], // due 02-01: 58 days late
            [inCredit]: [0, 0, 0, 0, 0, -2_500, -2_500],
            [closed]: [6_000, 0, 0, 0, 0, 0, 6_000], // due 04-14; the credit is dated 04-01
          },
          '2026-06-24': {
            [spread]: [3_000, 5_000, 0, 0, 2_000, 0, 10_000], // the payment is dated 06-25
            [inCredit]: [0, 0, 0, 0, 0, -1_500, -1_500],
            [closed]: [0, 0, 0, 4_000, 0, 0, 4_000], // 71 days late
          },
          '2026-01-09': {},
        };
        for (const [day, accounts] of Object.entries(expected)) {
          const got = await agingOfAccounts(trx, ours, day, TODAY);
          for (const acctid of ours) assert.deepEqual(figures(got.get(acctid)), accounts[acctid] ?? [], `${acctid} on ${day}`);
        }

        // The SQL and the ledger's own reading agree, every ten days and on the edges of each bucket.
        const days = [...Array.from({ length: 19 }, (_, index) => addDays('2026-01-01', index * 10)), '2026-02-09', '2026-03-11', '2026-03-12', '2026-04-19', '2026-04-20', '2026-05-31', '2026-06-01', TODAY];
        for (const day of days) {
          const got = await agingOfAccounts(trx, ours, day, TODAY);
          for (const acctid of ours) {
            const { aging } = await accountAging(trx, acctid, day);
            assert.deepEqual(figures(got.get(acctid) ?? aging), figures(aging), `${acctid} on ${day}`);
            if (!got.has(acctid)) assert.ok(figures(aging).every((value) => value === 0), `${acctid} has figures on ${day} but no row`);
          }
        }

        const sum = (day: string) => Object.values(expected[day]!).reduce((total, row) => total.map((value, index) => value + row[index]!), [0, 0, 0, 0, 0, 0, 0]);
        assert.deepEqual(minus(await agingTotals(trx, TODAY, TODAY), totalsBefore.today), sum(TODAY));
        assert.deepEqual(minus(await agingTotals(trx, '2026-03-31', TODAY), totalsBefore.march), sum('2026-03-31'));
      });
    });

    test('a past day: largest total first in keyset pages, ties by account id, settled accounts left out, totals the sum of every row', async () => {
      await inRolledBack(async (trx) => {
        const id = (name: string) => newAccount(trx, name, { termsDays: 0, at: ERA_AT });
        const [big, tieA, tieB, small, credit, zero, later] = [await id('Big'), await id('Tie A'), await id('Tie B'), await id('Small'), await id('Credit'), await id('Zero'), await id('Later')];
        const day = (date: string) => ({ effectiveOn: date });
        await record(trx, big, { kind: 'charge', amountCents: 90_000, ...day('1999-01-15') }, ERA_AT);
        await record(trx, big, { kind: 'payment', amountCents: 90_000, ...day('1999-11-01') }, ERA_AT); // paid after the day
        await record(trx, tieA, { kind: 'charge', amountCents: 5_000, ...day('1999-05-01') }, ERA_AT);
        await record(trx, tieB, { kind: 'charge', amountCents: 5_000, ...day('1999-06-29') }, ERA_AT);
        await record(trx, small, { kind: 'charge', amountCents: 300, ...day('1999-06-30') }, ERA_AT);
        await record(trx, credit, { kind: 'payment', amountCents: 4_000, ...day('1999-02-01') }, ERA_AT);
        await record(trx, zero, { kind: 'charge', amountCents: 800, ...day('1999-03-01') }, ERA_AT);
        await record(trx, zero, { kind: 'payment', amountCents: 800, ...day('1999-04-01') }, ERA_AT);
        await record(trx, later, { kind: 'charge', amountCents: 100_000, ...day('1999-07-01') }, ERA_AT); // after the day: not there yet
        const asOf = '1999-06-30';

        const pages = await everyPage(trx, asOf, ERA_TODAY, 2);
        const [first, second] = [tieA, tieB].sort().reverse();
        assert.deepEqual(
          pages.map((rows) => rows.map((row) => [row.acctid, row.name, ...figures(row.aging)])),
          [
            [
              [big, 'Big', 0, 0, 0, 0, 90_000, 0, 90_000], // due 01-15: 166 days late
              [first, first === tieA ? 'Tie A' : 'Tie B', ...(first === tieA ? [0, 0, 5_000, 0, 0, 0, 5_000] : [0, 5_000, 0, 0, 0, 0, 5_000])],
            ],
            [
              [second, second === tieA ? 'Tie A' : 'Tie B', ...(second === tieA ? [0, 0, 5_000, 0, 0, 0, 5_000] : [0, 5_000, 0, 0, 0, 0, 5_000])],
              [small, 'Small', 300, 0, 0, 0, 0, 0, 300],
            ],
            [[credit, 'Credit', 0, 0, 0, 0, 0, -4_000, -4_000]],
          ],
        );
        for (const row of pages.flat()) assert.deepEqual(figures(row.aging), figures((await accountAging(trx, row.acctid, asOf)).aging), row.acctid);
        const totals = await agingTotals(trx, asOf, ERA_TODAY);
        assert.deepEqual(totals, sumOf(pages.flat()));
        assert.deepEqual(totalsList(totals), [300n, 5_000n, 5_000n, 0n, 90_000n, -4_000n, 96_300n]);
        // The report's one grouping (its totals row from ROLLUP; SQLite sums again) gives the same totals on every page.
        for (const after of [undefined, pages[0]!.at(-1)!, pages[1]!.at(-1)!].map((row) => (row ? ([row.aging.totalCents, row.acctid] as const) : undefined))) {
          assert.deepEqual((await pastAgingReport(trx, { asOf, today: ERA_TODAY, limit: 2, after })).totals, totals);
        }
        // A page of one past the last row: nothing, no next.
        assert.deepEqual(await agingPage(trx, { asOf, today: ERA_TODAY, limit: 5, after: [-4_000, credit] }), { rows: [], next: null });
      });
    });

    test('today: accounts by balance, largest first, in keyset pages whose rows add up to the totals; every account written out in batches', async () => {
      await inRolledBack(async (trx) => {
        // Balances no other suite comes near, so these accounts open the report on a shared database.
        const HUGE = 4_000_000_000_000;
        const huge1 = await newAccount(trx, 'Huge One', { openingDueCents: HUGE + 2 });
        const huge2 = await newAccount(trx, 'Huge Two', { openingDueCents: HUGE });
        const settled = await newAccount(trx, 'Settled Today', { openingDueCents: 1_234 });
        await record(trx, settled, { kind: 'payment', amountCents: 1_234 });
        await record(trx, huge2, { kind: 'charge', amountCents: 1, effectiveOn: '2026-05-01' }); // due 05-31: 30 days late

        const first = await agingPage(trx, { asOf: TODAY, today: TODAY, limit: 1 });
        assert.deepEqual(first.rows.map((row) => [row.acctid, ...figures(row.aging)]), [[huge1, HUGE + 2, 0, 0, 0, 0, 0, HUGE + 2]]);
        const second = await agingPage(trx, { asOf: TODAY, today: TODAY, limit: 1, after: first.next! });
        assert.deepEqual(second.rows.map((row) => [row.acctid, ...figures(row.aging)]), [[huge2, HUGE, 1, 0, 0, 0, 0, HUGE + 1]]);
        assert.deepEqual(first.next, [HUGE + 2, huge1]);

        const rows = (await everyPage(trx, TODAY, TODAY, 500)).flat();
        assert.ok(!rows.some((row) => row.acctid === settled), 'a settled account is left out');
        // This suite's accounts only: on a shared database other suites write accounts without a ledger (insertAccountIfMissing, as
        // the lookup tests do), whose balance orders them while their figures, read from open items, are zero.
        const ours = rows.filter((row) => row.acctid.startsWith('AG'));
        assert.ok(ours.length >= 2);
        assert.ok(ours.every((row, index) => index === 0 || ours[index - 1]!.aging.totalCents > row.aging.totalCents || (ours[index - 1]!.aging.totalCents === row.aging.totalCents && ours[index - 1]!.acctid > row.acctid)), 'largest total first, then id');
        const totals = await agingTotals(trx, TODAY, TODAY);
        assert.deepEqual(totals, sumOf(rows));

        // Written out a batch at a time, in account id order: the same rows, less the ledgerless accounts above (their figures are
        // all zero, so only the balance-ordered pages show them).
        const withFigures = rows.filter((row) => figures(row.aging).some((value) => value !== 0));
        const batches: AccountAgingRow[][] = [];
        let progress = 0;
        for await (const batch of agingOfEveryAccount(trx, TODAY, TODAY, { batchSize: 7, onProgress: (read) => (progress = read) })) batches.push(batch);
        const written = batches.flat();
        assert.deepEqual(
          written.map((row) => row.acctid),
          withFigures.map((row) => row.acctid).sort(),
        );
        assert.deepEqual(sumOf(written), totals);
        const count = await trx.selectFrom('account').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(progress, Number(count.n), 'progress counts every account read');
      });
    });

    test('written out as of a past day, every account with figures then, each as accountAging has it', async () => {
      await inRolledBack(async (trx) => {
        const a = await newAccount(trx, 'Era A', { at: ERA_AT });
        const b = await newAccount(trx, 'Era B', { at: ERA_AT });
        await record(trx, a, { kind: 'charge', amountCents: 1_500, effectiveOn: '1999-03-01' }, ERA_AT);
        await record(trx, a, { kind: 'payment', amountCents: 500, effectiveOn: '1999-08-01' }, ERA_AT);
        await record(trx, b, { kind: 'payment', amountCents: 250, effectiveOn: '1999-04-01' }, ERA_AT);
        await record(trx, b, { kind: 'charge', amountCents: 1_000, effectiveOn: '1999-09-01' }, ERA_AT);
        for (const asOf of ['1999-02-28', '1999-06-30', '1999-08-15', '1999-12-31']) {
          const written: AccountAgingRow[] = [];
          for await (const batch of agingOfEveryAccount(trx, asOf, '2026-06-30', { batchSize: 3 })) written.push(...batch);
          const expected = await Promise.all([a, b].map(async (acctid) => [acctid, figures((await accountAging(trx, acctid, asOf)).aging)] as const));
          assert.deepEqual(
            written.map((row) => [row.acctid, figures(row.aging)]),
            expected.filter(([, values]) => values.some((value) => value !== 0)).sort(([x], [y]) => (x < y ? -1 : 1)),
            asOf,
          );
        }
      });
    });
  });
}
