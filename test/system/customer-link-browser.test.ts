/**
 * The customer link in a real browser (chromium through playwright-core)
 * against the running server, its CSP on: a clerk copies the link from the
 * account page; a customer (another browser context: no cookie, no session)
 * opens it and sees their page, with no staff navigation, and downloads the
 * statement; the page fits a 375 px screen; axe-core (WCAG 2.0/2.1 A and AA)
 * finds nothing serious or moderate in light and dark, at 1280 and 375 px,
 * on the customer's page, the expired and forged-link pages, and the account
 * page's link section. Screenshots: test-results/screenshots/customer-link-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { customerLinkFor } from '../../src/modules/customer-link/index.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { assertAccessible, clearScreenshots, collectProblems, OWN_SERVER_BROWSER_SKIP, saveScreenshot, SCREENSHOT_DIR, startVisit, type BrowserVisit } from '../support/browser.js';
import { uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'customer-link-browser', ip: '127.0.0.1', requestId: 'req-customer-link-browser' };
/** startServer's SESSION_SECRET: the expired link is made here as the server would have made it a month ago. */
const SERVER_SECRET = 'system-test-secret-that-is-long-enough-0123456789';
const SIZES = [
  { name: 'wide', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 812 },
] as const;

describe('the customer link in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  let customer: BrowserContext;
  let page: Page;
  let problems: string[];
  let linkPath = '';
  const today = dateIn('UTC');
  const acctid = uniqueAcctId('CLB');

  before(async () => {
    clearScreenshots('customer-link-');
    visit = await startVisit({
      role: 'clerk',
      env: { COMPANY_NAME: 'Globomantics Supply Co.', COMPANY_ADDRESS: '1 Main Street|Springfield, IL 62701|USA', PUBLIC_BASE_URL: 'https://billing.example.com' },
      context: { viewport: { width: 1280, height: 900 } },
    });
    await visit.db.transaction().execute(async (trx) => {
      await createAccounts(trx, actor, [{ acctid, name: 'Zoë Ñúñez Wholesale & Catering International Ltd.' }]);
      const invoices: [number, number, number, string][] = [
        [200, 30, 12_345_678_90, 'INV-2026-0042'],
        [75, 30, 4_321_00, 'INV-2026-0107'],
        [40, 30, 98_765_43, 'INV-2026-0199'],
        [5, 30, 1_234_56, 'INV-2026-0230'],
      ];
      for (const [daysAgo, terms, amount, reference] of invoices) {
        await recordEntry(trx, actor, { acctid, kind: 'charge', amountCents: cents(amount), memo: '', effectiveOn: addDays(today, -daysAgo), dueOn: addDays(today, terms - daysAgo), reference });
      }
      await recordEntry(trx, actor, { acctid, kind: 'payment', amountCents: cents(500_00), memo: '', effectiveOn: addDays(today, -3) });
    });
    await visit.signIn(`/accounts/${acctid}`);
    customer = await visit.browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    page = await customer.newPage();
    problems = collectProblems(page);
  });

  after(async () => {
    await customer?.close();
    await visit?.close();
  });

  test("a clerk reads the link on the account page; the section is accessible", async () => {
    const field = visit.page.getByLabel(`Link for ${acctid}`);
    const link = await field.inputValue();
    assert.match(link, /^https:\/\/billing\.example\.com\/s\/v1\./);
    assert.equal(await field.getAttribute('readonly'), '');
    linkPath = new URL(link).pathname;
    const section = visit.page.locator('section', { has: visit.page.locator('#customer-link-heading') });
    for (const colorScheme of ['light', 'dark'] as const) {
      await visit.page.emulateMedia({ colorScheme });
      await saveScreenshot(visit.page, `customer-link-staff-page-${colorScheme}`);
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await section.screenshot({ path: join(SCREENSHOT_DIR, `customer-link-staff-section-${colorScheme}.png`), animations: 'disabled' });
    }
    await assertAccessible(visit.page, 'the account page with its customer link', { failOn: 'moderate' });
  });

  test('the customer opens it without a session: their page, no staff navigation, noindex; the statement downloads', async () => {
    const response = await page.goto(visit.url(linkPath));
    assert.equal(response?.status(), 200);
    assert.equal((await customer.cookies()).filter((cookie) => cookie.name.includes('session')).length, 0);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Zoë Ñúñez Wholesale & Catering International Ltd.');
    assert.equal(await page.locator('meta[name="robots"]').getAttribute('content'), 'noindex');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    assert.equal(await page.getByRole('row').filter({ hasText: 'INV-2026-0042' }).getByText('170 days late').count(), 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download statement (PDF)' }).click()]);
    assert.equal(download.suggestedFilename(), `statement-${acctid}-${today}.pdf`);
    assert.deepEqual(problems, []);
  });

  for (const size of SIZES) {
    test(`at ${size.width} px the customer's page fits and axe-core finds nothing serious or moderate, light and dark`, async () => {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.goto(visit.url(linkPath));
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= size.width, `the page is ${width} px wide`);
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await saveScreenshot(page, `customer-link-page-${size.name}-${colorScheme}`);
      }
      await assertAccessible(page, `the customer's page at ${size.width} px`, { failOn: 'moderate' });
    });
  }

  test('an expired link and a forged one: kind pages naming no account, accessible', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    const expired = new URL(customerLinkFor({ secret: SERVER_SECRET, baseUrl: 'https://x.test', acctid, now: Date.now() - 40 * 86_400_000, days: 30 })).pathname;
    const forged = `${linkPath.slice(0, -2)}${linkPath.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const [name, path, status, heading] of [
      ['expired', expired, 410, 'This link has expired'],
      ['not-found', forged, 404, 'This link does not work'],
    ] as const) {
      const response = await page.goto(visit.url(path));
      assert.equal(response?.status(), status);
      assert.equal(response?.headers()['x-robots-tag'], 'noindex');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), heading);
      assert.ok(!(await page.content()).includes(acctid));
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await saveScreenshot(page, `customer-link-${name}-${colorScheme}`);
      }
      await assertAccessible(page, `the ${name} link page`, { failOn: 'moderate' });
    }
  });
});
