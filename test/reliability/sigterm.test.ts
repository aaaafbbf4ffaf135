/**
 * Scenario 3, SIGTERM under load, as Kubernetes stops a pod: the server
 * answers every request it had started (none fails), takes no new ones, and
 * exits 0 well within its grace period (SHUTDOWN_GRACE_MS, 20 s in
 * src/server.ts); `crm worker`, told to stop while the SMTP server holds
 * its answers, finishes the messages it holds and records them, leaving no
 * lease behind, and exits 0.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { enqueueMessage } from '../../src/modules/outbox/index.js';
import type { Database } from '../../src/schema.js';
import { startSmtpServer } from '../support/smtp.js';
import { accountsWithInvoices, countPayments, inconsistentAccounts, migratedPrivateMariadb, SCALE, serverErrors, skipOrFail, spawnCrm, staff, startApp, Traffic } from './support/crm.js';
import { byStatus, Client, describeOutcomes, printFigures, runLoad } from './support/load.js';
import { MARIADB_SKIP } from './support/mariadb.js';

const SIZE = SCALE === 'full' ? { concurrency: 32, loadMs: 10_000, messages: 256 } : { concurrency: 16, loadMs: 3000, messages: 64 };
/** src/server.ts's SHUTDOWN_GRACE_MS. */
const GRACE_MS = 20_000;
/** How long the SMTP server holds each answer: the worker is stopped while it waits. */
const SMTP_HOLD_MS = 1500;

