/**
 * Scenario 5, start-up order: the app and `crm worker` started before their
 * database exists (its port closed, as a database container still starting)
 * wait for it (DB_CONNECT_ATTEMPTS, DB_CONNECT_DELAY_MS) instead of exiting; meanwhile the app listens and
 * says it is not ready (/readyz 503) and answers a visitor 503 with Retry-After. Once mariadbd
 * answers, the app migrates and serves, and the worker (which also waits for
 * the schema the app applies) beats its heartbeat; both timed from the
 * moment the database answered.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/schema.js';
import { Browser } from '../support/https-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { connect, SCALE, skipOrFail, spawnCrm, startApp } from './support/crm.js';
import { printFigures } from './support/load.js';
import { freePort, MARIADB_SKIP, PrivateMariadb } from './support/mariadb.js';

/** How long the database stays away (and the server takes to start). */
const ABSENT_MS = SCALE === 'full' ? 25_000 : 6000;
/**
 * Both wait with pauses of at most 2 s, 60 times (the defaults: 5 s, 10 times), so that the time from the
 * database answering to their using it measures the waiting, not where a 5 s pause happened to fall.
 */
const WAIT = { DB_CONNECT_DELAY_MS: '2000', DB_CONNECT_ATTEMPTS: '60' };
/** The longest pause, an attempt's own deadlines (connect, acquire: 3 s) and a second to act on a busy machine. */
const SERVE_WITHIN_MS = 6000;

describe('start-up order', { skip: skipOrFail(MARIADB_SKIP), timeout: 240_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('the app and the worker started before their database wait for it, answer 503 (not ready) meanwhile, and serve as soon as it answers', async () => {
    const mariadb = await PrivateMariadb.create({ start: false });
    cleanups.push(() => mariadb.stop());
    const port = await freePort();
    const startedAt = performance.now();
    const appLog: string[] = [];
    const started: { app?: ServerProcess; error?: unknown } = {};
    const appListening = startApp(mariadb.url, { PORT: String(port), LOG_LEVEL: 'info', ...WAIT }, { startTimeoutMs: ABSENT_MS + 180_000, logLines: appLog }).then(
      (server) => {
        started.app = server;
        cleanups.push(() => server.cleanup());
        return performance.now();
      },
      (error: unknown) => {
        started.error = error;
        return Number.NaN;
      },
    );
    const worker = spawnCrm(['worker'], { DATABASE_URL: mariadb.url, ...WAIT });
    cleanups.push(async () => {
      worker.child.kill('SIGTERM');
      await worker.exited;
    });

    // While the database is away: both processes stay up; the app listens, its readiness probe says 503 and a
    // visitor gets 503 with Retry-After (started through tsx on a busy machine, they may take a while to listen at all).
    const probe = new Browser(`https://localhost:${port}`);
    const notReady: string[] = [];
    const visitorAnswers: string[] = [];
    const waited = () => appLog.some((line) => line.includes('waiting for the')) && worker.output().includes('waiting for the');
    while ((performance.now() - startedAt < ABSENT_MS || !waited()) && performance.now() - startedAt < 180_000) {
      await sleep(1000);
      if (!appLog.some((line) => line.includes('listening;'))) continue;
      notReady.push(await probe.request('/readyz').then((reply) => `${reply.status}`, (error: NodeJS.ErrnoException) => error.code ?? error.message));
      visitorAnswers.push(
        await probe.request('/').then((reply) => `${reply.status} retry-after=${String(reply.headers['retry-after'])}`, (error: NodeJS.ErrnoException) => error.code ?? error.message),
      );
    }
    assert.equal(started.error, undefined, `the app is still waiting, not exited: ${String(started.error)}`);
    assert.equal(started.app, undefined, 'the app does not serve without its database');
    assert.ok(waited(), 'both said they wait for the database');
    assert.equal(worker.child.exitCode, null, `the worker is still waiting, not exited: ${worker.output()}`);
    assert.ok(notReady.length > 0, 'the app listened while it waited');
    assert.ok(notReady.every((outcome) => outcome === '503'), `/readyz says not ready meanwhile: ${notReady.join(', ')}`);
    assert.ok(visitorAnswers.every((outcome) => outcome === '503 retry-after=5'), `a visitor gets 503 with Retry-After meanwhile: ${visitorAnswers.join(', ')}`);

    await mariadb.start();
    const answeredAt = performance.now();
    const answeredEpoch = Date.now();
    const servingAt = await appListening;
    // (assert.equal above narrowed it to undefined.)
    const app = started.app as ServerProcess | undefined;
    assert.ok(app, `the app serves once the database answers: ${String(started.error)}`);
    // Its log's own clock: when the wait ended (then it migrated the new database and added the seed accounts).
    const connected = app.logLines.map((line) => JSON.parse(line) as { time: number; msg: string }).find((line) => line.msg.startsWith('connected to the'));
    assert.ok(connected, 'the app logged when it reached the database');
    const reachedMs = connected.time - answeredEpoch;
    const visitor = new Browser(app.baseUrl, app.caFile);
    assert.equal((await visitor.request('/readyz')).status, 200);
    const { token } = await visitor.openLookupPage();
    assert.match((await visitor.postForm({ acctid: 'ACCT100', csrf_token: token })).body, /Account balance: 40\.00 USD/);

    const db = connect(mariadb.url);
    cleanups.push(() => db.destroy());
    const beatingAt = await firstHeartbeat(db, answeredAt + 60_000);
    const waits = (worker.output().match(/waiting for the/g) ?? []).length;
    printFigures(`start-up order (${SCALE})`, {
      'database away ms': Math.round(answeredAt - startedAt),
      'app reached it ms after it answered': reachedMs,
      'app serving ms after (migrated, seeded)': Math.round(servingAt - answeredAt),
      'worker beating ms after the database answered': Math.round(beatingAt - answeredAt),
      'worker waits logged': waits,
      'probes answered 503 meanwhile': notReady.length,
    });
    assert.ok(reachedMs <= SERVE_WITHIN_MS, `the app reaches the database within ${SERVE_WITHIN_MS} ms of its answering: ${reachedMs} ms`);
    assert.ok(beatingAt - servingAt <= SERVE_WITHIN_MS, `the worker works within ${SERVE_WITHIN_MS} ms of the schema being there: ${Math.round(beatingAt - servingAt)} ms; ${worker.output()}`);
    assert.equal(worker.child.exitCode, null, `the worker is still running: ${worker.output()}`);
  });
});

/** When the worker's first heartbeat row is there (polled), or a failure at the deadline. */
async function firstHeartbeat(db: Kysely<Database>, deadline: number): Promise<number> {
  for (;;) {
    const beat = await db
      .selectFrom('outbox_worker')
      .select('name')
      .execute()
      .catch(() => []);
    if (beat.length > 0) return performance.now();
    if (performance.now() > deadline) throw new Error('the worker never beat its heartbeat');
    await sleep(100);
  }
}
