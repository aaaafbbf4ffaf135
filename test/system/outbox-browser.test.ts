/**
 * /admin/outbox in a real browser: the "SMTP not configured" notice, the
 * worker's heartbeat, messages in every state, the status filter, retry and
 * cancel through their forms; axe-core (serious and moderate) finds nothing
 * at 1280 and 375 px, light and dark. Screenshots: test-results/screenshots/outbox-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enqueueMessage } from '../../src/modules/outbox/index.js';
import { ADMIN_OUTBOX_DONE } from '../../src/modules/outbox/outbox-admin.views.js';
import { assertAccessible, clearScreenshots, OWN_SERVER_BROWSER_SKIP, saveScreenshot, startVisit, type BrowserVisit } from '../support/browser.js';

describe('the outbox page in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  const ids: Record<string, number> = {};

  before(async () => {
    clearScreenshots('outbox-');
    visit = await startVisit({ role: 'admin' });
    const { db } = visit;
    const now = Date.now();
    const messages = [
      ['pending', 'Your account is 30 days overdue', 'ap@northwind.example'],
      ['failed', 'Statement for November 2026', 'billing@contoso.example'],
      ['sent', 'Friendly reminder: invoice INV-1042 is 7 days late', 'accounts@fabrikam.example'],
      ['cancelled', 'Your account is 60 days overdue', 'finance@tailspin.example'],
    ] as const;
    for (const [status, subject, to] of messages) {
      const id = await enqueueMessage(db, { purpose: 'reminder', acctid: 'ACCT100', to, subject, text: 'Hello.', html: '<p>Hello.</p>' }, now - 3_600_000);
      ids[status] = id;
      if (status === 'failed') await db.updateTable('outbox_message').set({ status, attempts: 18, last_error: '421 4.3.2 Service not available, closing transmission channel' }).where('id', '=', id).execute();
      if (status === 'sent') await db.updateTable('outbox_message').set({ status, attempts: 1, sent_at: now - 600_000, smtp_response: '250 2.0.0 OK queued' }).where('id', '=', id).execute();
      if (status === 'cancelled') await db.updateTable('outbox_message').set({ status, last_error: 'the account has nothing overdue any more' }).where('id', '=', id).execute();
      if (status === 'pending') await db.updateTable('outbox_message').set({ attempts: 2, next_attempt_at: now + 240_000, last_error: 'ECONNECTION: connect ECONNREFUSED 10.0.0.25:587' }).where('id', '=', id).execute();
    }
    await db.insertInto('outbox_worker').values({ name: 'worker-7d9f-1', started_at: now - 3_600_000, last_ran_at: now - 12_000 }).execute();
    await visit.signIn('/admin/outbox');
  });
  after(() => visit?.close());

  test('the page shows the notice, the heartbeat and every message, and is accessible at 1280 and 375 px, light and dark', async () => {
    const { page } = visit;
    assert.match((await page.locator('.flash-info').textContent()) ?? '', /SMTP is not configured/);
    assert.match((await page.locator('main').textContent()) ?? '', /The worker last ran\s+1\d s ago/);
    for (const status of ['pending', 'failed', 'sent', 'cancelled']) {
      assert.equal(await page.getByRole('rowheader', { name: String(ids[status]), exact: true }).count(), 1, status);
    }
    for (const size of [{ name: '1280', width: 1280, height: 900 }, { name: '375', width: 375, height: 812 }]) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await saveScreenshot(page, `outbox-${size.name}-${colorScheme}`);
        await assertAccessible(page, `/admin/outbox at ${size.width} px, ${colorScheme}`, { failOn: 'moderate' });
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('an admin filters by status, retries the failed message and cancels the pending one', async () => {
    const { page, url } = visit;
    await page.getByLabel('Show').selectOption('failed');
    await Promise.all([page.waitForURL(url('/admin/outbox?status=failed')), page.getByRole('button', { name: 'Show', exact: true }).click()]);
    assert.equal(await page.locator('tbody tr').count(), 1);
    await Promise.all([page.waitForURL(url('/admin/outbox?done=retried')), page.getByRole('button', { name: `Retry message ${ids.failed}` }).click()]);
    assert.equal((await page.locator('.flash-success').textContent())?.trim(), ADMIN_OUTBOX_DONE.retried);
    await Promise.all([page.waitForURL(url('/admin/outbox?done=cancelled')), page.getByRole('button', { name: `Cancel message ${ids.pending}` }).click()]);
    assert.equal((await page.locator('.flash-success').textContent())?.trim(), ADMIN_OUTBOX_DONE.cancelled);
    const statuses = await visit.db.selectFrom('outbox_message').select(['id', 'status']).where('id', 'in', [ids.failed!, ids.pending!]).orderBy('id').execute();
    assert.deepEqual(statuses.map((row) => row.status), ['cancelled', 'pending']);
    await saveScreenshot(page, 'outbox-after-actions-1280-light');
    await assertAccessible(page, '/admin/outbox after cancelling', { failOn: 'moderate' });
    assert.deepEqual(visit.problems, []);
  });
});
