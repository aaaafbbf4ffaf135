/**
 * The dashboard on each database: summarize()'s figures are exact for a known
 * set of accounts and entries, the page shows them as tiles, tables and two
 * accessible charts, and GET /api/v1/summary gives the same figures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely, Transaction } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccounts, setAccountClosed } from '../../src/modules/accounts/accounts.service.js';
import { FIGURE_IDS } from '../../src/modules/dashboard/dashboard.views.js';
import type { SummaryResponse } from '../../src/modules/dashboard/summary.api.js';
import { BALANCE_BANDS, LARGEST_BALANCES, RECENT_ENTRIES, summarize, WEEK_MS, weekStart, WEEKS, type DashboardSummary } from '../../src/modules/dashboard/summary.js';
import { MAX_ACCOUNT_TOTAL_CENTS, recordEntry, type EntryKind, type NewEntry } from '../../src/modules/ledger/index.js';
import { dialectOf } from '../../src/platform/db/dialect.js';
import type { Database } from '../../src/schema.js';
import { money } from '../../src/platform/views/format.js';
import { cents, formatCents } from '../../src/shared/money.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'dashboard-test', ip: '127.0.0.1', requestId: 'req-dashboard' };
/** Balances no other suite comes near (about 40 billion USD), so these accounts top the largest balances on a shared database. */
const HUGE = cents(4_000_000_000_000);
const PREFIX = 'DSH';
/** The account the page tests show: below the three above, above everything else. */
const PAGE_BALANCE = cents(HUGE / 2 + 99);

/** Thrown to roll back a transaction whose work the test only needed to look at. */
class RolledBack extends Error {}

/** What the page's tile with this id shows. */
function tileValue(body: string, id: string): string | undefined {
  const start = `<div class="tile" id="${id}"><dt>`;
  const at = body.indexOf(start);
  if (at < 0) return undefined;
  const value = /^[^<]*<\/dt><dd><span class="tile-value">([^<]*)<\/span>/.exec(body.slice(at + start.length));
  return value?.[1];
}

/** The figures the page shows, as the API would format them. */
function pageFigures(body: string) {
  const largest = [...body.matchAll(/<tr><th scope="row"><a href="\/accounts\/([^"]+)">[^<]*<\/a>.*?<\/th><td class="num" data-label="Balance">([^<]*)<\/td><\/tr>/g)].map(([, acctid, balance]) => [decodeURIComponent(acctid!), balance]);
  return {
    total_due: tileValue(body, FIGURE_IDS.totalDue),
    total_paid: tileValue(body, FIGURE_IDS.totalPaid),
    net_receivables: tileValue(body, FIGURE_IDS.netReceivables),
    accounts: tileValue(body, FIGURE_IDS.accounts),
    owing: tileValue(body, FIGURE_IDS.owing),
    overpaid: tileValue(body, FIGURE_IDS.overpaid),
    settled: tileValue(body, FIGURE_IDS.settled),
    closed: tileValue(body, FIGURE_IDS.closed),
    largest,
  };
}

function apiFigures(summary: SummaryResponse): ReturnType<typeof pageFigures> {
  const count = (n: number) => n.toLocaleString('en-US');
  return {
    total_due: money(BigInt(summary.total_due_cents_exact)),
    total_paid: money(BigInt(summary.total_paid_cents_exact)),
    net_receivables: money(BigInt(summary.net_receivables_cents_exact)),
    accounts: count(summary.accounts.total),
    owing: count(summary.accounts.owing),
    overpaid: count(summary.accounts.overpaid),
    settled: count(summary.accounts.settled),
    closed: count(summary.accounts.closed),
    largest: summary.largest_balances.map((row) => [row.acctid, money(BigInt(row.balance_cents))]),
  };
}

