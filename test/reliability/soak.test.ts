/**
 * Scenario 4, the soak: mixed traffic (the public lookup, searches, account
 * pages, API reads, payments through the API, the dashboard) from a bounded
 * number of loops against the server on a private MariaDB, 60 s at CI size
 * and 10 minutes at full size (RELIABILITY_SCALE=full), the server running
 * with the image's NODE_OPTIONS. After the warm-up
 * (the first fifth), the server's resident memory (VmRSS, sampled every
 * second) grows by less than 10 %, the p99 latency of the last window stays
 * near the first's, and not one request fails.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { accountsWithInvoices, connect, countPayments, inconsistentAccounts, SCALE, serverErrors, skipOrFail, staff, startApp, Traffic } from './support/crm.js';
import { byStatus, Client, describeOutcomes, printFigures, quantile, rssKiB, runLoad, type Outcome } from './support/load.js';
import { MARIADB_SKIP, PrivateMariadb } from './support/mariadb.js';

const SIZE = SCALE === 'full' ? { concurrency: 16, durationMs: 600_000, accounts: 200 } : { concurrency: 8, durationMs: 60_000, accounts: 20 };
const WARM_UP_MS = SIZE.durationMs / 5;
/** The first and the last window compared, after the warm-up. */
const WINDOW_MS = SIZE.durationMs / 10;
const RSS_GROWTH_LIMIT = 0.1;
/** The last window's p99 may be at most twice the first's, plus this much for a machine shared with other work. */
const P99_SLACK_MS = 50;

const median = (values: readonly number[]) => quantile(values, 0.5);
const p99 = (outcomes: readonly Outcome[]) => quantile(outcomes.map((o) => o.ms), 0.99);

describe('the soak', { skip: skipOrFail(MARIADB_SKIP), timeout: SIZE.durationMs + 240_000 }, () => {
  test(`${SIZE.durationMs / 1000} s of mixed traffic: RSS and p99 steady, no request fails, nothing lost or doubled`, async (t) => {
    const mariadb = await PrivateMariadb.create();
    t.after(() => mariadb.stop());
    const server = await startApp(mariadb.url);
    t.after(() => server.cleanup());
    const db = connect(mariadb.url);
    t.after(() => db.destroy());
    const clerk = await staff(db, server);
    const client = new Client(server.baseUrl, server.caFile, { sockets: SIZE.concurrency });
    t.after(() => client.close());
    const traffic = new Traffic(client, clerk, await accountsWithInvoices(client, clerk.token, SIZE.accounts));
    const pid = server.child.pid!;

    const stop = new AbortController();
    const began = performance.now();
    const load = runLoad({ concurrency: SIZE.concurrency, next: traffic.next, stop: stop.signal });
    const samples: { at: number; kib: number }[] = [];
    while (performance.now() - began < SIZE.durationMs) {
      samples.push({ at: performance.now() - began, kib: rssKiB(pid) });
      await sleep(1000);
    }
    stop.abort();
    const outcomes = await load;

    const measured = outcomes.filter((o) => o.at - began >= WARM_UP_MS);
    const firstWindow = measured.filter((o) => o.at - began < WARM_UP_MS + WINDOW_MS);
    const lastWindow = measured.filter((o) => o.at - began >= SIZE.durationMs - WINDOW_MS);
    const rssFirst = median(samples.filter((s) => s.at >= WARM_UP_MS && s.at < WARM_UP_MS + WINDOW_MS).map((s) => s.kib));
    const rssLast = median(samples.filter((s) => s.at >= SIZE.durationMs - WINDOW_MS).map((s) => s.kib));
    const growth = (rssLast - rssFirst) / rssFirst;
    const failed = outcomes.filter((o) => o.status < 200 || o.status >= 400);
    const counted = await countPayments(db, traffic.payments);
    const seconds = SIZE.durationMs / 1000;
    printFigures(`soak (${SCALE}, ${seconds} s, ${SIZE.concurrency} loops)`, {
      requests: outcomes.length,
      'per s': Math.round(outcomes.length / seconds),
      statuses: JSON.stringify(byStatus(outcomes)),
      errors: failed.length,
      acknowledged: counted.acknowledged,
      lost: counted.lost.length,
      doubled: counted.doubled.length,
      'RSS at start MiB': (samples[0]!.kib / 1024).toFixed(1),
      'RSS after warm-up MiB': (rssFirst / 1024).toFixed(1),
      'RSS at end MiB': (rssLast / 1024).toFixed(1),
      'RSS growth': `${(growth * 100).toFixed(1)} %`,
      'p50 first/last window ms': `${median(firstWindow.map((o) => o.ms)).toFixed(1)}/${median(lastWindow.map((o) => o.ms)).toFixed(1)}`,
      'p99 first/last window ms': `${p99(firstWindow).toFixed(1)}/${p99(lastWindow).toFixed(1)}`,
    });

    assert.deepEqual(failed.length, 0, `no request fails: ${describeOutcomes(failed)}; the server logged: ${serverErrors(server)}`);
    assert.ok(p99(lastWindow) <= 2 * p99(firstWindow) + P99_SLACK_MS, `p99 steady: first window ${p99(firstWindow).toFixed(1)} ms, last ${p99(lastWindow).toFixed(1)} ms`);
    assert.deepEqual(counted.lost, []);
    assert.deepEqual(counted.doubled, []);
    assert.deepEqual(await inconsistentAccounts(db), [], 'every account agrees with its entries');
    // With the image's heap configuration (startApp passes the Dockerfile's NODE_OPTIONS): without it V8 sizes
    // its heap from the machine's memory and grows it lazily, which is not a pod's memory (decision 0030).
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grows under ${RSS_GROWTH_LIMIT * 100} % after the warm-up: ${(rssFirst / 1024).toFixed(1)} → ${(rssLast / 1024).toFixed(1)} MiB`);
  });
});
