/**
 * /admin/outbox on each database: admins only; the page says when SMTP is
 * not configured and when the worker last ran; retry and cancel need the
 * form token, are audited, and a refusal shows the page again with why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { enqueueMessage } from '../../src/modules/outbox/index.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const ENV = { LOGIN_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0' };
const PAGE = '/admin/outbox';

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the outbox page on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let adminCookie: string;
    let clerkCookie: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, ENV);
      const admin = await addUser(db, 'admin');
      ({ cookie: adminCookie } = await signInWith(app, admin.username, admin.password));
      const clerk = await addUser(db, 'clerk');
      ({ cookie: clerkCookie } = await signInWith(app, clerk.username, clerk.password));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    async function queue(subject: string, status: 'pending' | 'failed' = 'pending'): Promise<number> {
      const id = await enqueueMessage(db, { purpose: 'test', acctid: uniqueAcctId('A'), to: 'customer@example.com', subject, text: 'Hello.', html: '<p>Hello.</p>' }, Date.now() + 3_600_000);
      if (status === 'failed') await db.updateTable('outbox_message').set({ status: 'failed', attempts: 18, last_error: '421 Service not available' }).where('id', '=', id).execute();
      return id;
    }
    const statusOf = async (id: number) => (await db.selectFrom('outbox_message').select(['status', 'attempts', 'next_attempt_at']).where('id', '=', id).executeTakeFirstOrThrow());

    test('only admins see it; a clerk is refused', async () => {
      const refused = await app.inject({ method: 'GET', url: PAGE, headers: { cookie: clerkCookie } });
      assert.equal(refused.statusCode, 403);
      const anonymous = await app.inject({ method: 'GET', url: PAGE });
      assert.ok([302, 303].includes(anonymous.statusCode), String(anonymous.statusCode));
    });

    test('the page lists messages with their state, says SMTP is not configured and when the worker last ran', async () => {
      const id = await queue('Overdue <invoices> & you', 'failed');
      await db.deleteFrom('outbox_worker').where('name', '=', 'page-test-worker').execute();
      await db.insertInto('outbox_worker').values({ name: 'page-test-worker', started_at: Date.now() - 60_000, last_ran_at: Date.now() + 3_600_000 }).execute();
      const page = await app.inject({ method: 'GET', url: `${PAGE}?status=failed`, headers: { cookie: adminCookie } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /SMTP is not configured/);
      assert.match(page.body, /The worker last ran\s*<time[^>]*>0 s ago<\/time>\s*<span class="hint">\(page-test-worker\)/);
      assert.ok(page.body.includes('Overdue &lt;invoices&gt; &amp; you'));
      assert.ok(page.body.includes(`action="/admin/outbox/${id}/retry"`));
      assert.ok(page.body.includes('421 Service not available'));
      await db.deleteFrom('outbox_worker').where('name', '=', 'page-test-worker').execute();
      const bad = await app.inject({ method: 'GET', url: `${PAGE}?status=lost`, headers: { cookie: adminCookie } });
      assert.equal(bad.statusCode, 400);
    });

    test('with SMTP configured there is no such notice', async () => {
      const configured = await testApp(db, { ...ENV, SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'billing@globomantics.test' });
      try {
        const admin = await addUser(db, 'admin');
        const { cookie } = await signInWith(configured, admin.username, admin.password);
        const page = await configured.inject({ method: 'GET', url: PAGE, headers: { cookie } });
        assert.equal(page.statusCode, 200);
        assert.doesNotMatch(page.body, /SMTP is not configured/);
      } finally {
        await configured.close();
      }
    });

    test('retry makes a failed message due now with a fresh day of tries, audited; without the form token nothing changes', async () => {
      const id = await queue('Retry me', 'failed');
      const forged = await app.inject({ method: 'POST', url: `${PAGE}/${id}/retry`, headers: { cookie: adminCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
      assert.equal(forged.statusCode, 403);
      assert.equal((await statusOf(id)).status, 'failed');

      const before = Date.now();
      const done = await postStaffForm(app, adminCookie, `${PAGE}/${id}/retry`, {}, PAGE);
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, `${PAGE}?done=retried`);
      const row = await statusOf(id);
      assert.equal(row.status, 'pending');
      assert.equal(Number(row.attempts), 0);
      assert.ok(Number(row.next_attempt_at) >= before && Number(row.next_attempt_at) <= Date.now());
      const audit = await db.selectFrom('audit_event').selectAll().where('action', '=', 'outbox.retried').where('target', '=', `message ${id}`).execute();
      assert.equal(audit.length, 1);
    });

    test('cancel stops a pending message, audited; cancelling it again shows the page with the reason', async () => {
      const id = await queue('Cancel me');
      const done = await postStaffForm(app, adminCookie, `${PAGE}/${id}/cancel`, {}, PAGE);
      assert.equal(done.statusCode, 303);
      assert.equal((await statusOf(id)).status, 'cancelled');
      const audit = await db.selectFrom('audit_event').selectAll().where('action', '=', 'outbox.cancelled').where('target', '=', `message ${id}`).execute();
      assert.equal(audit.length, 1);
      const again = await postStaffForm(app, adminCookie, `${PAGE}/${id}/cancel`, {}, PAGE);
      assert.equal(again.statusCode, 409);
      assert.match(again.body, /Message \d+ is already cancelled\./);
      const missing = await postStaffForm(app, adminCookie, `${PAGE}/999999999/cancel`, {}, PAGE);
      assert.equal(missing.statusCode, 404);
    });

    test('a message a worker holds right now is neither retried nor cancelled', async () => {
      const id = await queue('In hand');
      await db.updateTable('outbox_message').set({ lease_owner: 'busy-worker', lease_until: Date.now() + 60_000 }).where('id', '=', id).execute();
      const cancel = await postStaffForm(app, adminCookie, `${PAGE}/${id}/cancel`, {}, PAGE);
      assert.equal(cancel.statusCode, 409);
      assert.match(cancel.body, /being sent right now/);
      const retry = await postStaffForm(app, adminCookie, `${PAGE}/${id}/retry`, {}, PAGE);
      assert.equal(retry.statusCode, 409);
      assert.equal((await statusOf(id)).status, 'pending');
    });
  });
}
