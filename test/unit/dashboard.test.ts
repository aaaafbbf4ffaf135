/** The dashboard's week arithmetic, its bands and its SVG charts, without a database. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { barChart } from '../../src/modules/dashboard/charts.js';
import { dashboardBody } from '../../src/modules/dashboard/dashboard.views.js';
import { BALANCE_BANDS, isoWeekOf, WEEK_MS, weekStart, WEEKS, type DashboardSummary } from '../../src/modules/dashboard/summary.js';
import { dsoDays, ZERO_TOTALS } from '../../src/modules/receivables/index.js';

/** The summary of a database with nothing in it, on Sunday 29 November 2026. */
function emptySummary(): DashboardSummary {
  const asOf = Date.UTC(2026, 10, 29, 12);
  return {
    asOf,
    totalDueCents: 0n,
    totalPaidCents: 0n,
    netReceivablesCents: 0n,
    accounts: { total: 0, owing: 0, overpaid: 0, settled: 0, closed: 0 },
    largestBalances: [],
    recentActivity: [],
    balanceBands: BALANCE_BANDS.map((b) => ({ ...b, accounts: 0, balanceCents: 0n })),
    weeks: Array.from({ length: WEEKS }, (_, index) => {
      const startsAt = weekStart(asOf) - (WEEKS - 1 - index) * WEEK_MS;
      return { startsAt, isoWeek: isoWeekOf(startsAt), paymentsCents: 0n, chargesCents: 0n };
    }),
    aging: { asOf: '2026-11-29', totals: ZERO_TOTALS },
    dso: { days: null, from: '2026-08-31', to: '2026-11-29', receivablesCents: 0n, invoicedCents: 0n },
  };
}

describe('ISO weeks', () => {
  test('a week starts on Monday 00:00 UTC: Sunday 23:59:59.999 still belongs to the week before', () => {
    const monday = Date.UTC(2026, 10, 23);
    assert.equal(weekStart(monday), monday);
    assert.equal(weekStart(monday - 1), monday - WEEK_MS);
    assert.equal(weekStart(Date.UTC(2026, 10, 29, 23, 59, 59, 999)), monday);
    assert.equal(weekStart(Date.UTC(1970, 0, 1)), Date.UTC(1969, 11, 29), 'before the first Monday of the epoch too');
  });

  test('the ISO week number follows the Thursday rule across years', () => {
    assert.equal(isoWeekOf(Date.UTC(2026, 10, 23)), '2026-W48');
    assert.equal(isoWeekOf(Date.UTC(2020, 11, 28)), '2020-W53');
    assert.equal(isoWeekOf(Date.UTC(2024, 11, 30)), '2025-W01');
    assert.equal(isoWeekOf(Date.UTC(2027, 0, 4)), '2027-W01');
    assert.equal(isoWeekOf(Date.UTC(2026, 11, 28)), '2026-W53');
  });

  test('the balance bands cover every balance exactly once', () => {
    for (const balance of [-1e12, -1, 0, 1, 10_000, 10_001, 100_000, 100_001, 1_000_000, 1_000_001, 1e12]) {
      const holding = BALANCE_BANDS.filter((b) => (b.aboveCents === null || balance > b.aboveCents) && (b.upToCents === null || balance <= b.upToCents));
      assert.equal(holding.length, 1, `${balance} is in ${holding.length} bands`);
    }
    assert.deepEqual(
      BALANCE_BANDS.map((b) => b.label),
      ['0.00 USD or less', '0.01 USD to 100.00 USD', '100.01 USD to 1000.00 USD', '1000.01 USD to 10000.00 USD', 'over 10000.00 USD'],
    );
  });
});

