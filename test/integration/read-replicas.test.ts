/**
 * Which reads go to a replica, through the app (inject), on MariaDB and
 * PostgreSQL. The "replica" is a second database on the same server
 * (`<test database>_replica`) that holds different data for the same
 * account ids, so a page shows where it read from: a routed page shows the
 * replica's name, the lookup, the account page and a principal that just
 * wrote show the primary's. The test plays replication only for the
 * heartbeat row (it copies a beat into the stand-in); real replication is
 * the replication suites' (scripts/…replication…).
 *
 * SQLite has no replicas: the config refuses DATABASE_REPLICA_URL with it
 * (test/unit/config.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import type { App } from '../../src/app.js';
import { commandReads } from '../../src/cli/context.js';
import { createDeps } from '../../src/deps.js';
import { loadConfig } from '../../src/config.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { customerLinkFor } from '../../src/modules/customer-link/index.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { runReminders } from '../../src/modules/reminders/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { ReadRouting } from '../../src/platform/db/read-routing.js';
import { closeRedis, createRedis, waitForRedis } from '../../src/platform/redis.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { TEST_SECRET, testAppWithReplicas } from '../support/app.js';
import { openForm, postLookup } from '../support/inject.js';
import { openOwnDatabase } from '../support/own-database.js';
import { addToken, addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, TEST_REDIS_URL, uniqueAcctId } from '../support/test-databases.js';
import { tempDir } from '../support/tmp.js';
import { requireTool } from '../support/tools.js';

const ENV = { SESSION_SECRET: TEST_SECRET, LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0', API_USER_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0', LOOKUP_RATE_LIMIT: '0' };
const actor = { name: 'read-replicas-test', ip: '127.0.0.1', requestId: 'req-read-replicas' };
const quiet = pino({ level: 'silent' });

/** A word of letters no other test's names hold. */
const uniqueWord = () => `r${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

/** Replication, for the heartbeat only: the stand-in holds a beat `ageMs` old. */
const replicateBeat = (replica: Kysely<Database>, ageMs = 0) => replica.updateTable('replica_heartbeat').set({ beat_at_ms: Date.now() - ageMs }).where('id', '=', 1).execute();

for (const target of TEST_DATABASES.filter(({ url }) => !url.startsWith('sqlite:'))) {
  const opened = await openTestDatabase(target);
  const standIn = opened.db ? await openOwnDatabase(target, 'replica') : undefined;
  const skip = opened.skip ?? standIn?.opened.skip ?? false;

  describe(`read routing on ${target.name}`, { skip }, () => {
    let db: Kysely<Database>;
    let replica: Kysely<Database>;
    const made: App[] = [];

    /** The app as the server builds it, with DATABASE_REPLICA_URL naming the stand-in (a second one when given). */
    async function appWithReplica(env: Record<string, string> = {}, redisUrl?: string) {
      const redis = redisUrl ? createRedis(redisUrl, quiet) : null;
      if (redis) await waitForRedis(redis, 2000);
      const { app, routing } = await testAppWithReplicas(db, { ...ENV, DATABASE_URL: target.url, DATABASE_REPLICA_URL: standIn!.url, REPLICA_MAX_LAG_MS: '60000', ...env }, { redis, logger: quiet });
      app.addHook('onClose', async () => {
        if (redis) await closeRedis(redis);
      });
      made.push(app);
      return { app, routing };
    }

    let app: App;
    let routing: ReadRouting<Database>;
    before(async () => {
      db = opened.db!;
      replica = standIn!.opened.db!;
      await replicateBeat(replica);
      ({ app, routing } = await appWithReplica());
    });
    after(async () => {
      // Closing an app stops its heartbeat and closes its replica pools.
      for (const each of made) await each.close();
      await db?.destroy();
      await standIn?.cleanUp();
    });

    /**
     * The same account id on both: "Primary <word>" owing `primaryCents` on
     * the primary, "Replica <word>" owing `replicaCents` on the stand-in.
     */
    async function twin(primaryCents = 4000, replicaCents = 9900) {
      const word = uniqueWord();
      const acctid = uniqueAcctId('R');
      for (const [where, name, owed] of [
        [db, `Primary ${word}`, primaryCents],
        [replica, `Replica ${word}`, replicaCents],
      ] as const) {
        await where.transaction().execute(async (trx) => {
          await createAccount(trx, actor, { acctid, name });
          await recordEntry(trx, actor, { acctid, kind: 'charge', amountCents: cents(owed), memo: '' });
        });
      }
      return { acctid, word, primary: `Primary ${word}`, replica: `Replica ${word}` };
    }

    /** Which of the twins a page showed. */
    function shows(reply: LightMyRequestResponse, account: { primary: string; replica: string }): 'primary' | 'replica' | 'neither' | 'both' {
      assert.ok(reply.statusCode < 400, `status ${reply.statusCode}: ${reply.body.slice(0, 300)}`);
      const primary = reply.body.includes(account.primary);
      const fromReplica = reply.body.includes(account.replica);
      return primary && fromReplica ? 'both' : primary ? 'primary' : fromReplica ? 'replica' : 'neither';
    }

    async function signedIn(role: 'admin' | 'clerk' | 'viewer' = 'clerk', on = app) {
      const user = await addUser(db, role);
      const { cookie } = await signInWith(on, user.username, user.password);
      return { user, cookie, get: (url: string, via = on) => via.inject({ method: 'GET', url, headers: { cookie } }) };
    }

    test('the account list and search read the replica; sign-in, the account page, the lookup and the customer link read the primary', async () => {
      const account = await twin();
      // Signing in works: the user exists on the primary only.
      const { get } = await signedIn('viewer');
      assert.equal(shows(await get(`/accounts?q=${account.word}`), account), 'replica');
      assert.equal(shows(await get(`/accounts/${account.acctid}`), account), 'primary');

      const form = await openForm(app);
      const lookup = await postLookup(app, { ...form, acctid: account.acctid });
      assert.match(lookup.body, /Account balance: 40\.00 USD/, 'the public lookup reads the primary');

      const link = new URL(customerLinkFor({ secret: TEST_SECRET, baseUrl: 'https://crm.test', acctid: account.acctid, now: Date.now(), days: 30 }));
      const page = await app.inject({ method: 'GET', url: link.pathname });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /40\.00 USD/);
      assert.doesNotMatch(page.body, /99\.00 USD/, 'the customer’s page reads the primary');
    });

    test('after a session’s write its routed reads come from the primary; another session’s still from the replica', async () => {
      const account = await twin();
      const writer = await signedIn('clerk');
      const other = await signedIn('viewer');
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`), account), 'replica');

      const recorded = await postStaffForm(app, writer.cookie, `/accounts/${account.acctid}/entries`, { kind: 'payment', amount: '1.00', memo: '' }, `/accounts/${account.acctid}`);
      assert.equal(recorded.statusCode, 303);
      assert.equal(shows(await writer.get(String(recorded.headers.location)), account), 'primary', 'the page the redirect lands on');
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`), account), 'primary', 'the writer’s list, within READ_YOUR_WRITES_MS');
      assert.equal(shows(await other.get(`/accounts?q=${account.word}`), account), 'replica', 'someone else’s list');
    });

    test('the read-your-writes window ends after READ_YOUR_WRITES_MS', async () => {
      const { app: shortWindow } = await appWithReplica({ READ_YOUR_WRITES_MS: '1000' });
      const account = await twin();
      const writer = await signedIn('clerk', shortWindow);
      const recorded = await postStaffForm(shortWindow, writer.cookie, `/accounts/${account.acctid}/entries`, { kind: 'payment', amount: '1.00', memo: '' }, `/accounts/${account.acctid}`);
      assert.equal(recorded.statusCode, 303);
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`), account), 'primary');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`), account), 'replica');
    });

    test('an API token’s GET lists read the replica until that token writes; another token is unaffected', async () => {
      const account = await twin();
      const user = await addUser(db, 'clerk');
      const writer = await addToken(db, user, 'writer');
      const reader = await addToken(db, user, 'reader');
      const api = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
        app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
      assert.equal(shows(await api(writer, 'GET', `/accounts?q=${account.word}`), account), 'replica');

      const created = await api(writer, 'POST', '/accounts', { acctid: uniqueAcctId('W'), name: 'Written through the API' });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(shows(await api(writer, 'GET', `/accounts?q=${account.word}`), account), 'primary');
      assert.equal(shows(await api(reader, 'GET', `/accounts?q=${account.word}`), account), 'replica');
    });

    test('the aging report (page, API, CSV) reads the replica; one account’s aging reads the primary', async () => {
      const account = await twin(4000, 9900);
      const { get } = await signedIn('viewer');
      // The report lists accounts largest total first: 99.00 USD is on the stand-in's first page.
      assert.equal(shows(await get('/receivables?limit=500'), account), 'replica');
      const csv = await get('/receivables.csv');
      assert.equal(csv.statusCode, 200);
      assert.ok(csv.body.includes(`${account.acctid},Replica ${account.word},`), 'the CSV: the replica');

      const token = await addToken(db, await addUser(db, 'viewer'));
      const api = (url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
      const report = await api('/aging?limit=500');
      assert.equal(shows(report, account), 'replica');
      const own = (await api(`/accounts/${account.acctid}/aging`)).json<{ total_cents: number }>();
      assert.equal(own.total_cents, 4000, 'one account’s aging: the primary');
    });

    test('the dashboard’s aggregates read the replica; its latest entries read the primary', async () => {
      const account = await twin();
      const count = async (where: Kysely<Database>) => Number((await where.selectFrom('account').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
      // A fresh routing: no aggregates cached yet for its replica handle.
      const { app: fresh } = await appWithReplica();
      if ((await count(db)) === (await count(replica))) await db.transaction().execute((trx) => createAccount(trx, actor, { acctid: uniqueAcctId('D'), name: 'Tells the counts apart' }));
      const [onPrimary, onReplica] = [await count(db), await count(replica)];
      const token = await addToken(db, await addUser(db, 'viewer'));
      const summary = await fresh.inject({ method: 'GET', url: '/api/v1/summary', headers: { authorization: `Bearer ${token}` } });
      const body = summary.json<{ accounts: { total: number }; recent_activity: { acctid: string; name: string }[] }>();
      assert.equal(body.accounts.total, onReplica, `the replica's ${onReplica} accounts, not the primary's ${onPrimary}`);
      const latest = body.recent_activity.find((entry) => entry.acctid === account.acctid);
      assert.equal(latest?.name, account.primary, 'the latest entries: the primary');
      const page = await fresh.inject({ method: 'GET', url: '/dashboard', headers: { cookie: (await signedIn('viewer', fresh)).cookie } });
      assert.equal(page.statusCode, 200);
    });

    test('statements (API JSON and PDF, the staff PDF), exports and the API’s entries and audit lists read the replica', async (t) => {
      const account = await twin();
      const user = await addUser(db, 'admin');
      const token = await addToken(db, user);
      const api = (url: string, accept = 'application/json') => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}`, accept } });
      assert.equal(shows(await api(`/accounts/${account.acctid}/statement`), account), 'replica');
      const entries = (await api(`/accounts/${account.acctid}/entries`)).json<{ entries: { amount_cents: number }[] }>();
      assert.deepEqual(entries.entries.map(({ amount_cents }) => amount_cents), [9900], 'the replica’s charge');
      assert.equal(shows(await api(`/audit?actor=${actor.name}&action=account.created&limit=20`), account), 'replica');

      const { get } = await signedIn('admin');
      const exported = await get('/admin/export?format=csv');
      assert.equal(exported.statusCode, 200);
      assert.equal(shows(exported, account), 'replica');

      const pdfs = [
        (await api(`/accounts/${account.acctid}/statement`, 'application/pdf')).rawPayload,
        (await get(`/accounts/${account.acctid}/statement.pdf`)).rawPayload,
      ];
      if (!requireTool(t, 'pdftotext')) return;
      for (const pdf of pdfs) {
        const file = join(tempDir(t, 'crm-replica-statement-'), 'statement.pdf');
        writeFileSync(file, pdf);
        const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout;
        assert.ok(text.includes(account.replica) && !text.includes(account.primary), `the PDF names the replica's account: ${text.slice(0, 200)}`);
      }
    });

    test('a command’s reads (crm reminders run’s scan, exports, statements) use a healthy replica after a heartbeat round', async () => {
      const acctid = uniqueAcctId('RM');
      // Overdue on the primary (due 2026-05-01, 60 days late on 2026-06-30), not due yet on the stand-in.
      for (const [where, dueOn] of [
        [db, '2026-05-01'],
        [replica, '2026-07-30'],
      ] as const) {
        await where.transaction().execute(async (trx) => {
          await createAccount(trx, actor, { acctid, name: `Reminded ${acctid}`, email: `${acctid.toLowerCase()}@example.com` });
          await recordEntry(trx, actor, { acctid, kind: 'charge', amountCents: cents(5000), memo: '', effectiveOn: '2026-03-01', dueOn }, { at: Date.parse('2026-06-30T12:00:00Z'), timeZone: 'UTC' });
        });
      }
      const deps = createDeps(loadConfig({ ...ENV, DATABASE_URL: target.url, DATABASE_REPLICA_URL: standIn!.url, REPLICA_MAX_LAG_MS: '60000' }), { poolSize: 2, redis: false, logger: quiet });
      try {
        const reads = await commandReads(deps);
        assert.notEqual(reads, deps.db, 'a replica, not the primary');
        const run = (scan?: Kysely<Database>) =>
          runReminders(deps.db, { ...(scan ? { reads: scan } : {}), asOf: '2026-06-30', company: { name: 'Globomantics', addressLines: [] }, linkFor: (id) => `https://crm.test/s/${id}`, range: { after: acctid.slice(0, -1), upTo: `${acctid}~` } });
        assert.equal((await run(reads)).queued, 0, 'the scan read the replica, where nothing is due');
        assert.equal((await run()).queued, 1, 'the same run scanning the primary queues the reminder');
      } finally {
        await deps.close();
      }
    });

    test('a replica lagging past REPLICA_MAX_LAG_MS is skipped until it catches up, and /readyz says so', async () => {
      const account = await twin();
      const { get } = await signedIn('viewer');
      try {
        await replicateBeat(replica, 120_000);
        await routing.checkNow();
        assert.equal(shows(await get(`/accounts?q=${account.word}`), account), 'primary');
        const ready = await app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ready.statusCode, 200, 'readiness depends on the primary only');
        const [state] = ready.json<{ replicas: { url: string; state: string; lagMs: number }[] }>().replicas;
        assert.equal(state?.state, 'lagging');
        assert.ok(state.lagMs >= 120_000, `lag ${state.lagMs}`);
      } finally {
        await replicateBeat(replica);
        await routing.checkNow();
      }
      assert.equal(shows(await get(`/accounts?q=${account.word}`), account), 'replica');
      const ready = (await app.inject({ method: 'GET', url: '/readyz' })).json<{ status: string; replicas: { url: string; state: string; lagMs: number }[] }>();
      assert.equal(ready.status, 'ready');
      assert.deepEqual(ready.replicas.map(({ url, state }) => ({ url, state })), [{ url: expectedUrl(standIn!.url), state: 'healthy' }]);
    });

    test('an unreachable replica is skipped without an error to anyone, the others used in turn', async () => {
      const account = await twin();
      // A port nothing listens on, and a made-up password /readyz must not show. secretlint-disable-next-line
      const closed = target.url.startsWith('mysql') ? 'mysql://crm:secret-pw@127.0.0.1:1/crm' : 'postgres://crm:secret-pw@127.0.0.1:1/crm';
      const { app: two } = await appWithReplica({ DATABASE_REPLICA_URL: `${standIn!.url},${closed}` });
      const { get } = await signedIn('viewer', two);
      for (let index = 0; index < 4; index++) assert.equal(shows(await get(`/accounts?q=${account.word}`), account), 'replica', `read ${index + 1}`);
      const ready = await two.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.doesNotMatch(ready.body, /secret-pw/, 'no password in the body');
      assert.deepEqual(
        ready.json<{ replicas: { url: string; state: string; lagMs: number | null }[] }>().replicas.map(({ url, state, lagMs }) => ({ url, state, lagMs: lagMs === null ? null : 'a number' })),
        [
          { url: expectedUrl(standIn!.url), state: 'healthy', lagMs: 'a number' },
          { url: closed.replace(':secret-pw', ''), state: 'unreachable', lagMs: null },
        ],
      );
    });

    test('a replica’s sessions refuse writes (read-only), a guard behind the server’s read_only', async () => {
      const readOnly = createDatabase<Database>(parseDatabaseUrl(standIn!.url), { poolSize: 1, connectTimeoutMs: 3000, readOnly: true });
      try {
        await assert.rejects(readOnly.updateTable('replica_heartbeat').set({ beat_at_ms: 1 }).where('id', '=', 1).execute(), /read.only/i);
        assert.equal(Number((await readOnly.selectFrom('replica_heartbeat').select('beat_at_ms').executeTakeFirstOrThrow()).beat_at_ms) > 1, true, 'reads still work');
      } finally {
        await readOnly.destroy();
      }
    });

    test('a write on one app process sends the principal’s reads to the primary on another (Redis)', async (t) => {
      const probe = createRedis(TEST_REDIS_URL, quiet);
      const reachable = await waitForRedis(probe, 2000);
      probe.disconnect();
      if (!reachable) {
        if (process.env.CI === 'true') throw new Error(`Redis at ${TEST_REDIS_URL} is not reachable; CI=true requires it`);
        t.skip(`Redis at ${TEST_REDIS_URL} is not reachable`);
        return;
      }
      const { app: first } = await appWithReplica({}, TEST_REDIS_URL);
      const { app: second } = await appWithReplica({}, TEST_REDIS_URL);
      const account = await twin();
      const writer = await signedIn('clerk', first);
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`, second), account), 'replica');
      const recorded = await postStaffForm(first, writer.cookie, `/accounts/${account.acctid}/entries`, { kind: 'payment', amount: '1.00', memo: '' }, `/accounts/${account.acctid}`);
      assert.equal(recorded.statusCode, 303);
      assert.equal(shows(await writer.get(`/accounts?q=${account.word}`, second), account), 'primary', 'the other process knows of the write');
    });
  });
}

/** What /readyz shows of a replica URL: user, host, port and database, no password. */
function expectedUrl(url: string): string {
  const parsed = new URL(url);
  const kind = parsed.protocol.startsWith('mysql') ? 'mysql' : 'postgres';
  const port = parsed.port || (kind === 'mysql' ? '3306' : '5432');
  return `${kind}://${parsed.username || (kind === 'mysql' ? 'root' : 'postgres')}@${parsed.hostname}:${port}${parsed.pathname}`;
}
