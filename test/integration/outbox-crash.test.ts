/**
 * A worker killed (SIGKILL) after the SMTP server has the whole message but
 * before it answers, so before the worker can record it: the message is
 * not lost (its lease runs out and another worker sends it) and both copies
 * carry the same Message-ID, so mail systems see one message, not two.
 * The kill point is fixed: the server holds its answer to that message,
 * and the test kills the worker process as soon as the DATA has arrived.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { enqueueMessage, runWorker } from '../../src/modules/outbox/index.js';
import { createMailTransport } from '../../src/platform/mail/index.js';
import { openOwnDatabase } from '../support/own-database.js';
import { startSmtpServer } from '../support/smtp.js';
import { TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const LEASE_MS = 3000;

for (const target of TEST_DATABASES) {
  const own = await openOwnDatabase(target, 'outbox_crash');
  describe(`a worker killed mid-send on ${target.name}`, { skip: own.opened.skip ?? false }, () => {
    const db = own.opened.db!;
    after(() => own.cleanUp());

    test('the message is finished by another worker once the lease ends, under the same Message-ID', async () => {
      await db.updateTable('outbox_message').set({ status: 'cancelled' }).where('status', '=', 'pending').execute();
      const smtp = await startSmtpServer();
      const subject = `crash ${uniqueAcctId('K')}`;
      const id = await enqueueMessage(db, { purpose: 'test', acctid: null, to: 'customer@example.com', subject, text: 'Hello.', html: '<p>Hello.</p>' }, Date.now());
      smtp.answers.set(subject, { holdMs: 60_000 });
      const dataArrived = new Promise<void>((resolve) => {
        smtp.onData = (message) => {
          if (message.subject === subject) resolve();
        };
      });
      const child = spawn(process.execPath, ['--require', 'tsx', 'test/support/outbox-worker-process.ts'], {
        env: { ...process.env, OUTBOX_TEST_DATABASE_URL: own.url, OUTBOX_TEST_SMTP_URL: smtp.url, OUTBOX_TEST_LEASE_MS: String(LEASE_MS) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      try {
        await Promise.race([dataArrived, exited.then(() => assert.fail('the worker process ended before sending'))]);
        child.kill('SIGKILL');
        const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
        assert.equal(signal, 'SIGKILL');

        const claimed = await db.selectFrom('outbox_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(claimed.status, 'pending', 'the dead worker recorded nothing');
        assert.equal(claimed.lease_owner, `child-${child.pid}`);
        assert.ok(Number(claimed.next_attempt_at) > Date.now(), 'due again only when the lease ends');

        smtp.answers.delete(subject);
        const transport = createMailTransport({ smtpUrl: smtp.url, requireTls: false, from: 'Billing <billing@globomantics.test>', timeoutMs: 5000 });
        try {
          const logger = pino({ level: 'silent' });
          const early = await runWorker({ db, transport, domain: 'globomantics.test', logger, once: true });
          assert.equal(early.sent, 0, 'a leased message is not taken before its lease ends');
          await sleep(Math.max(0, Number(claimed.next_attempt_at) - Date.now()) + 50);
          const late = await runWorker({ db, transport, domain: 'globomantics.test', logger, once: true });
          assert.equal(late.sent, 1);
        } finally {
          transport.close();
        }
        const sent = await db.selectFrom('outbox_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(sent.status, 'sent');
        assert.equal(Number(sent.attempts), 2);
        assert.equal(sent.message_id, claimed.message_id);
        const copies = smtp.received.filter((message) => message.subject === subject);
        assert.equal(copies.length, 2, 'the server got it from the dead worker and from the one that finished it');
        assert.deepEqual(new Set(copies.map((copy) => copy.messageId)), new Set([claimed.message_id]));
      } finally {
        child.kill('SIGKILL');
        await smtp.stop();
      }
    });
  });
}