describe('SIGTERM under load', { skip: skipOrFail(MARIADB_SKIP), timeout: 300_000 }, () => {
  const database = migratedPrivateMariadb();

  test('the server answers every request it had started, then exits 0 within its grace period', async (t) => {
    const { url, db } = database;
    const server = await startApp(url);
    t.after(() => server.cleanup());
    const clerk = await staff(db, server);
    const client = new Client(server.baseUrl, server.caFile, { sockets: SIZE.concurrency });
    t.after(() => client.close());
    const traffic = new Traffic(client, clerk, await accountsWithInvoices(client, clerk.token, 10));

    const stop = new AbortController();
    const load = runLoad({ concurrency: SIZE.concurrency, next: traffic.next, stop: stop.signal });
    await sleep(SIZE.loadMs);
    const exited = once(server.child, 'exit') as Promise<[number | null]>;
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    const [code] = await exited;
    const exitMs = performance.now() - signalledAt;
    stop.abort();
    const outcomes = await load;

    const started = outcomes.filter((o) => o.at < signalledAt);
    const inFlight = started.filter((o) => o.at + o.ms >= signalledAt);
    const failed = started.filter((o) => o.status < 200 || o.status >= 400);
    // After SIGTERM the listener is closed (new connections refused) and Fastify answers a request on a kept-alive
    // connection with 503 and Connection: close (return503OnClosing), so the client goes to another replica.
    const afterSignal = outcomes.filter((o) => o.at >= signalledAt);
    const unexpectedAfter = afterSignal.filter((o) => o.status !== 0 && o.status !== 503 && (o.status < 200 || o.status >= 400));
    const fiveHundreds = started.filter((o) => o.status >= 500);
    const counted = await countPayments(db, traffic.payments);
    printFigures(`SIGTERM, server (${SCALE})`, {
      requests: outcomes.length,
      'started before SIGTERM': started.length,
      'in flight at SIGTERM': inFlight.length,
      'their statuses': JSON.stringify(byStatus(inFlight)),
      'failed of those started before': failed.length,
      'sent after SIGTERM': JSON.stringify(byStatus(afterSignal)),
      '5xx before SIGTERM': fiveHundreds.length,
      acknowledged: counted.acknowledged,
      lost: counted.lost.length,
      doubled: counted.doubled.length,
      'exit ms': Math.round(exitMs),
      'exit code': String(code),
    });

    assert.equal(code, 0, `the server exits 0 on SIGTERM: ${server.stderr()}`);
    assert.ok(exitMs < GRACE_MS, `it exits within the grace period (${GRACE_MS} ms): ${Math.round(exitMs)} ms`);
    assert.ok(inFlight.length > 0, 'requests were in flight when SIGTERM came');
    assert.deepEqual(failed.length, 0, `every request started before SIGTERM is answered: ${describeOutcomes(failed)}`);
    assert.deepEqual(fiveHundreds.length, 0, `no 5xx: ${describeOutcomes(fiveHundreds)}; the server logged: ${serverErrors(server)}`);
    assert.deepEqual(unexpectedAfter.length, 0, `after SIGTERM only refused connections and 503: ${describeOutcomes(unexpectedAfter)}`);
    assert.deepEqual(counted.lost, [], 'every acknowledged payment is in the ledger');
    assert.deepEqual(counted.doubled, []);
    assert.deepEqual(await inconsistentAccounts(db), [], 'every account agrees with its entries');
  });

  test('crm worker stopped while sending finishes and records the messages it holds, leaving no lease, and exits 0', async (t) => {
    const { url, db } = database;
    const smtp = await startSmtpServer();
    t.after(() => smtp.stop());
    const tag = `SIGTERM-${Date.now()}`;
    for (let index = 0; index < SIZE.messages; index++) {
      const subject = `${tag} #${index}`;
      smtp.answers.set(subject, { holdMs: SMTP_HOLD_MS });
      await enqueueMessage(db, { purpose: 'test', acctid: null, to: `customer${index}@example.com`, subject, text: 'Hello.', html: '<p>Hello.</p>' }, Date.now());
    }
    const worker = spawnCrm(['worker'], { DATABASE_URL: url, SMTP_URL: smtp.url, MAIL_FROM: 'Billing <billing@globomantics.test>', PUBLIC_BASE_URL: 'https://crm.globomantics.test' });
    t.after(() => worker.child.kill('SIGKILL'));
    // Stopped once the SMTP server holds messages of the worker's first batch.
    const deadline = Date.now() + 60_000;
    while (smtp.received.length === 0 && Date.now() < deadline) await sleep(50);
    const leased = await leasedRows(db, tag);
    const signalledAt = performance.now();
    worker.child.kill('SIGTERM');
    const [code] = await worker.exited;
    const exitMs = performance.now() - signalledAt;

    const rows = await db.selectFrom('outbox_message').select(['subject', 'status', 'lease_owner']).where('subject', 'like', `${tag} #%`).execute();
    const sent = rows.filter((row) => row.status === 'sent');
    const stillLeased = rows.filter((row) => row.lease_owner !== null);
    const subjects = smtp.received.map((mail) => mail.subject).filter((subject) => subject.startsWith(tag));
    const receivedTwice = subjects.filter((subject, index) => subjects.indexOf(subject) !== index);
    const receivedNotRecorded = subjects.filter((subject) => !sent.some((row) => row.subject === subject));
    printFigures(`SIGTERM, worker (${SCALE})`, {
      messages: rows.length,
      'leased at SIGTERM': leased,
      'sent and recorded': sent.length,
      'received by SMTP': subjects.length,
      'received twice': receivedTwice.length,
      'received, not recorded': receivedNotRecorded.length,
      'still leased': stillLeased.length,
      'left pending': rows.filter((row) => row.status === 'pending').length,
      'exit ms': Math.round(exitMs),
      'exit code': String(code),
    });

    assert.equal(code, 0, `crm worker exits 0 on SIGTERM: ${worker.output()}`);
    assert.ok(exitMs < GRACE_MS, `within the grace period: ${Math.round(exitMs)} ms`);
    assert.ok(leased > 0, 'the worker held messages when SIGTERM came');
    assert.equal(sent.length, leased, 'it finished every message it held, and took no more');
    assert.deepEqual(stillLeased, [], 'no message is left leased to a stopped worker');
    assert.deepEqual(receivedNotRecorded, [], 'every message the SMTP server took is recorded as sent');
    assert.deepEqual(receivedTwice, []);
  });
});

/** Messages of this test held under a lease right now. */
async function leasedRows(db: Kysely<Database>, tag: string): Promise<number> {
  const rows = await db
    .selectFrom('outbox_message')
    .select('id')
    .where('subject', 'like', `${tag} #%`)
    .where('status', '=', 'pending')
    .where('lease_owner', 'is not', null)
    .execute();
  return rows.length;
}
