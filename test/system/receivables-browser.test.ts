/**
 * The aged receivables page in a real browser (chromium through
 * playwright-core) against the running server, its CSP on, as a viewer, with
 * something in every bucket and an account in credit: the totals are an image
 * named for what it shows; the as-of form works without script (a past day
 * gives that day's figures); the page fits a 375 px screen; axe-core (WCAG
 * 2.0/2.1 A and AA) finds nothing in light and dark colour schemes, on a phone
 * and a wide screen. Screenshots: test-results/screenshots/receivables-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { assertAccessible, clearScreenshots, OWN_SERVER_BROWSER_SKIP, saveScreenshot, startVisit, type BrowserVisit } from '../support/browser.js';
import { uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'receivables-browser', ip: '127.0.0.1', requestId: 'req-receivables-browser' };

describe('the aged receivables page in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  const today = dateIn('UTC');
  const ids = Array.from({ length: 6 }, () => uniqueAcctId('RB'));

  before(async () => {
    clearScreenshots('receivables-');
    visit = await startVisit({ role: 'viewer', context: { viewport: { width: 375, height: 812 } } });
    await visit.db.transaction().execute(async (trx) => {
      await createAccounts(trx, actor, ids.map((acctid, index) => ({ acctid, name: `Customer ${index} with a rather long name` })));
      // Invoices due 10 days ahead, and 15, 45, 75 and 200 days ago; one account in credit.
      const invoices: [number, number, number][] = [
        [0, 20, 123_456],
        [1, 15 + 30, 98_765_43],
        [2, 45 + 30, 4_321_00],
        [3, 75 + 30, 2_500_00],
        [4, 200 + 30, 12_345_678_90],
      ];
      for (const [index, daysAgo, amount] of invoices) {
        await recordEntry(trx, actor, { acctid: ids[index]!, kind: 'charge', amountCents: cents(amount), memo: '', effectiveOn: addDays(today, -daysAgo) });
      }
      await recordEntry(trx, actor, { acctid: ids[5]!, kind: 'payment', amountCents: cents(50_000), memo: '', effectiveOn: addDays(today, -3) });
    });
    await visit.signIn('/receivables');
  });

  after(() => visit?.close());

  test('the totals are an image named for what they show, the accounts a table with the largest total first', async () => {
    const { page } = visit;
    assert.equal(await page.getByRole('img', { name: `Receivables by days past due on ${today}` }).count(), 1);
    const first = await page.locator('table.stacked tbody tr').first().locator('th a').textContent();
    assert.equal(first, ids[4]);
    assert.equal(await page.getByRole('link', { name: 'Download CSV (every account)' }).getAttribute('href'), `/receivables.csv?as_of=${today}`);
  });

  test('at 375 px the page is no wider than the screen; axe-core finds nothing in either colour scheme', async () => {
    const { page } = visit;
    const widths = await page.evaluate<{ page: number; chart: number }>("({ page: document.documentElement.scrollWidth, chart: document.querySelector('svg.aging-chart').getBoundingClientRect().right })");
    assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
    assert.ok(widths.chart <= 375, `the chart ends at ${widths.chart} px`);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await saveScreenshot(page, `receivables-phone-${colorScheme}`);
      await assertAccessible(page, `/receivables at 375 px, ${colorScheme}`);
    }
  });

  test('on a wide screen, a past day chosen in the form (no script needed) shows the figures of that day', async () => {
    const { page } = visit;
    await page.setViewportSize({ width: 1280, height: 900 });
    const past = addDays(today, -100);
    await page.getByLabel('As of').fill(past);
    await Promise.all([page.waitForURL(/\/receivables\?as_of=/), page.getByRole('button', { name: 'Show' }).click()]);
    assert.equal(new URL(page.url()).searchParams.get('as_of'), past);
    // 100 days ago two invoices existed: the one now 230 days old (due 100 days before that day) and the one now 105 days old (due 25 days after it).
    const rows = await page.locator('table.stacked tbody tr th a').allTextContents();
    assert.deepEqual(rows, [ids[4], ids[3]]);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await saveScreenshot(page, `receivables-desktop-past-${colorScheme}`);
      await assertAccessible(page, `/receivables as of ${past} at 1280 px, ${colorScheme}`);
    }
    await page.goto(visit.url('/receivables'));
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await saveScreenshot(page, `receivables-desktop-${colorScheme}`);
    }
  });

  test('a day that does not exist gives the form again with the message (400), and the CSP blocked nothing', async () => {
    const { page } = visit;
    const response = await page.goto(visit.url('/receivables?as_of=2026-02-30'));
    assert.equal(response?.status(), 400);
    assert.match((await page.locator('.field-error').textContent()) ?? '', /real calendar day/);
    assert.equal(await page.getByLabel('As of').inputValue(), '');
    await assertAccessible(page, '/receivables with a refused day');
    await saveScreenshot(page, 'receivables-desktop-refused');
    assert.deepEqual(visit.problems, []);
  });
});
