/**
 * Scenario 1, the database killed under load: a private mariadbd is killed
 * with SIGKILL while lookups, staff pages, searches, the dashboard and API
 * payments (each with its Idempotency-Key) keep coming. While it is down
 * every answer that needs it is a 503 with Retry-After (no 500, nothing left
 * without an answer, nothing past the request deadline); restarted on the
 * same data directory and port, the same app process serves again within
 * 5 s; then every payment not acknowledged is sent again under its key, and
 * each acknowledged payment is in the ledger exactly once, the totals and
 * receivables of every account agreeing with its entries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { accountsWithInvoices, connect, countPayments, inconsistentAccounts, SCALE, serverErrors, skipOrFail, staff, startApp, Traffic } from './support/crm.js';
import { assertNoOutageFailures, byStatus, Client, outageFailures, printFigures, quantile, runLoad } from './support/load.js';
import { MARIADB_SKIP, PrivateMariadb } from './support/mariadb.js';

const SIZE = SCALE === 'full' ? { concurrency: 16, beforeMs: 10_000, downMs: 20_000, afterMs: 10_000, accounts: 40 } : { concurrency: 8, beforeMs: 3000, downMs: 4000, afterMs: 3000, accounts: 10 };
/** The server's request deadline (REQUEST_TIMEOUT_MS): no request may take longer, database or not. */
const REQUEST_DEADLINE_MS = 10_000;
const RECOVERY_LIMIT_MS = 5000;
/** Requests that read or write the database (the lookup form's GET does not). */
const NEEDS_DATABASE = new Set(['payment', 'page', 'search', 'dashboard', 'api-read', 'lookup']);

describe('the database killed under load', { skip: skipOrFail(MARIADB_SKIP), timeout: 300_000 }, () => {
  test('kill -9 of mariadbd: only 503 + Retry-After while it is down, served again within 5 s of its restart without restarting the app, no acknowledged payment lost or doubled', async (t) => {
    const mariadb = await PrivateMariadb.create();
    t.after(() => mariadb.stop());
    const server = await startApp(mariadb.url, { REQUEST_TIMEOUT_MS: String(REQUEST_DEADLINE_MS) });
    t.after(() => server.cleanup());
    let db = connect(mariadb.url);
    const clerk = await staff(db, server);
    // The test's own pool would see the kill too: it is closed before and opened again after.
    await db.destroy();
    const client = new Client(server.baseUrl, server.caFile, { sockets: SIZE.concurrency, timeoutMs: REQUEST_DEADLINE_MS + 5000 });
    t.after(() => client.close());
    const acctids = await accountsWithInvoices(client, clerk.token, SIZE.accounts);
    const traffic = new Traffic(client, clerk, acctids);

    const stop = new AbortController();
    const load = runLoad({ concurrency: SIZE.concurrency, next: traffic.next, stop: stop.signal });
    await sleep(SIZE.beforeMs);
    const killedAt = performance.now();
    await mariadb.kill9();
    await sleep(SIZE.downMs);
    const restartAt = performance.now();
    await mariadb.start();
    const answeringAt = performance.now();
    await sleep(SIZE.afterMs);
    stop.abort();
    const outcomes = await load;
    const acknowledgedUnderLoad = traffic.payments.filter((p) => p.status === 201).length;

    // Every payment the load did not see acknowledged goes again under its own key, as a client would retry.
    const unacknowledged = traffic.payments.filter((p) => p.status !== 201);
    for (const payment of unacknowledged) {
      const answer = await traffic.pay(payment);
      assert.equal(answer.status, 201, `the retried payment ${payment.key} answered ${answer.status}: ${answer.body}`);
    }
    db = connect(mariadb.url);
    t.after(() => db.destroy());
    const counted = await countPayments(db, traffic.payments);
    const inconsistent = await inconsistentAccounts(db);

    const before = outcomes.filter((o) => o.at + o.ms < killedAt);
    const down = outcomes.filter((o) => o.at + o.ms > killedAt && o.at < restartAt);
    const served = outcomes.filter((o) => o.at >= restartAt && o.status >= 200 && o.status < 300 && NEEDS_DATABASE.has(o.op)).map((o) => o.at + o.ms);
    const firstServed = served.length === 0 ? Number.NaN : Math.min(...served);
    const recoveryMs = firstServed - restartAt;
    const failures = outageFailures(outcomes);
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    printFigures(`database killed (${SCALE})`, {
      requests: outcomes.length,
      statuses: JSON.stringify(byStatus(outcomes)),
      'while down': JSON.stringify(byStatus(down)),
      'payments sent': counted.sent,
      'acknowledged under load': acknowledgedUnderLoad,
      'retried after': unacknowledged.length,
      acknowledged: counted.acknowledged,
      lost: counted.lost.length,
      doubled: counted.doubled.length,
      '5xx other than 503': failures.fiveHundreds.length,
      'down ms': Math.round(restartAt - killedAt),
      'mariadbd restart ms': Math.round(answeringAt - restartAt),
      'recovery ms (restart to first served)': Math.round(recoveryMs),
      'slowest request ms': Math.round(slowest),
      'p99 before ms': Math.round(quantile(before.map((o) => o.ms), 0.99)),
    });

    assert.ok(before.length > 0 && before.every((o) => o.status >= 200 && o.status < 400), `before the kill every request is served: ${JSON.stringify(byStatus(before))}`);
    assert.ok(down.some((o) => o.status === 503), 'the outage was seen: some request got 503');
    assertNoOutageFailures(failures, `the server logged: ${serverErrors(server)}`);
    assert.ok(slowest <= REQUEST_DEADLINE_MS, `no request takes longer than the deadline (${REQUEST_DEADLINE_MS} ms): the slowest took ${Math.round(slowest)} ms`);
    assert.ok(recoveryMs <= RECOVERY_LIMIT_MS, `served again within ${RECOVERY_LIMIT_MS} ms of the restart: ${Math.round(recoveryMs)} ms`);
    const afterRecovery = outcomes.filter((o) => o.at > firstServed + 1000);
    assert.ok(afterRecovery.every((o) => o.status >= 200 && o.status < 400), `a second after recovery every request is served: ${JSON.stringify(byStatus(afterRecovery))}`);
    assert.deepEqual(counted.lost, [], 'every acknowledged payment is in the ledger');
    assert.deepEqual(counted.doubled, [], 'no payment is in the ledger twice');
    assert.equal(counted.inLedger, counted.sent, 'every payment, retried under its key, is in the ledger once');
    assert.deepEqual(inconsistent, [], 'every account agrees with its entries');
  });
});
