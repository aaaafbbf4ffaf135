/**
 * Reminders and statements through the real worker and a real SMTP server
 * (smtp-server), on a database of their own on each server: a reminder whose
 * invoice was paid after it was queued is cancelled, not sent; one still due
 * arrives once; a statement e-mail arrives with its PDF built at send time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { workerHooks } from '../../src/cli/worker-hooks.js';
import { loadConfig } from '../../src/config.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { runWorker } from '../../src/modules/outbox/index.js';
import { queueStatementMails, REMINDER_PURPOSE, reminderStillDue, runReminders, STATEMENT_ATTACHMENT, statementAttachment } from '../../src/modules/reminders/index.js';
import { createMailTransport } from '../../src/platform/mail/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import { cents } from '../../src/shared/money.js';
import { openOwnDatabase } from '../support/own-database.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const logger = pino({ level: 'silent' });
const AS_OF = '2026-06-30';
const AT = Date.parse(`${AS_OF}T12:00:00Z`);
const company = { name: 'Globomantics Ltd', addressLines: ['1 Main Street'] };
const linkFor = (acctid: string) => `https://crm.example.com/s/token-for-${acctid}`;
const actor = { name: 'reminders-worker-test' };

for (const target of TEST_DATABASES) {
  const own = await openOwnDatabase(target, 'reminders_worker');
  describe(`reminders through the worker on ${target.name}`, { skip: own.opened.skip ?? false }, () => {
    const db = own.opened.db!;
    let smtp: TestSmtpServer;
    before(async () => {
      smtp = await startSmtpServer();
    });
    after(async () => {
      await smtp?.stop();
      await own.cleanUp();
    });

    const work = () =>
      runWorker({
        db,
        transport: createMailTransport({ smtpUrl: smtp.url, requireTls: false, from: 'Billing <billing@globomantics.test>', timeoutMs: 3000 }),
        domain: 'globomantics.test',
        logger,
        once: true,
        beforeSend: { [REMINDER_PURPOSE]: reminderStillDue({ timeZone: 'UTC', today: () => AS_OF }) },
        attachments: { [STATEMENT_ATTACHMENT]: statementAttachment(company) },
      });
    async function account(acctid: string) {
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ name: `Customer ${acctid}`, email: `${acctid.toLowerCase()}@example.com` }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' }));

    test('a reminder whose invoice was paid after queueing is cancelled at send time; the one still due is sent once; a statement arrives with its PDF', async () => {
      const prefix = uniqueAcctId('RW').slice(0, 12);
      const paid = await account(`${prefix}A`);
      const due = await account(`${prefix}B`);
      for (const acctid of [paid, due]) await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-03-01', dueOn: '2026-06-01', reference: `INV-${acctid}` });
      const run = () => runReminders(db, { asOf: AS_OF, company, linkFor, now: AT, range: { after: prefix, upTo: `${prefix}~` } });
      assert.equal((await run()).queued, 2);
      await record(paid, { kind: 'payment', amountCents: 10_000, effectiveOn: AS_OF });
      await work();
      assert.equal((await run()).queued, 0, 'running the policy again queues nothing');
      await work();

      const rows = await db.selectFrom('outbox_message').select(['acctid', 'status', 'last_error']).where('acctid', 'in', [paid, due]).orderBy('acctid').execute();
      assert.deepEqual(
        rows.map((row) => [row.acctid, row.status]),
        [
          [paid, 'cancelled'],
          [due, 'sent'],
        ],
      );
      const mine = smtp.received.filter((message) => message.to.includes(prefix.toLowerCase()));
      assert.deepEqual(
        mine.map((message) => [message.to, message.subject]),
        [[`${due.toLowerCase()}@example.com`, 'Payment reminder: 100.00 USD overdue']], // 29 days late: level 7
      );
      assert.ok(mine[0]!.text.includes(linkFor(due)));

      await queueStatementMails(db, { period: { from: '2026-06-01', to: AS_OF }, company, linkFor, now: AT, range: { after: prefix, upTo: `${prefix}~` } });
      await work();
      const statement = smtp.received.find((message) => message.subject === `Your statement for 2026-06-01 to 2026-06-30, account ${due}`);
      assert.ok(statement, 'the statement e-mail arrived');
      assert.deepEqual(
        statement.attachments.map(({ filename, contentType }) => [filename, contentType]),
        [[`statement-${due}-${AS_OF}.pdf`, 'application/pdf']],
      );
      assert.ok((statement.attachments[0]?.size ?? 0) > 1000);
    });

    test('the daily job at REMINDERS_AT runs the policy for today once, whatever the workers; unset, there is none', async () => {
      assert.equal(workerHooks({ config: loadConfig({ REMINDERS_AT: '' }) }).daily, null);
      const hooks = workerHooks({ config: loadConfig({ REMINDERS_AT: '00:00', SESSION_SECRET: 'daily-test-secret-0123456789abcdef0123456789' }) });
      assert.equal(hooks.daily?.at, '00:00');
      const prefix = uniqueAcctId('RD').slice(0, 12);
      const acctid = await account(`${prefix}A`);
      await record(acctid, { kind: 'charge', amountCents: 2_500, effectiveOn: '2026-01-01', dueOn: '2026-01-31', reference: 'INV-DAILY' });
      // The database is kept between runs: today's run of an earlier one must not count.
      await db.deleteFrom('outbox_daily_run').where('job', '=', 'reminders').execute();
      const once = () => runWorker({ db, transport: null, domain: 'globomantics.test', logger, once: true, ...hooks });
      await Promise.all([once(), once()]);
      const runs = await db.selectFrom('outbox_daily_run').select(['job', 'outcome']).where('job', '=', 'reminders').execute();
      assert.equal(runs.length, 1);
      assert.match(runs[0]!.outcome ?? '', /^\d+ queued, \d+ already reminded, \d+ without e-mail$/);
      const queued = await db.selectFrom('outbox_message').select(['purpose', 'subject']).where('acctid', '=', acctid).execute();
      assert.deepEqual(queued.map((row) => row.purpose), ['reminder'], 'the account overdue today was reminded by the daily run');
      assert.match(queued[0]!.subject, /^Final reminder: 25\.00 USD overdue on account /);
    });
  });
}
