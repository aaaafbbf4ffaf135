/**
 * Overdue reminders chosen and queued, worked out by hand on each database:
 * the policy's levels (7, 30, 60 days past due), one message per account for
 * the highest level not yet reminded of, a run twice queueing once, a level
 * never twice for an invoice, accounts without an e-mail counted and not
 * queued, reminders off or a closed account: nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { queueStatementMails, reminderStillDue, runReminders, statementAttachment, type ReminderRunReport } from '../../src/modules/reminders/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'reminders-test', ip: '127.0.0.1', requestId: 'req-reminders' };
const AS_OF = '2026-06-30';
const AT = Date.parse(`${AS_OF}T12:00:00Z`);
const company = { name: 'Globomantics Ltd', addressLines: ['1 Main Street', 'Springfield'] };
const linkFor = (acctid: string) => `https://crm.example.com/s/token-for-${acctid}`;

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`overdue reminders on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    /** This test's accounts share a prefix, so its runs read only them. */
    function prefixed() {
      const prefix = uniqueAcctId('RM').slice(0, 12);
      return {
        id: (suffix: string) => `${prefix}${suffix}`,
        run: (asOf = AS_OF): Promise<ReminderRunReport> => runReminders(db, { asOf, company, linkFor, now: AT, range: { after: prefix, upTo: `${prefix}~` } }),
      };
    }
    async function account(acctid: string, { email = `${acctid.toLowerCase()}@example.com`, reminders = true }: { email?: string | null; reminders?: boolean } = {}) {
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ name: `Customer ${acctid}`, email, reminders: reminders ? 1 : 0 }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const invoice = (acctid: string, amountCents: number, dueOn: string, reference: string | null = null) =>
      record(acctid, { kind: 'charge', amountCents, effectiveOn: '2026-03-01', dueOn, ...(reference === null ? {} : { reference }) });
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' }));
    const messages = (acctid: string) =>
      db.selectFrom('outbox_message').select(['purpose', 'to_address', 'subject', 'text_body', 'html_body', 'dedupe_key', 'status']).where('acctid', '=', acctid).orderBy('id').execute();
    const reminded = async (acctid: string) =>
      (await db.selectFrom('reminder_sent').select(['charge_id', 'days_late', 'as_of']).where('acctid', '=', acctid).orderBy('charge_id').orderBy('days_late').execute()).map((row) => [Number(row.charge_id), Number(row.days_late), row.as_of]);

    test('each level on its day: 7, 30 and 60 days past due get their own subject; 6 days gets nothing', async () => {
      const { id, run } = prefixed();
      const [seven, thirty, sixty, six] = await Promise.all(['A', 'B', 'C', 'D'].map((suffix) => account(id(suffix))));
      await invoice(seven!, 12_345, '2026-06-23', 'INV-7'); // 7 days late on 06-30
      await invoice(thirty!, 20_000, '2026-05-31', 'INV-30'); // 30 days
      await invoice(sixty!, 30_000, '2026-05-01', 'INV-60'); // 60 days
      await invoice(six!, 40_000, '2026-06-24'); // 6 days: below the first level

      const report = await run();
      assert.deepEqual([report.queued, report.alreadyReminded, report.withoutEmail], [3, 0, []]);
      assert.deepEqual((await messages(seven!)).map((m) => [m.purpose, m.to_address, m.subject, m.status]), [['reminder', `${seven!.toLowerCase()}@example.com`, 'Payment reminder: 123.45 USD overdue', 'pending']]);
      assert.deepEqual((await messages(thirty!)).map((m) => m.subject), [`Second reminder: 200.00 USD overdue on account ${thirty!}`]);
      assert.deepEqual((await messages(sixty!)).map((m) => m.subject), [`Final reminder: 300.00 USD overdue on account ${sixty!}`]);
      assert.deepEqual(await messages(six!), []);
      const [text] = await messages(seven!);
      assert.match(text!.text_body, /Dear Customer RM/);
      assert.match(text!.text_body, /INV-7\s+Jun 23, 2026\s+7\s+123\.45 USD/);
      assert.ok(text!.text_body.includes(`Total overdue on account ${seven!}: 123.45 USD.`));
      assert.ok(text!.text_body.includes(linkFor(seven!)), 'the customer link');
      assert.ok(text!.text_body.endsWith('Globomantics Ltd\n1 Main Street\nSpringfield'), 'signed by the company');
      assert.ok(text!.html_body.includes(`href="${linkFor(seven!)}"`));
    });

    test('one message for the highest level reached, listing every overdue invoice with its days late and the total', async () => {
      const { id, run } = prefixed();
      const acctid = await account(id('A'));
      const old = await invoice(acctid, 5_000, '2026-04-26', 'OLD'); // 65 days late: level 60
      const recent = await invoice(acctid, 2_550, '2026-06-22', 'NEW'); // 8 days late: level 7
      await invoice(acctid, 9_900, '2026-07-15', 'NOT-DUE'); // not due yet: not listed
      const paid = await invoice(acctid, 1_000, '2026-05-15', 'PAID');
      await record(acctid, { kind: 'payment', amountCents: 1_000, effectiveOn: '2026-06-01', allocations: [{ chargeId: paid.id, amountCents: cents(1_000) }] });

      assert.equal((await run()).queued, 1);
      const [message] = await messages(acctid);
      assert.equal(message!.subject, `Final reminder: 75.50 USD overdue on account ${acctid}`);
      const rows = message!.text_body.split('\n').filter((line) => /^(OLD|NEW|NOT-DUE|PAID)\b/.test(line));
      assert.deepEqual(
        rows.map((line) => line.split(/\s{2,}/)),
        [
          ['OLD', 'Apr 26, 2026', '65', '50.00 USD'],
          ['NEW', 'Jun 22, 2026', '8', '25.50 USD'],
        ],
      );
      // Each invoice is recorded at the level it reached: OLD at 60, NEW at 7.
      assert.deepEqual(await reminded(acctid), [
        [old.id, 60, AS_OF],
        [recent.id, 7, AS_OF],
      ]);
    });

    test('run twice on a day, it queues once; the next days queue nothing until an invoice reaches a level not yet reminded of', async () => {
      const { id, run } = prefixed();
      const acctid = await account(id('A'));
      const first = await invoice(acctid, 10_000, '2026-06-23', 'INV-1'); // 7 days late on 06-30
      assert.equal((await run()).queued, 1);
      const again = await run();
      assert.deepEqual([again.queued, again.alreadyReminded], [0, 1]);
      assert.equal((await run('2026-07-01')).queued, 0, 'the next day: 8 days late, level 7 already reminded');
      assert.equal((await messages(acctid)).length, 1);

      // 07-23: 30 days late, level 30 for the first time.
      const later = await run('2026-07-23');
      assert.equal(later.queued, 1);
      assert.deepEqual((await messages(acctid)).map((m) => m.subject), ['Payment reminder: 100.00 USD overdue', `Second reminder: 100.00 USD overdue on account ${acctid}`]);
      assert.equal((await run('2026-07-23')).queued, 0);
      assert.deepEqual(await reminded(acctid), [
        [first.id, 7, AS_OF],
        [first.id, 30, '2026-07-23'],
      ]);
    });

    test('a level is never sent twice for the same invoice, even when a new invoice brings the account back', async () => {
      const { id, run } = prefixed();
      const acctid = await account(id('A'));
      await invoice(acctid, 10_000, '2026-06-20', 'INV-1'); // 10 days late
      assert.equal((await run()).queued, 1);
      // A second invoice reaches level 7 on 07-10: a message for it (level 7), which lists both; INV-1 is not recorded at level 7 again.
      const second = await invoice(acctid, 3_000, '2026-07-03', 'INV-2');
      const report = await run('2026-07-10');
      assert.equal(report.queued, 1);
      const [, latest] = await messages(acctid);
      assert.equal(latest!.subject, 'Payment reminder: 130.00 USD overdue');
      assert.match(latest!.text_body, /INV-1\s+Jun 20, 2026\s+20\s+100\.00 USD/);
      assert.match(latest!.text_body, /INV-2\s+Jul 3, 2026\s+7\s+30\.00 USD/);
      const levels = await reminded(acctid);
      assert.deepEqual(levels.map(([charge, days]) => [charge === second.id ? 'INV-2' : 'INV-1', days]), [
        ['INV-1', 7],
        ['INV-2', 7],
      ]);
      assert.notEqual(latest!.dedupe_key, (await messages(acctid))[0]!.dedupe_key);
    });

    test('an account without an e-mail is counted and listed, not queued; reminders off or a closed account: nothing', async () => {
      const { id, run } = prefixed();
      const noEmail = await account(id('A'), { email: null });
      const off = await account(id('B'), { reminders: false });
      const closed = await account(id('C'));
      for (const acctid of [noEmail, off, closed]) await invoice(acctid, 10_000, '2026-05-01');
      await db.updateTable('account').set({ closed_at: AT }).where('acctid', '=', closed).execute();

      const report = await run();
      assert.deepEqual([report.queued, report.alreadyReminded, report.withoutEmail], [0, 0, [noEmail]]);
      for (const acctid of [noEmail, off, closed]) assert.deepEqual(await messages(acctid), [], acctid);
      assert.deepEqual(await reminded(noEmail), [], 'not recorded: an address added later gets the reminder');
      await db.updateTable('account').set({ email: 'found@example.com' }).where('acctid', '=', noEmail).execute();
      assert.equal((await run()).queued, 1);
    });

    test('a past as-of day sees an invoice paid after it as still open then', async () => {
      const { id, run } = prefixed();
      const acctid = await account(id('A'));
      await invoice(acctid, 10_000, '2026-06-01', 'INV-1');
      await record(acctid, { kind: 'payment', amountCents: 4_000, effectiveOn: '2026-06-25' });
      await record(acctid, { kind: 'payment', amountCents: 6_000, effectiveOn: '2026-06-29' });
      assert.equal((await run('2026-06-30')).queued, 0, 'paid in full by 06-30');
      const past = await run('2026-06-27'); // 26 days late, 60.00 still open then
      assert.equal(past.queued, 1);
      assert.match((await messages(acctid))[0]!.text_body, /INV-1\s+Jun 1, 2026\s+26\s+60\.00 USD/);
    });
  });
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`reminders at send time and statements by e-mail on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    async function account(acctid: string, email: string | null = `${acctid.toLowerCase()}@example.com`) {
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ name: `Customer ${acctid}`, email }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' }));

    test('an invoice paid after the reminder was queued: the check before sending cancels it; closed or reminders off too', async () => {
      const prefix = uniqueAcctId('RS').slice(0, 12);
      const stillDue = reminderStillDue({ timeZone: 'UTC', today: () => AS_OF });
      const acctid = await account(`${prefix}A`);
      const charge = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-03-01', dueOn: '2026-06-01' });
      await runReminders(db, { asOf: AS_OF, company, linkFor, now: AT, range: { after: prefix, upTo: `${prefix}~` } });
      const queued = await db.selectFrom('outbox_message').select(['acctid', 'purpose']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
      assert.deepEqual(await stillDue(db, queued), { send: true });
      await record(acctid, { kind: 'payment', amountCents: 6_000, effectiveOn: AS_OF });
      assert.deepEqual(await stillDue(db, queued), { send: true }, 'paid in part: still overdue');
      await record(acctid, { kind: 'payment', amountCents: 4_000, effectiveOn: AS_OF, allocations: [{ chargeId: charge.id, amountCents: cents(4_000) }] });
      assert.deepEqual(await stillDue(db, queued), { send: false, reason: `account ${acctid} no longer has an overdue balance (paid or credited since the reminder was queued)` });

      const closed = await account(`${prefix}B`);
      await record(closed, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-03-01', dueOn: '2026-06-01' });
      await db.updateTable('account').set({ closed_at: AT }).where('acctid', '=', closed).execute();
      assert.deepEqual(await stillDue(db, { acctid: closed }), { send: false, reason: `account ${closed} was closed` });
      const off = await account(`${prefix}C`);
      await record(off, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-03-01', dueOn: '2026-06-01' });
      await db.updateTable('account').set({ reminders: 0 }).where('acctid', '=', off).execute();
      assert.deepEqual(await stillDue(db, { acctid: off }), { send: false, reason: `reminders were turned off for account ${off}` });
    });

    test('statements by e-mail: every open account with a balance and an address, the PDF referenced for the worker; again: nothing new', async () => {
      const prefix = uniqueAcctId('SM').slice(0, 12);
      const owing = await account(`${prefix}A`);
      const settled = await account(`${prefix}B`);
      const noEmail = await account(`${prefix}C`, null);
      await record(owing, { kind: 'charge', amountCents: 12_500, effectiveOn: '2026-06-10', reference: 'INV-S1' });
      await record(settled, { kind: 'charge', amountCents: 5_000, effectiveOn: '2026-06-10' });
      await record(settled, { kind: 'payment', amountCents: 5_000, effectiveOn: '2026-06-20' });
      await record(noEmail, { kind: 'charge', amountCents: 7_000, effectiveOn: '2026-06-10' });
      const period = { from: '2026-06-01', to: AS_OF };
      const run = () => queueStatementMails(db, { period, company, linkFor, now: AT, range: { after: prefix, upTo: `${prefix}~` } });
      const report = await run();
      assert.deepEqual([report.accountsRead, report.queued, report.withoutEmail], [3, 1, [noEmail]]);
      const rows = await db.selectFrom('outbox_message').select(['acctid', 'purpose', 'subject', 'text_body', 'attachment_kind', 'attachment_ref']).where('acctid', 'in', [owing, settled, noEmail]).execute();
      assert.deepEqual(
        rows.map((row) => [row.acctid, row.purpose, row.subject, row.attachment_kind, JSON.parse(row.attachment_ref ?? 'null') as unknown]),
        [[owing, 'statement', `Your statement for 2026-06-01 to 2026-06-30, account ${owing}`, 'statement', { acctid: owing, asOf: AS_OF, from: '2026-06-01' }]],
      );
      assert.ok(rows[0]!.text_body.includes('Balance on Jun 30, 2026: 125.00 USD.'));
      await run();
      assert.equal((await db.selectFrom('outbox_message').select('id').where('acctid', '=', owing).execute()).length, 1, 'queued once');

      const pdf = await statementAttachment(company)(db, { acctid: owing, asOf: AS_OF, from: '2026-06-01' });
      assert.equal(pdf.filename, `statement-${owing}-${AS_OF}.pdf`);
      assert.equal(pdf.contentType, 'application/pdf');
      assert.equal(pdf.content.subarray(0, 5).toString('latin1'), '%PDF-');
    });
  });
}