describe('bar charts', () => {
  const series = { key: 'a', name: 'Accounts', className: 'bar-accounts' };

  test('an SVG image named by its title, described by its desc, each bar with its value; no inline style', () => {
    const svg = barChart({
      id: 'test-chart',
      title: 'Title <1>',
      description: 'Desc & more',
      groups: [
        { label: 'Small', bars: [{ series, value: 1, text: '1 account' }] },
        { label: 'Big', note: 'note', bars: [{ series, value: 100, text: '100 accounts' }] },
        { label: 'None', bars: [{ series, value: 0, text: '0 accounts' }] },
      ],
    }).value;
    assert.match(svg, /^<svg class="chart" role="img" aria-labelledby="test-chart-title" aria-describedby="test-chart-desc" viewBox="0 0 360 \d+" width="100%"/);
    assert.ok(svg.includes('<title id="test-chart-title">Title &lt;1&gt;</title>'));
    assert.ok(svg.includes('<desc id="test-chart-desc">Desc &amp; more</desc>'));
    assert.deepEqual([...svg.matchAll(/<text class="chart-value"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]), ['1 account', '100 accounts', '0 accounts']);
    const widths = [...svg.matchAll(/<rect class="bar-accounts" x="0" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.equal(widths.length, 3);
    assert.ok(widths[1]! > widths[0]! && widths[0]! >= 2 && widths[2] === 0, `bar lengths ${widths.join(', ')}`);
    // The longest bar and its label stay inside the drawing.
    const longest = /<text class="chart-value" x="([\d.]+)"[^>]*>100 accounts/.exec(svg);
    assert.ok(longest && Number(longest[1]) + '100 accounts'.length * 7.8 <= 360 + 1);
    assert.doesNotMatch(svg, /style=|<script/);
  });

  test('the page renders for an empty database: zeros, empty tables, the three charts, no DSO', () => {
    const body = dashboardBody(emptySummary()).value;
    assert.ok(body.includes('No account owes anything.'));
    assert.ok(body.includes('Nothing recorded yet.'));
    assert.equal([...body.matchAll(/<svg class="chart[^"]*" role="img"/g)].length, 3);
    assert.match(body, /<div class="tile" id="figure-dso"><dt>DSO<\/dt><dd><span class="tile-value">—<\/span>/, 'no invoices: no DSO');
    assert.match(body, /<line class="chart-baseline"/, 'empty weeks show as the baseline');
    assert.ok(body.includes('W48 (this week so far)'));
    assert.doesNotMatch(body, /NaN|undefined|Infinity/);
  });

  test('rendering the page makes no Intl formatter (each holds native memory the garbage collector sees late)', (t) => {
    const made = { count: 0 };
    const Original = Intl.DateTimeFormat;
    class Counting extends Original {
      constructor(...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
        super(...args);
        made.count += 1;
      }
    }
    Intl.DateTimeFormat = Counting as typeof Intl.DateTimeFormat;
    t.after(() => {
      Intl.DateTimeFormat = Original;
    });
    dashboardBody(emptySummary());
    assert.equal(made.count, 0);
  });
});

describe('DSO', () => {
  test('receivables ÷ invoiced × 90, one decimal rounded half away from zero, exact past 2^53; none without invoices', () => {
    assert.equal(dsoDays(45_000n, 90_000n), 45);
    // 1 ÷ 3 × 90 = 30 exactly; 100 ÷ 7 × 90 = 1285.714… → 1285.7; 1 ÷ 16 × 90 = 5.625 → 5.6; 3 ÷ 16 × 90 = 16.875 → 16.9.
    assert.equal(dsoDays(1n, 3n), 30);
    assert.equal(dsoDays(100n, 7n), 1285.7);
    assert.equal(dsoDays(1n, 16n), 5.6);
    assert.equal(dsoDays(3n, 16n), 16.9);
    // Half a tenth rounds away from zero: 1 ÷ 1800 × 90 = 0.05 → 0.1; in credit, −0.05 → −0.1.
    assert.equal(dsoDays(1n, 1800n), 0.1);
    assert.equal(dsoDays(-1n, 1800n), -0.1);
    assert.equal(dsoDays(2n ** 60n, 2n ** 60n * 3n), 30);
    assert.equal(dsoDays(500n, 0n), null);
  });
});
