/**
 * The outbox worker against a real SMTP server (smtp-server) on each
 * database: two workers at once send each message exactly once; an SMTP
 * outage keeps messages waiting with their tries and error, then they go out
 * once; a 5xx answer fails at once, a 4xx is retried until the give-up time;
 * the check before sending cancels; attachments are built at send time;
 * STARTTLS is used when offered and can be required; the daily job runs once whatever the workers.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { enqueueMessage, runWorker, type RetryPolicy, type WorkerOptions } from '../../src/modules/outbox/index.js';
import { createMailTransport } from '../../src/platform/mail/index.js';
import type { Database } from '../../src/schema.js';
import { openOwnDatabase } from '../support/own-database.js';
import { makeCertDir } from '../support/server-process.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const logger = pino({ level: 'silent' });
const DOMAIN = 'globomantics.test';
const FAST: RetryPolicy = { firstPauseMs: 200, maxPauseMs: 200, giveUpAfterMs: 60_000 };

for (const target of TEST_DATABASES) {
  const own = await openOwnDatabase(target, 'outbox_worker');
  describe(`outbox worker on ${target.name}`, { skip: own.opened.skip ?? false }, () => {
    const db = own.opened.db!;
    let smtp: TestSmtpServer;
    const transports: ReturnType<typeof createMailTransport>[] = [];

    function transport(url = smtp.url, requireTls = false) {
      const made = createMailTransport({ smtpUrl: url, requireTls, from: `Billing <billing@${DOMAIN}>`, timeoutMs: 3000 });
      transports.push(made);
      return made;
    }
    /**
     * Another connection pool for another worker. On SQLite the workers share
     * one: better-sqlite3 waits for a lock synchronously, so two pools in one
     * process would block the very event loop the lock holder needs (separate
     * processes, as in production, wait for each other fine).
     */
    function pool() {
      return target.name === 'SQLite' ? db : own.connect();
    }
    function work(options: Partial<WorkerOptions> = {}) {
      return runWorker({ db, transport: transport(), domain: DOMAIN, logger, once: true, retry: FAST, ...options });
    }
    async function queue(count: number, tag: string, extra: { purpose?: string; attachment?: { kind: string; ref: Record<string, string> } } = {}): Promise<number[]> {
      const ids = [];
      for (let index = 0; index < count; index += 1) {
        ids.push(
          await enqueueMessage(
            db,
            { purpose: extra.purpose ?? 'test', acctid: uniqueAcctId('W'), to: `customer${index}@example.com`, subject: `${tag} #${index}`, text: 'Hello.', html: '<p>Hello.</p>', attachment: extra.attachment ?? null },
            Date.now(),
          ),
        );
      }
      return ids;
    }
    async function rows(ids: number[]) {
      return db.selectFrom('outbox_message').selectAll().where('id', 'in', ids).orderBy('id').execute();
    }
    const arrived = (tag: string) => smtp.received.filter((message) => message.subject.startsWith(`${tag} #`));

    before(async () => {
      smtp = await startSmtpServer();
    });
    beforeEach(async () => {
      // Whatever an earlier test left due must not be sent by the next one's worker.
      await db.updateTable('outbox_message').set({ status: 'cancelled' }).where('status', '=', 'pending').execute();
      smtp.answers.clear();
    });
    after(async () => {
      for (const made of transports) made.close();
      await smtp?.stop();
      await own.cleanUp();
    });

    test('two workers started at once send every message exactly once, under a Message-ID named after its row', async () => {
      const ids = await queue(40, 'pair');
      const [first, second] = await Promise.all([
        runWorker({ db: pool(), transport: transport(), domain: DOMAIN, logger, once: true, batchSize: 4, retry: FAST }),
        runWorker({ db: pool(), transport: transport(), domain: DOMAIN, logger, once: true, batchSize: 4, retry: FAST }),
      ]);
      const got = arrived('pair');
      assert.equal(got.length, 40);
      assert.equal(new Set(got.map((message) => message.subject)).size, 40);
      assert.equal(first.sent + second.sent, 40);
      const sent = await rows(ids);
      assert.ok(sent.every((row) => row.status === 'sent' && Number(row.attempts) === 1 && row.sent_at !== null && row.smtp_response?.includes('queued')));
      for (const row of sent) {
        assert.match(row.message_id!, /^<outbox-\d+\.[0-9a-f]{24}@globomantics\.test>$/);
        assert.ok(row.message_id!.startsWith(`<outbox-${Number(row.id)}.`));
        assert.equal(got.find((message) => message.subject === row.subject)?.messageId, row.message_id);
      }
    });

    test('with the SMTP server down messages wait with their tries and error, and go out once when it is back', async () => {
      const ids = await queue(3, 'outage');
      await smtp.stop();
      try {
        await work();
        const waiting = await rows(ids);
        assert.ok(waiting.every((row) => row.status === 'pending' && Number(row.attempts) === 1 && Number(row.next_attempt_at) > Date.now() - 1000), JSON.stringify(waiting));
        for (const row of waiting) assert.match(row.last_error ?? '', /ECONNECTION|ECONNREFUSED|connect/i);
      } finally {
        await smtp.start();
      }
      await sleep(FAST.firstPauseMs + 50);
      await work();
      await work();
      assert.equal(arrived('outage').length, 3);
      assert.ok((await rows(ids)).every((row) => row.status === 'sent' && Number(row.attempts) === 2 && row.last_error === null));
    });

    test('a 5xx answer fails the message at once; a 4xx one is retried and sent once the server takes it', async () => {
      const [refused] = await queue(1, 'refused');
      const [deferred] = await queue(1, 'deferred');
      smtp.answers.set('refused #0', { code: 550, text: 'No such mailbox' });
      smtp.answers.set('deferred #0', { code: 451, text: 'Try again later' });
      await work();
      let [refusedRow, deferredRow] = await rows([refused!, deferred!]);
      assert.equal(refusedRow?.status, 'failed');
      assert.match(refusedRow?.last_error ?? '', /^550 .*No such mailbox/);
      assert.equal(deferredRow?.status, 'pending');
      assert.match(deferredRow?.last_error ?? '', /^451 .*Try again later/);

      smtp.answers.delete('deferred #0');
      await sleep(FAST.firstPauseMs + 50);
      await work();
      [refusedRow, deferredRow] = await rows([refused!, deferred!]);
      assert.equal(refusedRow?.status, 'failed');
      assert.equal(Number(refusedRow?.attempts), 1);
      assert.equal(deferredRow?.status, 'sent');
      assert.equal(arrived('refused').length, 0);
      assert.equal(arrived('deferred').length, 1);
    });

    test('temporary failures are retried with growing pauses until the give-up time, then the message fails', async () => {
      const [id] = await queue(1, 'hopeless');
      smtp.answers.set('hopeless #0', { code: 421, text: 'Service not available' });
      const retry: RetryPolicy = { firstPauseMs: 50, maxPauseMs: 1000, giveUpAfterMs: 300 };
      const pauses = [];
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        const before = Date.now();
        await work({ retry });
        const [row] = await rows([id!]);
        assert.equal(Number(row?.attempts), attempt);
        if (row?.status === 'failed') break;
        pauses.push(Number(row?.next_attempt_at) - before);
        await sleep(Math.max(0, Number(row?.next_attempt_at) - Date.now()) + 10);
      }
      const [row] = await rows([id!]);
      assert.equal(row?.status, 'failed');
      // 50, 100, then 200 would bring the total to 350 > 300: the third try is the last.
      assert.equal(Number(row?.attempts), 3);
      assert.equal(pauses.length, 2);
      assert.ok(pauses[1]! > pauses[0]!, `pauses grow: ${pauses.join(', ')}`);
    });

    test('the check before sending cancels a message with its reason; attachments are built when it is sent', async () => {
      const [cancelled] = await queue(1, 'paid-up', { purpose: 'reminder' });
      const [kept] = await queue(1, 'still-due', { purpose: 'reminder', attachment: { kind: 'statement', ref: { month: '2026-11' } } });
      const seen: number[] = [];
      await work({
        beforeSend: {
          reminder: (_db, message) => {
            seen.push(message.id);
            return Promise.resolve(message.subject.startsWith('paid-up') ? { send: false, reason: 'the account has nothing overdue any more' } : { send: true });
          },
        },
        attachments: { statement: (_db, ref) => Promise.resolve({ filename: `statement-${ref.month}.pdf`, contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 test') }) },
      });
      assert.deepEqual(seen.sort(), [cancelled, kept].sort());
      const [cancelledRow, keptRow] = await rows([cancelled!, kept!]);
      assert.equal(cancelledRow?.status, 'cancelled');
      assert.equal(cancelledRow?.last_error, 'the account has nothing overdue any more');
      assert.equal(keptRow?.status, 'sent');
      assert.equal(arrived('paid-up').length, 0);
      assert.deepEqual(arrived('still-due')[0]?.attachments, [{ filename: 'statement-2026-11.pdf', contentType: 'application/pdf', size: 13 }]);
    });

    test('an attachment kind without a renderer keeps the message waiting, with the reason', async () => {
      const [id] = await queue(1, 'no-renderer', { attachment: { kind: 'mystery', ref: {} } });
      await work();
      const [row] = await rows([id!]);
      assert.equal(row?.status, 'pending');
      assert.match(row?.last_error ?? '', /no renderer for attachments of kind "mystery"/);
      assert.equal(arrived('no-renderer').length, 0);
    });

    test('with TLS required, a server that offers no STARTTLS gets nothing', async () => {
      const [id] = await queue(1, 'plaintext');
      await runWorker({ db, transport: transport(smtp.url, true), domain: DOMAIN, logger, once: true, retry: FAST });
      const [row] = await rows([id!]);
      assert.equal(row?.status, 'pending');
      assert.match(row?.last_error ?? '', /^ETLS: .*STARTTLS/);
      assert.equal(arrived('plaintext').length, 0);
    });

    test('STARTTLS is used when the server offers it, with or without TLS required', async () => {
      const dir = makeCertDir();
      const [key, cert] = ['key.pem', 'cert.pem'].map((file) => readFileSync(join(dir, 'ssl', file)));
      const tls = await startSmtpServer({ disabledCommands: [], key, cert });
      try {
        const ids = await queue(2, 'starttls');
        for (const requireTls of [false, true]) {
          const secure = createMailTransport({ smtpUrl: tls.url, requireTls, from: `Billing <billing@${DOMAIN}>`, ca: cert, timeoutMs: 3000 });
          transports.push(secure);
          await runWorker({ db, transport: secure, domain: DOMAIN, logger, once: true, retry: FAST, batchSize: 1 });
        }
        assert.deepEqual(tls.received.map((message) => message.secure), [true, true]);
        assert.ok((await rows(ids)).every((row) => row.status === 'sent'));
      } finally {
        await tls.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('SMTP_URL credentials sign in (percent-encoded); a refused sign-in keeps messages waiting instead of failing them', async () => {
      const guarded = await startSmtpServer({
        authOptional: false,
        authMethods: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: true,
        onAuth(auth, _session, callback) {
          if (auth.username === 'billing' && auth.password === 's@cret:1') callback(null, { user: auth.username });
          else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        },
      });
      try {
        const [refused] = await queue(1, 'bad-login');
        const wrong = transport(`smtp://billing:wrong@127.0.0.1:${guarded.port}`);
        await runWorker({ db, transport: wrong, domain: DOMAIN, logger, once: true, retry: FAST });
        const [row] = await rows([refused!]);
        assert.equal(row?.status, 'pending');
        assert.match(row?.last_error ?? '', /^EAUTH: .*535/);
        assert.doesNotMatch(row?.last_error ?? '', /wrong/, 'the password is not recorded');

        await sleep(FAST.firstPauseMs + 50);
        const right = transport(`smtp://billing:s%40cret%3A1@127.0.0.1:${guarded.port}`);
        await runWorker({ db, transport: right, domain: DOMAIN, logger, once: true, retry: FAST });
        assert.equal((await rows([refused!]))[0]?.status, 'sent');
        assert.equal(guarded.received.length, 1);
      } finally {
        await guarded.stop();
      }
    });

    test('without SMTP the worker sends nothing but keeps its heartbeat', async () => {
      const [id] = await queue(1, 'no-smtp');
      const started = Date.now();
      const summary = await runWorker({ db, transport: null, domain: DOMAIN, logger, once: true });
      const [row] = await rows([id!]);
      assert.equal(row?.status, 'pending');
      assert.equal(Number(row?.attempts), 0);
      const heartbeat = await db.selectFrom('outbox_worker').selectAll().where('name', '=', summary.name).executeTakeFirstOrThrow();
      assert.ok(Number(heartbeat.last_ran_at) >= started);
    });

    test('the daily job runs once a day, by one of the workers started together', async () => {
      const name = `daily-${uniqueAcctId('J')}`;
      const runs: string[] = [];
      const daily = { at: '00:00', timeZone: 'UTC', name, run: (_db: Kysely<Database>, today: string) => { runs.push(today); return Promise.resolve(`ran for ${today}`); } };
      const workers = await Promise.all(Array.from({ length: 3 }, () => runWorker({ db: pool(), transport: null, domain: DOMAIN, logger, once: true, daily })));
      await runWorker({ db, transport: null, domain: DOMAIN, logger, once: true, daily });
      assert.equal(runs.length, 1);
      const [run] = await db.selectFrom('outbox_daily_run').selectAll().where('job', '=', name).execute();
      assert.equal(run?.day, new Date().toISOString().slice(0, 10));
      assert.ok(workers.some((worker) => worker.name === run?.worker));
      assert.equal(run?.outcome, `ran for ${run?.day}`);
    });
  });
}