/** The summary worked out in JavaScript from the rows themselves: what summarize() must agree with. */
async function recount(db: Queryable, asOf: number): Promise<Omit<DashboardSummary, 'aging' | 'dso'>> {
  const accounts = await db.selectFrom('account').select(['acctid', 'name', 'due_cents', 'paid_cents', 'balance_cents', 'closed_at']).execute();
  const rows = accounts.map((row) => ({ ...row, due: Number(row.due_cents), paid: Number(row.paid_cents), balance: Number(row.balance_cents) }));
  const sum = (values: number[]) => values.reduce((total, value) => total + BigInt(value), 0n);
  const inBand = (balance: number, b: (typeof BALANCE_BANDS)[number]) => (b.aboveCents === null || balance > b.aboveCents) && (b.upToCents === null || balance <= b.upToCents);
  const largest = rows
    .filter((row) => row.balance > 0)
    .sort((a, b) => b.balance - a.balance || (a.acctid < b.acctid ? 1 : -1))
    .slice(0, LARGEST_BALANCES);
  const entries = await db.selectFrom('ledger_entry').select(['id', 'acctid', 'kind', 'amount_cents', 'balance_after_cents', 'actor', 'created_at']).orderBy('id', 'desc').limit(RECENT_ENTRIES).execute();
  const names = new Map(rows.map((row) => [row.acctid, row.name]));
  const first = weekStart(asOf) - (WEEKS - 1) * WEEK_MS;
  const inWindow = await db.selectFrom('ledger_entry').select(['kind', 'amount_cents', 'created_at']).where('created_at', '>=', first).execute();
  const weeks = Array.from({ length: WEEKS }, (_, index) => first + index * WEEK_MS).map((startsAt) => {
    const of = (kind: string) => sum(inWindow.filter((e) => e.kind === kind && Number(e.created_at) >= startsAt && Number(e.created_at) < startsAt + WEEK_MS).map((e) => Number(e.amount_cents)));
    return { startsAt, paymentsCents: of('payment'), chargesCents: of('charge') };
  });
  return {
    asOf,
    totalDueCents: sum(rows.map((row) => row.due)),
    totalPaidCents: sum(rows.map((row) => row.paid)),
    netReceivablesCents: sum(rows.map((row) => row.balance)),
    accounts: {
      total: rows.length,
      owing: rows.filter((row) => row.balance > 0).length,
      overpaid: rows.filter((row) => row.balance < 0).length,
      settled: rows.filter((row) => row.balance === 0).length,
      closed: rows.filter((row) => row.closed_at !== null).length,
    },
    largestBalances: largest.map((row) => ({ acctid: row.acctid, name: row.name, balanceCents: cents(row.balance), closed: row.closed_at !== null })),
    recentActivity: entries.map((e) => ({
      id: Number(e.id),
      acctid: e.acctid,
      name: names.get(e.acctid) ?? '',
      kind: e.kind as EntryKind,
      amountCents: cents(Number(e.amount_cents)),
      balanceAfterCents: cents(Number(e.balance_after_cents ?? 0)),
      actor: e.actor,
      createdAt: Number(e.created_at),
    })),
    balanceBands: BALANCE_BANDS.map((b) => {
      const members = rows.filter((row) => inBand(row.balance, b));
      return { ...b, accounts: members.length, balanceCents: sum(members.map((row) => row.balance)) };
    }),
    weeks: weeks.map((week) => ({ ...week, isoWeek: '' })),
  };
}

type Queryable = Kysely<Database> | Transaction<Database>;

/** The summary without what recount() does not work out (the week names; aging and DSO have tests of their own). */
const comparable = (summary: DashboardSummary): Omit<DashboardSummary, 'aging' | 'dso'> => {
  const { aging, dso, ...rest } = summary;
  void aging;
  void dso;
  return { ...rest, weeks: summary.weeks.map((week) => ({ ...week, isoWeek: '' })) };
};

