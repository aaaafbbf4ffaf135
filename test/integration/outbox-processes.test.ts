/**
 * Two worker processes started at once on one outbox (on SQLite too: two
 * processes on one file, each waiting for the other's write lock) send
 * every message exactly once, counted at the SMTP server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { enqueueMessage } from '../../src/modules/outbox/index.js';
import { openOwnDatabase } from '../support/own-database.js';
import { startSmtpServer } from '../support/smtp.js';
import { TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const MESSAGES = 60;

for (const target of TEST_DATABASES) {
  const own = await openOwnDatabase(target, 'outbox_processes');
  describe(`two worker processes on ${target.name}`, { skip: own.opened.skip ?? false }, () => {
    const db = own.opened.db!;
    after(() => own.cleanUp());

    test('every message is sent exactly once, whichever process sent it', async () => {
      await db.updateTable('outbox_message').set({ status: 'cancelled' }).where('status', '=', 'pending').execute();
      const smtp = await startSmtpServer();
      const tag = uniqueAcctId('P');
      for (let index = 0; index < MESSAGES; index += 1) {
        await enqueueMessage(db, { purpose: 'test', acctid: null, to: `customer${index}@example.com`, subject: `${tag} #${index}`, text: 'Hello.', html: '<p>Hello.</p>' }, Date.now());
      }
      try {
        const summaries = await Promise.all(
          [1, 2].map(async () => {
            const child = spawn(process.execPath, ['--require', 'tsx', 'test/support/outbox-worker-process.ts'], {
              env: { ...process.env, OUTBOX_TEST_DATABASE_URL: own.url, OUTBOX_TEST_SMTP_URL: smtp.url, OUTBOX_TEST_LEASE_MS: '60000', OUTBOX_TEST_ONCE: '1' },
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let output = '';
            child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
            const [code] = (await once(child, 'exit')) as [number | null];
            assert.equal(code, 0, output);
            return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { sent: number };
          }),
        );
        const mine = smtp.received.filter((message) => message.subject.startsWith(`${tag} #`));
        assert.equal(mine.length, MESSAGES);
        assert.equal(new Set(mine.map((message) => message.subject)).size, MESSAGES);
        assert.equal(new Set(mine.map((message) => message.messageId)).size, MESSAGES);
        assert.equal(summaries.reduce((sum, summary) => sum + summary.sent, 0), MESSAGES);
        const pending = await db.selectFrom('outbox_message').select('id').where('status', '=', 'pending').execute();
        assert.deepEqual(pending, []);
      } finally {
        await smtp.stop();
      }
    });
  });
}
