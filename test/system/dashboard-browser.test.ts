/**
 * The dashboard in a real browser (chromium through playwright-core) against
 * the running server, its CSP on: a viewer who signs in without a page to go
 * back to lands on it; axe-core (WCAG 2.0/2.1 A and AA) finds nothing in
 * light and dark colour schemes, on a 375 px and a wide screen; at 375 px the
 * page is no wider than the screen and the charts fit. Screenshots go to
 * test-results/screenshots/dashboard-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createAccounts } from '../../src/modules/accounts/accounts.service.js';
import { WEEK_MS } from '../../src/modules/dashboard/summary.js';
import { recordEntry } from '../../src/modules/ledger/ledger.service.js';
import type { Database } from '../../src/schema.js';
import { serverDatabase } from '../attacks/support.js';
import { assertAccessible, CHROMIUM_MISSING, clearScreenshots, collectProblems, launchBrowser, saveScreenshot } from '../support/browser.js';
import { OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addUser, type TestUser } from '../support/staff.js';
import { uniqueAcctId } from '../support/test-databases.js';

// The accounts are added to the server's own SQLite file, so this suite needs a server of its own.
const skip = CHROMIUM_MISSING || OWN_SERVER_SKIP;
const actor = { name: 'dashboard-browser', ip: '127.0.0.1', requestId: 'req-dashboard-browser' };

describe('the dashboard in a real browser', { skip }, () => {
  let server: ServerProcess;
  let db: Kysely<Database>;
  let viewer: TestUser;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    clearScreenshots('dashboard-');
    server = await startServer();
    db = await serverDatabase(server);
    viewer = await addUser(db, 'viewer');
    // Something in every chart: an account in each band, payments and charges in each of the twelve weeks.
    const now = Date.now();
    const ids = Array.from({ length: 6 }, () => uniqueAcctId('DB'));
    const dues = [0, 5_000, 50_000, 500_000, 5_000_000, 123_456_789_012];
    await db.transaction().execute(async (trx) => {
      await createAccounts(
        trx,
        actor,
        ids.map((acctid, index) => ({ acctid, name: `Customer ${index} with a rather long name`, openingDueCents: dues[index]!, openingPaidCents: index === 0 ? 2_500 : 0 })),
        now,
      );
      for (let week = 0; week < 12; week++) {
        await recordEntry(trx, actor, { acctid: ids[4]!, kind: 'payment', amountCents: 10_000 * (week + 1), memo: '' }, now - week * WEEK_MS);
        await recordEntry(trx, actor, { acctid: ids[3]!, kind: 'charge', amountCents: 7_000 * (12 - week), memo: '' }, now - week * WEEK_MS);
      }
    });
    browser = await launchBrowser();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 375, height: 812 } });
    page = await context.newPage();
    collectProblems(page, problems);
  });

  after(async () => {
    await browser?.close();
    await db?.destroy();
    await server?.cleanup();
  });

  test('signing in without a page to go back to lands on the dashboard', async () => {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel('User name').fill(viewer.username);
    await page.getByLabel('Password').fill(viewer.password);
    await Promise.all([page.waitForURL(`${server.baseUrl}/dashboard`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dashboard');
    assert.equal(await page.getByRole('img', { name: 'Accounts by balance band' }).count(), 1);
    assert.equal(await page.getByRole('img', { name: /^Payments and charges per week/ }).count(), 1);
  });

  test('at 375 px the page is no wider than the screen and the charts fit', async () => {
    const widths = await page.evaluate<{ page: number; charts: number[] }>(
      "({ page: document.documentElement.scrollWidth, charts: [...document.querySelectorAll('svg.chart')].map((svg) => svg.getBoundingClientRect().right) })",
    );
    assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
    assert.equal(widths.charts.length, 2);
    for (const right of widths.charts) assert.ok(right <= 375, `a chart ends at ${right} px`);
    await saveScreenshot(page, 'dashboard-375');
  });

  test('axe-core finds nothing in either colour scheme, on a narrow and a wide screen; the CSP blocked nothing', async () => {
    await assertAccessible(page, '/dashboard at 375 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await assertAccessible(page, '/dashboard at 1280 px');
    await saveScreenshot(page, 'dashboard-1280');
    assert.deepEqual(problems, []);
  });
});
