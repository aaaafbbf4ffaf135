/**
 * The outbox from the operator's terminal, as `crm` runs against a SQLite
 * file: list (table and JSON), retry, cancel, `worker --once` sending to a
 * real SMTP server, a worker without SMTP saying so, and `crm worker`
 * stopping cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { migrateDatabase } from '../../src/migrations/index.js';
import { enqueueMessage } from '../../src/modules/outbox/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import type { Database } from '../../src/schema.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { ROOT } from '../support/paths.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

describe('crm outbox and crm worker', () => {
  let dbFile: string;
  let db: Kysely<Database>;
  let smtp: TestSmtpServer;
  const ids: number[] = [];

  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-outbox-cli-'));
    dbFile = join(dir, 'crm.db');
    db = createDatabase<Database>({ kind: 'sqlite', file: dbFile }, { poolSize: 1, connectTimeoutMs: 3000 });
    await migrateDatabase(db);
    for (const subject of ['Reminder one', 'Reminder two', 'Reminder three']) {
      ids.push(await enqueueMessage(db, { purpose: 'test', acctid: null, to: 'customer@example.com', subject, text: 'Hello.', html: '<p>Hello.</p>' }, Date.now()));
    }
    smtp = await startSmtpServer();
  });
  after(async () => {
    await smtp?.stop();
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('list --json gives id, to, subject, status, attempts, last_error and next_attempt_at; --status filters', async () => {
    const run = await runCrm(dbFile, ['outbox', 'list', '--json']);
    assert.equal(run.status, 0, showRun(run));
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['id', 'to', 'subject', 'status', 'attempts', 'last_error', 'next_attempt_at']);
    assert.deepEqual(rows.map((row) => row.subject), ['Reminder three', 'Reminder two', 'Reminder one']);
    assert.ok(rows.every((row) => row.status === 'pending' && row.attempts === 0 && typeof row.next_attempt_at === 'string'));
    const none = await runCrm(dbFile, ['outbox', 'list', '--status', 'failed']);
    assert.equal(none.status, 0, showRun(none));
    assert.match(none.stderr, /No failed messages/);
    const bad = await runCrm(dbFile, ['outbox', 'list', '--status', 'lost']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /pending, sent, failed, cancelled/);
  });

  test('cancel stops a pending message; cancelling it again or an unknown id says why', async () => {
    const run = await runCrm(dbFile, ['outbox', 'cancel', String(ids[2])]);
    assert.equal(run.status, 0, showRun(run));
    assert.match(run.stdout, /cancelled/);
    const again = await runCrm(dbFile, ['outbox', 'cancel', String(ids[2])]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already cancelled/);
    const unknown = await runCrm(dbFile, ['outbox', 'cancel', '999999']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no outbox message 999999/);
  });

  test('worker --once without SMTP_URL sends nothing and says so', async () => {
    const run = await runCrm(dbFile, ['worker', '--once']);
    assert.equal(run.status, 0, showRun(run));
    assert.match(run.stdout, /SMTP_URL is not set: nothing was sent/);
  });

  test('worker --once sends what is due; a refused message fails and retry brings it back', async () => {
    smtp.answers.set('Reminder two', { code: 550, text: 'Mailbox unavailable' });
    const env = { SMTP_URL: smtp.url, MAIL_FROM: 'Billing <billing@globomantics.test>' };
    const run = await runCrm(dbFile, ['worker', '--once'], { env });
    assert.equal(run.status, 0, showRun(run));
    assert.match(run.stdout, /sent 1, retrying 0, failed 1, cancelled 0/);
    assert.deepEqual(smtp.received.map((message) => message.subject), ['Reminder one']);
    const failed = JSON.parse((await runCrm(dbFile, ['outbox', 'list', '--status', 'failed', '--json'])).stdout) as { id: number; last_error: string }[];
    assert.deepEqual(failed.map((row) => row.id), [ids[1]]);
    assert.match(failed[0]?.last_error ?? '', /550 Mailbox unavailable/);

    smtp.answers.clear();
    const retried = await runCrm(dbFile, ['outbox', 'retry', '--all']);
    assert.equal(retried.status, 0, showRun(retried));
    assert.match(retried.stdout, /1 message due now/);
    const resent = await runCrm(dbFile, ['worker', '--once'], { env });
    assert.match(resent.stdout, /sent 1,/);
    const sent = await runCrm(dbFile, ['outbox', 'retry', String(ids[0])]);
    assert.equal(sent.status, 1);
    assert.match(sent.stderr, /is sent; only pending and failed messages can be retried/);
    const both = await runCrm(dbFile, ['outbox', 'retry']);
    assert.equal(both.status, 2);
  });

  test('crm worker keeps running until SIGTERM, then exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'worker'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'test', DATABASE_URL: `sqlite:${dbFile}`, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = once(child, 'exit');
    for (let waited = 0; !output.includes('outbox worker started') && waited < 30_000; waited += 100) await sleep(100);
    assert.match(output, /outbox worker started/);
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /outbox worker stopped/);
  });
});
