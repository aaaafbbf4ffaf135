/**
 * /admin/reminders in a real browser: the policy's levels, a refused change
 * shown beside its field, a saved one; and an account's Messages section
 * after a clerk's Send reminder. axe-core (serious and moderate) finds
 * nothing at 1280 and 375 px, light and dark. Screenshots:
 * test-results/screenshots/reminders-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { assertAccessible, clearScreenshots, OWN_SERVER_BROWSER_SKIP, saveScreenshot, startVisit, type BrowserVisit } from '../support/browser.js';

const SIZES = [
  { name: '1280', width: 1280, height: 900 },
  { name: '375', width: 375, height: 812 },
] as const;

describe('the reminder policy and an account’s messages in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  const acctid = 'LATE100';

  before(async () => {
    clearScreenshots('reminders-');
    visit = await startVisit({ role: 'admin' });
    const { db } = visit;
    const today = dateIn('UTC');
    await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
    await db.updateTable('account').set({ name: 'Northwind Traders', email: 'ap@northwind.example' }).where('acctid', '=', acctid).execute();
    await db.transaction().execute((trx) => recordEntry(trx, { name: 'test' }, { acctid, kind: 'charge', amountCents: cents(1_234_550), memo: '', effectiveOn: addDays(today, -70), dueOn: addDays(today, -40), reference: 'INV-1042' }, { timeZone: 'UTC' }));
    await visit.signIn('/admin/reminders');
  });
  after(() => visit?.close());

  async function everySize(name: string, where: string) {
    const { page } = visit;
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await saveScreenshot(page, `reminders-${name}-${size.name}-${colorScheme}`);
        await assertAccessible(page, `${where} at ${size.width} px, ${colorScheme}`, { failOn: 'moderate' });
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  test('the policy page: three levels, a refused change beside its field, then saved', async () => {
    const { page, url } = visit;
    assert.equal(await page.getByLabel('Days past due').first().inputValue(), '7');
    await everySize('policy', '/admin/reminders');
    await page.locator('#level_1_subject').fill('Hello {name}');
    await page.getByRole('button', { name: 'Save the policy' }).click();
    assert.match((await page.locator('#level_1_subject-error').textContent()) ?? '', /names \{name\}, which is not filled in/);
    await everySize('policy-refused', '/admin/reminders refused');
    await page.locator('#level_1_subject').fill('Second reminder: {total_overdue} overdue');
    await Promise.all([page.waitForURL(url('/admin/reminders?done=saved')), page.getByRole('button', { name: 'Save the policy' }).click()]);
    assert.match((await page.locator('.flash-success').textContent()) ?? '', /The reminder policy was saved/);
  });

  test('Send reminder on the account page queues it and the Messages section lists it', async () => {
    const { page, url } = visit;
    await page.goto(url(`/accounts/${acctid}`));
    await Promise.all([page.waitForURL(url(`/accounts/${acctid}?done=reminder-queued`)), page.getByRole('button', { name: 'Send reminder' }).click()]);
    assert.match((await page.locator('#messages-heading').locator('xpath=..').textContent()) ?? '', /Second reminder: 12,345\.50 USD overdue/);
    await everySize('account-messages', `/accounts/${acctid} with a reminder queued`);
    assert.deepEqual(visit.problems, []);
  });
});