/** Figure by figure, after − before (the differences are small: numbers). */
function delta(before: DashboardSummary, after: DashboardSummary) {
  return {
    totalDueCents: Number(after.totalDueCents - before.totalDueCents),
    totalPaidCents: Number(after.totalPaidCents - before.totalPaidCents),
    netReceivablesCents: Number(after.netReceivablesCents - before.netReceivablesCents),
    accounts: Object.fromEntries(Object.entries(after.accounts).map(([key, value]) => [key, value - before.accounts[key as keyof typeof before.accounts]])),
    bands: after.balanceBands.map((b, index) => [b.key, b.accounts - before.balanceBands[index]!.accounts, Number(b.balanceCents - before.balanceBands[index]!.balanceCents)]),
    weeks: after.weeks.map((w, index) => [Number(w.paymentsCents - before.weeks[index]!.paymentsCents), Number(w.chargesCents - before.weeks[index]!.chargesCents)]),
  };
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the dashboard on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let viewerCookie: string;
    let viewerToken: string;
    /** Committed accounts the page tests show; deleted afterwards (and before, should a run have died). */
    const committed: string[] = [];

    /** Deletes these accounts (by default every account of this suite) with their entries. */
    async function removeOurAccounts(only?: readonly string[]): Promise<void> {
      const ours = await db.selectFrom('account').select('acctid').where('acctid', 'like', `${PREFIX}%`).execute();
      const ids = ours.map((row) => row.acctid).filter((acctid) => !only || only.includes(acctid));
      if (ids.length === 0) return;
      await db.deleteFrom('allocation').where('acctid', 'in', ids).execute();
      await db.deleteFrom('open_item').where('acctid', 'in', ids).execute();
      await db.deleteFrom('ledger_entry').where('acctid', 'in', ids).execute();
      await db.deleteFrom('account_search_term').where('acctid', 'in', ids).execute();
      await db.deleteFrom('account').where('acctid', 'in', ids).execute();
    }

    before(async () => {
      db = opened.db!;
      await removeOurAccounts();
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
      const viewer = await addUser(db, 'viewer');
      viewerCookie = (await signInWith(app, viewer.username, viewer.password)).cookie;
      viewerToken = await addToken(db, viewer);
      const acctid = uniqueAcctId(PREFIX);
      await db.transaction().execute((trx) => createAccounts(trx, actor, [{ acctid, name: 'Dashboard Page <Test> & Co', openingDueCents: PAGE_BALANCE }]));
      committed.push(acctid);
    });
    after(async () => {
      if (db) await removeOurAccounts();
      await app?.close();
      await db?.destroy();
    });

    test('the figures move by exactly what a known set of accounts and entries adds, and agree with the rows themselves', async () => {
      const asOf = Date.now();
      const thisWeek = weekStart(asOf);
      const weekAgo = (n: number) => thisWeek - n * WEEK_MS;
      const id = () => uniqueAcctId(PREFIX);
      const [huge1, huge2, huge3, small, credit, settled, hundreds, thousands] = [id(), id(), id(), id(), id(), id(), id(), id()];
      // Another transaction's commits stay out of sight (repeatable read), so the differences are ours alone; nothing is kept.
      const transaction = dialectOf(db) === 'sqlite' ? db.transaction() : db.transaction().setIsolationLevel('repeatable read');
      await assert.rejects(
        transaction.execute(async (trx) => {
          const beforeSummary = await summarize(trx, asOf);
          await createAccounts(
            trx,
            actor,
            [
              { acctid: huge1, name: 'Huge One', openingDueCents: cents(HUGE + 3) },
              { acctid: huge2, name: 'Huge Two', openingDueCents: cents(HUGE + 2) },
              { acctid: huge3, name: 'Huge Three', openingDueCents: cents(HUGE + 1) },
              { acctid: small, name: 'Small Owing', openingDueCents: cents(5_000) },
              { acctid: credit, name: 'In Credit', openingPaidCents: cents(2_500) },
              { acctid: settled, name: 'Settled Up', openingDueCents: cents(10_000), openingPaidCents: cents(10_000) },
              { acctid: hundreds, name: 'Hundreds', openingDueCents: cents(50_000) },
              { acctid: thousands, name: 'Thousands', openingDueCents: cents(500_000) },
            ],
            asOf,
          );
          await setAccountClosed(trx, actor, settled, true, asOf);
          const record = (entry: NewEntry, at: number) => recordEntry(trx, actor, entry, { at });
          // Three weeks ago: a payment and a charge (an adjustment is neither).
          await record({ acctid: small, kind: 'payment', amountCents: cents(1_234), memo: '' }, weekAgo(3) + 3_600_000);
          await record({ acctid: small, kind: 'charge', amountCents: cents(5_678), memo: '' }, weekAgo(3) + 7_200_000);
          await record({ acctid: small, kind: 'adjustment', amountCents: cents(-100), memo: 'goodwill' }, weekAgo(3) + 7_300_000);
          // The edges of a week: Monday 00:00:00.000 UTC is the new week, a millisecond before is the old one.
          await record({ acctid: hundreds, kind: 'charge', amountCents: cents(700), memo: '' }, weekAgo(5));
          await record({ acctid: hundreds, kind: 'payment', amountCents: cents(300), memo: '' }, weekAgo(5) - 1);
          // Outside the window: twelve weeks back is one too many.
          await record({ acctid: thousands, kind: 'payment', amountCents: cents(999), memo: '' }, weekAgo(WEEKS));
          const afterSummary = await summarize(trx, asOf);

          const dues = HUGE * 3 + 6 + 5_000 + 10_000 + 50_000 + 500_000;
          const charged = 5_678 + 700;
          const paid = 2_500 + 10_000 + 1_234 + 100 + 300 + 999;
          const weeks = Array.from({ length: WEEKS }, () => [0, 0]);
          weeks[WEEKS - 1] = [2_500 + 10_000, dues];
          weeks[WEEKS - 1 - 3] = [1_234, 5_678];
          weeks[WEEKS - 1 - 5] = [0, 700];
          weeks[WEEKS - 1 - 6] = [300, 0];
          assert.deepEqual(delta(beforeSummary, afterSummary), {
            totalDueCents: dues + charged,
            totalPaidCents: paid,
            netReceivablesCents: dues + charged - paid,
            accounts: { total: 8, owing: 6, overpaid: 1, settled: 1, closed: 1 },
            bands: [
              // small: 5,000 − 1,234 + 5,678 − 100 = 9,344; hundreds: 50,000 + 700 − 300 = 50,400; thousands: 500,000 − 999.
              ['le0', 2, -2_500],
              ['0-100', 1, 9_344],
              ['100-1k', 1, 50_400],
              ['1k-10k', 1, 499_001],
              ['gt10k', 3, HUGE * 3 + 6],
            ],
            weeks,
          });
          assert.deepEqual(
            afterSummary.largestBalances.slice(0, 3),
            [
              { acctid: huge1, name: 'Huge One', balanceCents: HUGE + 3, closed: false },
              { acctid: huge2, name: 'Huge Two', balanceCents: HUGE + 2, closed: false },
              { acctid: huge3, name: 'Huge Three', balanceCents: HUGE + 1, closed: false },
            ],
          );
          // The payment outside the window was the last entry recorded here; the newest comes first.
          const [newest] = afterSummary.recentActivity;
          assert.deepEqual(newest && [newest.acctid, newest.name, newest.kind, newest.amountCents, newest.balanceAfterCents, newest.actor, newest.createdAt], [
            thousands,
            'Thousands',
            'payment',
            999,
            499_001,
            'dashboard-test',
            weekAgo(WEEKS),
          ]);
          assert.deepEqual(afterSummary.weeks.map((w) => w.startsAt), Array.from({ length: WEEKS }, (_, index) => weekAgo(WEEKS - 1 - index)));
          // Every figure, worked out from the rows in the same snapshot.
          assert.deepEqual(comparable(afterSummary), await recount(trx, asOf));
          throw new RolledBack();
        }),
        RolledBack,
      );
    });

    test('an empty set of weeks and no accounts owing are figures too: zeros, never null', async () => {
      const summary = await summarize(db, Date.UTC(1971, 0, 6));
      assert.equal(summary.weeks.length, WEEKS);
      for (const week of summary.weeks) assert.deepEqual([week.paymentsCents, week.chargesCents], [0n, 0n]);
      for (const b of summary.balanceBands) assert.ok(Number.isSafeInteger(b.accounts) && typeof b.balanceCents === 'bigint');
    });

    test('GET /dashboard shows the figures as tiles, the largest balances with links, the latest entries and two accessible charts', async () => {
      const page = await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: viewerCookie } });
      assert.equal(page.statusCode, 200);
      const body = page.body;
      assert.match(body, /<title>Dashboard · Globomantics CRM<\/title>/);
      assert.match(body, /<a href="\/dashboard" aria-current="page">Dashboard<\/a>/);
      for (const id of Object.values(FIGURE_IDS)) assert.ok(tileValue(body, id) !== undefined, `tile ${id}`);
      assert.match(tileValue(body, FIGURE_IDS.totalDue)!, /^\d{1,3}(?:,\d\d\d)+\.\d\d USD$/, 'thousands separated');
      const [acctid] = committed;
      assert.ok(body.includes(`<a href="/accounts/${acctid}">${acctid}</a> <span class="account-name">Dashboard Page &lt;Test&gt; &amp; Co</span>`), 'the largest balance links to its account, its name escaped');
      assert.ok(body.includes(`<td class="num" data-label="Balance">${money(PAGE_BALANCE)}</td>`));
      assert.match(body, /<caption>Latest ledger entries, newest first<\/caption>/);

      const charts = [...body.matchAll(/<svg class="chart[^"]*" role="img" aria-labelledby="([\w-]+)-title" aria-describedby="\1-desc" viewBox="0 0 \d+ \d+" width="100%"[^>]*>([\s\S]*?)<\/svg>/g)];
      assert.equal(charts.length, 3, 'three charts');
      for (const [, id, inner] of charts) {
        assert.ok(inner!.startsWith(`\n<title id="${id}-title">`), `${id}: the <title> comes first`);
        assert.match(inner!, /^\n<title id="[\w-]+">[^<]+<\/title>\n<desc id="[\w-]+">[^<]+<\/desc>/);
        assert.ok(inner!.includes(`<desc id="${id}-desc">`), `${id}: described by its <desc>`);
      }
      const chart = (id: string) => charts.find(([, chartId]) => chartId === id)?.[2];
      const [bands, weekly] = [chart('bands-chart'), chart('weekly-chart')];
      assert.equal([...bands!.matchAll(/<text class="chart-value"[^>]*>\d[\d,]* accounts?<\/text>/g)].length, BALANCE_BANDS.length, 'each band bar carries its count');
      assert.equal([...weekly!.matchAll(/<title>W\d{2} (Payments|Charges): -?[\d,]+\.\d{2} USD<\/title>/g)].length, WEEKS * 2, 'each week has a payments and a charges column, its amount in its title');
      assert.match(weekly!, /<line class="chart-baseline"/, 'the baseline is drawn, so an empty week shows as the baseline');
      assert.match(body, /<caption>Accounts by balance band<\/caption>/);
      assert.match(body, /<caption>Payments and charges per ISO week \(UTC\)<\/caption>/);
      assert.doesNotMatch(body, /\sstyle=|<script/i, 'nothing the CSP would block');
    });

    test('GET /api/v1/summary gives the page’s figures as integer cents and formatted amounts; a viewer’s token may read it', async () => {
      let page: ReturnType<typeof pageFigures> | undefined;
      let api: ReturnType<typeof pageFigures> | undefined;
      let summary: SummaryResponse | undefined;
      // Other suites may write to a shared database between the two requests: a few tries find a quiet moment.
      for (let attempt = 0; attempt < 5; attempt++) {
        const html = await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: viewerCookie } });
        const reply = await app.inject({ method: 'GET', url: '/api/v1/summary', headers: { authorization: `Bearer ${viewerToken}` } });
        assert.equal(reply.statusCode, 200, reply.body);
        assert.match(String(reply.headers['content-type']), /^application\/json/);
        summary = reply.json<SummaryResponse>();
        [page, api] = [pageFigures(html.body), apiFigures(summary)];
        if (JSON.stringify(page) === JSON.stringify(api)) break;
      }
      assert.deepEqual(page, api);
      assert.ok(summary);
      // The exact digits: on a shared test database the totals may be past 2^53, where the *_cents numbers are rounded.
      assert.equal(summary.total_due, formatCents(BigInt(summary.total_due_cents_exact)));
      assert.equal(BigInt(summary.net_receivables_cents_exact), BigInt(summary.total_due_cents_exact) - BigInt(summary.total_paid_cents_exact));
      assert.equal(summary.accounts.total, summary.accounts.owing + summary.accounts.overpaid + summary.accounts.settled);
      assert.deepEqual(summary.balance_bands.map((b) => b.band), BALANCE_BANDS.map((b) => b.key));
      assert.equal(summary.weeks.length, WEEKS);
      assert.match(summary.weeks.at(-1)!.week, /^\d{4}-W\d{2}$/);
      assert.ok(summary.largest_balances.some((row) => row.acctid === committed[0] && row.balance_cents === PAGE_BALANCE && row.balance === formatCents(PAGE_BALANCE)));
      for (const entry of summary.recent_activity) assert.equal(entry.amount, formatCents(cents(entry.amount_cents)));
      assert.match(summary.as_of, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    test('totals past 2^53 cents (three accounts at the per-account cap) are exact on the page and in GET /api/v1/summary', async () => {
      const capped = [uniqueAcctId(PREFIX), uniqueAcctId(PREFIX), uniqueAcctId(PREFIX)];
      await db.transaction().execute((trx) => createAccounts(trx, actor, capped.map((acctid) => ({ acctid, name: 'At The Cap', openingDueCents: MAX_ACCOUNT_TOTAL_CENTS }))));
      // A handle of its own on the same connections, so no reading cached by the tests above stands in for the new one.
      const ownApp = await testApp(db.withoutPlugins(), { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
      try {
        let expected = { due: 0n, paid: 0n };
        let summary: SummaryResponse | undefined;
        let page = '';
        // Other suites may write to a shared database meanwhile: a few tries find a quiet moment.
        for (let attempt = 0; attempt < 5; attempt++) {
          const html = await ownApp.inject({ method: 'GET', url: '/dashboard', headers: { cookie: viewerCookie } });
          assert.equal(html.statusCode, 200, html.body.slice(0, 500));
          page = html.body;
          const reply = await ownApp.inject({ method: 'GET', url: '/api/v1/summary', headers: { authorization: `Bearer ${viewerToken}` } });
          assert.equal(reply.statusCode, 200, reply.body);
          summary = reply.json<SummaryResponse>();
          const rows = await db.selectFrom('account').select(['due_cents', 'paid_cents']).execute();
          expected = rows.reduce((sum, row) => ({ due: sum.due + BigInt(row.due_cents), paid: sum.paid + BigInt(row.paid_cents) }), { due: 0n, paid: 0n });
          if (summary.total_due_cents_exact === String(expected.due) && summary.total_paid_cents_exact === String(expected.paid)) break;
        }
        assert.ok(summary);
        assert.ok(expected.due >= 3n * BigInt(MAX_ACCOUNT_TOTAL_CENTS), 'the three accounts are in the total');
        assert.equal(summary.total_due_cents_exact, String(expected.due));
        assert.equal(summary.total_paid_cents_exact, String(expected.paid));
        assert.equal(summary.net_receivables_cents_exact, String(expected.due - expected.paid));
        assert.equal(summary.total_due, formatCents(expected.due));
        assert.equal(summary.total_due_cents, Number(expected.due), 'the number is the nearest a double holds');
        const gt10k = summary.balance_bands.find((b) => b.band === 'gt10k');
        assert.ok(gt10k && BigInt(gt10k.balance_cents_exact) >= 3n * BigInt(MAX_ACCOUNT_TOTAL_CENTS));
        assert.ok(BigInt(summary.weeks.at(-1)!.charges_cents_exact) >= 3n * BigInt(MAX_ACCOUNT_TOTAL_CENTS));
        assert.equal(tileValue(page, FIGURE_IDS.totalDue), money(expected.due));
        assert.equal(tileValue(page, FIGURE_IDS.netReceivables), money(expected.due - expected.paid));
      } finally {
        await ownApp.close();
        await removeOurAccounts(capped);
      }
    });
  });
}
