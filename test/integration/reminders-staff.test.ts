/**
 * Send reminder / Send statement from the account page (clerks and admins,
 * CSRF, audited) and the account's messages in its Messages section, on each
 * database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { testApp } from '../support/app.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const ENV = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0' };
const assertHas = (body: string, text: string) => assert.ok(body.includes(text), `expected the page to contain ${text}`);

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`sending a reminder or a statement from the account page on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let clerk: string;
    let viewer: string;
    let clerkName: string;
    before(async () => {
      db = opened.db!;
      app = await testApp(db, ENV);
      const clerkUser = await addUser(db, 'clerk');
      clerkName = clerkUser.username;
      clerk = (await signInWith(app, clerkUser.username, clerkUser.password)).cookie;
      const viewerUser = await addUser(db, 'viewer');
      viewer = (await signInWith(app, viewerUser.username, viewerUser.password)).cookie;
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    async function overdueAccount(email: string | null = 'late@example.com') {
      const acctid = uniqueAcctId('SR');
      const today = dateIn('UTC');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ name: 'Late Payer', email }).where('acctid', '=', acctid).execute();
      await db.transaction().execute((trx) => recordEntry(trx, { name: 'test' }, { acctid, kind: 'charge', amountCents: cents(4_200), memo: '', effectiveOn: addDays(today, -45), dueOn: addDays(today, -35), reference: 'INV-LATE' }, { timeZone: 'UTC' }));
      return acctid;
    }
    const send = (acctid: string, what: 'reminder' | 'statement') => postStaffForm(app, clerk, `/accounts/${acctid}/messages/${what}`, {}, `/accounts/${acctid}`);
    const page = (acctid: string, cookie: string, done?: string) => app.inject({ method: 'GET', url: `/accounts/${acctid}${done ? `?done=${done}` : ''}`, headers: { cookie } });

    test('a clerk sends a reminder and a statement: queued once a day each, audited, and listed in the account’s Messages', async () => {
      const acctid = await overdueAccount();
      const reminder = await send(acctid, 'reminder');
      assert.equal(reminder.statusCode, 303, reminder.body);
      assert.equal(reminder.headers.location, `/accounts/${acctid}?done=reminder-queued`);
      assert.equal((await send(acctid, 'reminder')).headers.location, `/accounts/${acctid}?done=already-queued`);
      assert.equal((await send(acctid, 'statement')).headers.location, `/accounts/${acctid}?done=statement-queued`);
      const rows = await db.selectFrom('outbox_message').select(['purpose', 'subject', 'to_address', 'attachment_kind']).where('acctid', '=', acctid).orderBy('id').execute();
      assert.deepEqual(
        rows.map((row) => [row.purpose, row.to_address, row.attachment_kind]),
        [
          ['reminder', 'late@example.com', null],
          ['statement', 'late@example.com', 'statement'],
        ],
      );
      assert.equal(rows[0]!.subject, 'Second reminder: 42.00 USD overdue on account ' + acctid);
      const audited = await db.selectFrom('audit_event').select(['actor', 'action']).where('target', '=', acctid).where('action', '=', 'message.queued').execute();
      assert.deepEqual(audited.map((row) => [row.actor, row.action]), [[clerkName, 'message.queued'], [clerkName, 'message.queued']]);

      const shown = await page(acctid, clerk, 'reminder-queued');
      assertHas(shown.body, 'A reminder was queued for this account; the worker sends it.');
      assertHas(shown.body, '<h2 id="messages-heading">Messages</h2>');
      assertHas(shown.body, `Second reminder: 42.00 USD overdue on account ${acctid}`);
      assertHas(shown.body, 'Waiting to be sent');
      assertHas(shown.body, '<button type="submit">Send reminder</button>');
      const asViewer = await page(acctid, viewer);
      assertHas(asViewer.body, `Second reminder: 42.00 USD overdue on account ${acctid}`);
      assert.ok(!asViewer.body.includes('Send reminder'), 'a viewer sees the messages, not the buttons');
    });

    test('without an address, or with nothing overdue: nothing queued, and the page says why', async () => {
      const noEmail = await overdueAccount(null);
      assert.equal((await send(noEmail, 'reminder')).headers.location, `/accounts/${noEmail}?done=no-email`);
      assertHas((await page(noEmail, clerk, 'no-email')).body, 'Nothing was queued: this account has no email address.');
      const acctid = uniqueAcctId('SR');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ email: 'paid@example.com' }).where('acctid', '=', acctid).execute();
      assert.equal((await send(acctid, 'reminder')).headers.location, `/accounts/${acctid}?done=nothing-overdue`);
      assert.equal((await send(acctid, 'statement')).headers.location, `/accounts/${acctid}?done=no-balance`);
      assert.deepEqual(await db.selectFrom('outbox_message').select('id').where('acctid', 'in', [noEmail, acctid]).execute(), []);
    });
  });
}
