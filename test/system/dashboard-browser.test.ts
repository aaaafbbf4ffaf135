/**
 * The dashboard in a real browser (chromium through playwright-core) against
 * the running server, its CSP on, with something in every chart (an account
 * in each balance band, the largest 1,234,567,890.12 USD; payments and
 * charges in each of the twelve weeks), as a viewer: the charts are images
 * named for what they show; at 375 px the page is no wider than the screen
 * and the charts fit; axe-core (WCAG 2.0/2.1 A and AA) finds nothing of any
 * impact in light and dark colour schemes, on a 375 px and a wide screen.
 * Screenshots go to test-results/screenshots/dashboard-*.png.
 *
 * crm-browser.test.ts signs in to the dashboard and checks it (serious and
 * critical axe-core rules, the width on a phone) with the few accounts of a
 * fresh server; this suite is the dashboard full, and strict.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccounts } from '../../src/modules/accounts/accounts.service.js';
import { WEEK_MS } from '../../src/modules/dashboard/summary.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { assertAccessible, clearScreenshots, OWN_SERVER_BROWSER_SKIP, saveScreenshot, startVisit, type BrowserVisit } from '../support/browser.js';
import { uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

const actor = { name: 'dashboard-browser', ip: '127.0.0.1', requestId: 'req-dashboard-browser' };

// The accounts are added to the server's own SQLite file, so this suite needs a server of its own.
describe('the dashboard in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;

  before(async () => {
    clearScreenshots('dashboard-');
    visit = await startVisit({ role: 'viewer', context: { viewport: { width: 375, height: 812 } } });
    // Something in every chart: an account in each band, payments and charges in each of the twelve weeks.
    const now = Date.now();
    const ids = Array.from({ length: 6 }, () => uniqueAcctId('DB'));
    const dues = [0, 5_000, 50_000, 500_000, 5_000_000, 123_456_789_012];
    await visit.db.transaction().execute(async (trx) => {
      await createAccounts(
        trx,
        actor,
        ids.map((acctid, index) => ({ acctid, name: `Customer ${index} with a rather long name`, openingDueCents: cents(dues[index]!), openingPaidCents: cents(index === 0 ? 2_500 : 0) })),
        now,
      );
      for (let week = 0; week < 12; week++) {
        await recordEntry(trx, actor, { acctid: ids[4]!, kind: 'payment', amountCents: cents(10_000 * (week + 1)), memo: '' }, { at: now - week * WEEK_MS });
        await recordEntry(trx, actor, { acctid: ids[3]!, kind: 'charge', amountCents: cents(7_000 * (12 - week)), memo: '' }, { at: now - week * WEEK_MS });
      }
    });
    // Signing in without a page to go back to lands on the dashboard.
    await visit.signIn();
  });

  after(() => visit?.close());

  test('the charts are images named for what they show', async () => {
    const { page } = visit;
    assert.equal(await page.getByRole('img', { name: 'Accounts by balance band' }).count(), 1);
    assert.equal(await page.getByRole('img', { name: /^Payments and charges per week/ }).count(), 1);
    assert.equal(await page.getByRole('img', { name: /^Receivables by days past due, today/ }).count(), 1);
  });

  test('at 375 px the page is no wider than the screen and the charts fit', async () => {
    const { page } = visit;
    const widths = await page.evaluate<{ page: number; charts: number[] }>(
      "({ page: document.documentElement.scrollWidth, charts: [...document.querySelectorAll('svg.chart')].map((svg) => svg.getBoundingClientRect().right) })",
    );
    assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
    assert.equal(widths.charts.length, 3);
    for (const right of widths.charts) assert.ok(right <= 375, `a chart ends at ${right} px`);
    await saveScreenshot(page, 'dashboard-375');
  });

  test('axe-core finds nothing in either colour scheme, on a narrow and a wide screen; the CSP blocked nothing', async () => {
    const { page } = visit;
    await assertAccessible(page, '/dashboard at 375 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await assertAccessible(page, '/dashboard at 1280 px');
    await saveScreenshot(page, 'dashboard-1280');
    assert.deepEqual(visit.problems, []);
  });
});
