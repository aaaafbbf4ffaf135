/**
 * Scenario 2, the app killed with SIGKILL (no shutdown, transactions cut):
 * - the server in the middle of payments: restarted on the same database,
 *   every account's totals equal its entries' sums and its receivables
 *   agree with its allocations (ledgerMismatches, receivablesMismatches);
 *   every payment it acknowledged is there, and the ones it did not, sent
 *   again under their Idempotency-Key, are recorded once;
 * - `crm import` of an all-or-nothing file in the middle of its write pass
 *   (one transaction): none of the file's accounts, entries, search terms
 *   or audit rows are left, and the same import then runs to the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/schema.js';
import { tempDir } from '../support/tmp.js';
import { accountsWithInvoices, countPayments, inconsistentAccounts, migratedPrivateMariadb, SCALE, serverErrors, skipOrFail, spawnCrm, staff, startApp, Traffic } from './support/crm.js';
import { byStatus, Client, describeOutcomes, printFigures, runLoad } from './support/load.js';
import { MARIADB_SKIP } from './support/mariadb.js';

const SIZE = SCALE === 'full' ? { concurrency: 32, loadMs: 10_000, accounts: 40, importRows: 100_000 } : { concurrency: 16, loadMs: 3000, accounts: 10, importRows: 5000 };

describe('the app killed with SIGKILL', { skip: skipOrFail(MARIADB_SKIP), timeout: 300_000 }, () => {
  const database = migratedPrivateMariadb();

  test('the server killed in the middle of payments: after a restart every account agrees with its entries, nothing acknowledged is lost, nothing doubled', async (t) => {
    const { url, db } = database;
    const first = await startApp(url);
    t.after(() => first.cleanup());
    const clerk = await staff(db, first);
    const client = new Client(first.baseUrl, first.caFile, { sockets: SIZE.concurrency });
    t.after(() => client.close());
    const acctids = await accountsWithInvoices(client, clerk.token, SIZE.accounts);
    // Mostly payments: the kill should land inside their transactions.
    const traffic = new Traffic(client, clerk, acctids, ['payment', 'payment', 'payment', 'api-read']);

    const stop = new AbortController();
    const load = runLoad({ concurrency: SIZE.concurrency, next: traffic.next, stop: stop.signal });
    await sleep(SIZE.loadMs);
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    stop.abort();
    const outcomes = await load;
    const inFlight = outcomes.filter((o) => o.at < killedAt && o.at + o.ms >= killedAt);
    const acknowledgedBefore = traffic.payments.filter((p) => p.status === 201).length;

    const second = await startApp(url);
    t.after(() => second.cleanup());
    const inconsistent = await inconsistentAccounts(db);
    const afterRestart = new Client(second.baseUrl, second.caFile);
    t.after(() => afterRestart.close());
    const retrying = new Traffic(afterRestart, clerk, acctids);
    const unacknowledged = traffic.payments.filter((p) => p.status !== 201);
    const retryAnswers = [];
    for (const payment of unacknowledged) retryAnswers.push(await retrying.pay(payment));
    const counted = await countPayments(db, traffic.payments);
    const fiveHundreds = outcomes.filter((o) => o.status >= 500);
    printFigures(`app killed mid-payments (${SCALE})`, {
      requests: outcomes.length,
      statuses: JSON.stringify(byStatus(outcomes)),
      'in flight at SIGKILL': inFlight.length,
      'payments sent': counted.sent,
      'acknowledged before the kill': acknowledgedBefore,
      'retried after restart': unacknowledged.length,
      'retries answered': JSON.stringify(byStatus(retryAnswers.map((a) => ({ op: 'payment', status: a.status, ms: a.ms, at: 0 })))),
      lost: counted.lost.length,
      doubled: counted.doubled.length,
      'accounts inconsistent': inconsistent.length,
      '5xx': fiveHundreds.length,
    });

    assert.ok(inFlight.length > 0, 'requests were in flight when the server was killed');
    assert.deepEqual(inconsistent, [], 'every account agrees with its entries and allocations after the kill');
    assert.deepEqual(fiveHundreds.length, 0, `no 5xx before the kill: ${describeOutcomes(fiveHundreds)}; the server logged: ${serverErrors(first)}`);
    assert.ok(retryAnswers.every((a) => a.status === 201), `every payment sent again under its key is recorded (201): ${JSON.stringify(byStatus(retryAnswers.map((a) => ({ op: 'payment', status: a.status, ms: a.ms, at: 0 }))))}`);
    assert.deepEqual(counted.lost, [], 'every acknowledged payment is in the ledger');
    assert.deepEqual(counted.doubled, [], 'no payment is in the ledger twice');
    assert.equal(counted.inLedger, counted.sent);
    assert.deepEqual(await inconsistentAccounts(db), [], 'and still after the retries');
  });

  test('crm import killed in the middle of its all-or-nothing write leaves nothing of the file behind; run again, it imports every row', async (t) => {
    const { url, db } = database;
    const dir = tempDir(t, 'crm-reliability-import-');
    const prefix = `I${randomBytes(3).toString('hex').toUpperCase()}`;
    const file = join(dir, 'accounts.csv');
    const lines = ['acctid,name,email,phone,terms_days,paid,due'];
    for (let i = 0; i < SIZE.importRows; i++) lines.push(`${prefix}${String(i).padStart(7, '0')},Imported Customer ${i},c${i}@example.com,,30,${i % 100}.00,${(i % 100) + 50}.00`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const env = { DATABASE_URL: url, LOG_LEVEL: 'warn' };

    const run = spawnCrm(['import', file, '--progress-interval', '50'], env);
    t.after(() => run.child.kill('SIGKILL'));
    // Killed at the first sign of the write pass ("imported N rows"): rows are being written in its transaction.
    const started = performance.now();
    while (!/imported \d+ rows/.test(run.output()) && run.child.exitCode === null && performance.now() - started < 120_000) await sleep(10);
    assert.equal(run.child.exitCode, null, `the import was still running when it was to be killed (make the file bigger): ${run.output()}`);
    const writtenWhenKilled = Number(/imported (\d+) rows/.exec(run.output())?.[1] ?? 0);
    run.child.kill('SIGKILL');
    const [, signal] = await run.exited;
    const killedAfterMs = performance.now() - started;

    const left = await leftBehind(db, prefix);
    printFigures(`crm import killed (${SCALE})`, {
      rows: SIZE.importRows,
      'rows written in its transaction when killed': writtenWhenKilled,
      'killed after ms': Math.round(killedAfterMs),
      ...left,
    });
    assert.equal(signal, 'SIGKILL');
    assert.ok(writtenWhenKilled > 0, 'the kill came in the write pass, rows written');
    assert.deepEqual(left, { accounts: 0, entries: 0, 'search terms': 0, 'audit rows': 0 }, 'nothing of the interrupted import is left');
    assert.deepEqual(await inconsistentAccounts(db), []);

    const again = spawnCrm(['import', file], env);
    t.after(() => again.child.kill('SIGKILL'));
    const [code] = await again.exited;
    assert.equal(code, 0, again.output());
    assert.equal((await leftBehind(db, prefix)).accounts, SIZE.importRows, 'the same import, run again, imports every row');
  });
});

/** What of the import's accounts is in the database: the accounts, their ledger entries, search terms and audit rows. */
async function leftBehind(db: Kysely<Database>, prefix: string) {
  const like = `${prefix}%`;
  const count = async (query: Promise<{ n: number | string | bigint }[]>) => Number((await query)[0]?.n ?? 0);
  return {
    accounts: await count(db.selectFrom('account').select(sql<number>`count(*)`.as('n')).where('acctid', 'like', like).execute()),
    entries: await count(db.selectFrom('ledger_entry').select(sql<number>`count(*)`.as('n')).where('acctid', 'like', like).execute()),
    'search terms': await count(db.selectFrom('account_search_term').select(sql<number>`count(*)`.as('n')).where('acctid', 'like', like).execute()),
    'audit rows': await count(db.selectFrom('audit_event').select(sql<number>`count(*)`.as('n')).where('action', '=', 'account.imported').where('after_json', 'like', `%${prefix}%`).execute()),
  };
}
