/**
 * The app over real replication (scripts/test-replication.sh): a MariaDB
 * primary and read_only replica (GTID), a PostgreSQL primary and hot
 * standby. The replica is paused (it stops applying, so it serves what it
 * had), killed with SIGKILL and started again through the script's control
 * command, and the app is configured as an operator would
 * (DATABASE_REPLICA_URL, REPLICA_MAX_LAG_MS, READ_YOUR_WRITES_MS; decision
 * 0023). An account owes 77.17 and a payment of 11.11 is recorded on the
 * primary: a list showing 77.17 was read where the payment has not arrived,
 * one showing 66.06 where it has.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { recordEntry } from '../../src/modules/ledger/index.js';
import type { ReplicaState } from '../../src/platform/db/replicas.js';
import { cents } from '../../src/shared/money.js';
import { testAppWithReplicas } from '../support/app.js';
import { openReplication, REPLICATED_SERVERS } from '../support/replication.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { uniqueAcctId } from '../support/test-databases.js';

const LIMITS_OFF = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0', API_USER_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0', LOOKUP_RATE_LIMIT: '0' };
const actor = { name: 'replication-test', ip: '127.0.0.1', requestId: 'req-replication' };

// Both pairs at once (each is its own servers, and most of a test is waiting for replication or a health
// check); within a pair one test at a time, since each pauses or kills the replica.
const pairs = await Promise.all(REPLICATED_SERVERS.map(async (servers) => ({ servers, opened: await openReplication(servers) })));
describe('the app over real replicas', { concurrency: true }, () => {
 for (const { servers, opened } of pairs) {
  describe(`the app over a real ${servers.name} replica`, { skip: opened.skip ?? false, concurrency: false }, () => {
    const replication = opened.replication!;
    const apps: App[] = [];
    after(async () => {
      for (const app of apps) await app.close();
      await replication?.close();
    });

    /** The app with the replica; lag and read-your-writes limits as given (short: the tests wait them out). */
    async function appWithReplica(limits: { REPLICA_MAX_LAG_MS: string; READ_YOUR_WRITES_MS?: string }) {
      const built = await testAppWithReplicas(replication.primary, {
        ...LIMITS_OFF,
        DATABASE_URL: replication.primaryUrl,
        DATABASE_REPLICA_URL: replication.replicaUrl,
        READ_YOUR_WRITES_MS: '10000',
        ...limits,
      });
      apps.push(built.app);
      return built;
    }

    /** An account owing 77.17, on the replica too. */
    async function account() {
      const word = `r${uniqueAcctId('').toLowerCase()}`;
      const acctid = uniqueAcctId('R');
      await replication.primary.transaction().execute(async (trx) => {
        await createAccount(trx, actor, { acctid, name: `Replicated ${word}` });
        await recordEntry(trx, actor, { acctid, kind: 'charge', amountCents: cents(7717), memo: '' });
      });
      await replication.waitUntilReplicated();
      return { acctid, word };
    }

    const payOnPrimary = (acctid: string) =>
      replication.primary.transaction().execute((trx) => recordEntry(trx, actor, { acctid, kind: 'payment', amountCents: cents(1111), memo: '' }));

    async function signedIn(app: App, role: 'clerk' | 'viewer') {
      const user = await addUser(replication.primary, role);
      const { cookie } = await signInWith(app, user.username, user.password);
      /** The account list searched for the account's word: whether the payment shows; any error fails. */
      const listed = async ({ word }: { word: string }): Promise<'before the payment' | 'after the payment'> => {
        const reply = await app.inject({ method: 'GET', url: `/accounts?q=${word}`, headers: { cookie } });
        assert.equal(reply.statusCode, 200, `the list answered ${reply.statusCode}: ${reply.body.slice(0, 300)}`);
        if (reply.body.includes('66.06')) return 'after the payment';
        assert.ok(reply.body.includes('77.17'), `the account is listed: ${reply.body.slice(0, 300)}`);
        return 'before the payment';
      };
      return { cookie, listed };
    }

    /** /readyz: always 200 (the primary answers), with the replica's state. */
    async function readiness(app: App): Promise<ReplicaState> {
      const reply = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(reply.statusCode, 200, `readiness depends on the primary only: ${reply.body}`);
      const { replicas } = reply.json<{ replicas: ReplicaState[] }>();
      assert.equal(replicas.length, 1);
      return replicas[0]!;
    }

    /** Polls /readyz until the replica is in `state`; bounded. */
    async function until(app: App, state: ReplicaState['state'], timeoutMs = 20_000): Promise<ReplicaState> {
      const deadline = Date.now() + timeoutMs;
      let seen = await readiness(app);
      while (seen.state !== state && Date.now() < deadline) {
        await sleep(100);
        seen = await readiness(app);
      }
      assert.equal(seen.state, state, `the replica stayed ${seen.state} (lag ${seen.lagMs} ms) for ${timeoutMs} ms`);
      return seen;
    }

    /**
     * The reader's list is read on the replica now: paused, the replica does
     * not get a new payment, which the reader's list then does not show.
     */
    async function assertReadsFromReplica(reader: { listed: (a: { word: string }) => Promise<string> }) {
      const fresh = await account();
      await replication.control('pause');
      try {
        await payOnPrimary(fresh.acctid);
        assert.equal(await reader.listed(fresh), 'before the payment', 'the reader reads the (paused) replica');
      } finally {
        await replication.control('resume');
      }
    }

    test('routing: with the replica paused a reader sees the list without the payment, the clerk who recorded it sees it; resumed, the reader sees it too', async () => {
      const { app } = await appWithReplica({ REPLICA_MAX_LAG_MS: '60000' });
      const acct = await account();
      const clerk = await signedIn(app, 'clerk');
      const reader = await signedIn(app, 'viewer');
      await replication.control('pause');
      try {
        const paid = await postStaffForm(app, clerk.cookie, `/accounts/${acct.acctid}/entries`, { kind: 'payment', amount: '11.11', memo: '' }, `/accounts/${acct.acctid}`);
        assert.equal(paid.statusCode, 303, paid.body);
        const landed = await app.inject({ method: 'GET', url: String(paid.headers.location), headers: { cookie: clerk.cookie } });
        assert.match(landed.body, /66\.06/, 'the page the redirect lands on shows the payment');
        assert.equal(await clerk.listed(acct), 'after the payment', 'the clerk reads its own write');
        assert.equal(await reader.listed(acct), 'before the payment', 'the reader reads the paused replica');
      } finally {
        await replication.control('resume');
      }
      await replication.waitUntilReplicated();
      assert.equal(await reader.listed(acct), 'after the payment');
      const payments = sql<{ n: number | string }>`select count(*) as n from ledger_entry where acctid = ${acct.acctid} and kind = 'payment'`;
      assert.equal(Number((await payments.execute(replication.replica)).rows[0]!.n), 1, 'the write reached the replica once, by replication');
    });

    test('lag: a replica paused beyond REPLICA_MAX_LAG_MS is skipped (reads go to the primary, no error) and taken back once it catches up', async () => {
      const { app } = await appWithReplica({ REPLICA_MAX_LAG_MS: '2500' });
      const reader = await signedIn(app, 'viewer');
      const acct = await account();
      await replication.control('pause');
      try {
        await payOnPrimary(acct.acctid);
        const lagging = await until(app, 'lagging');
        assert.ok(lagging.lagMs! > 2500, `lag ${lagging.lagMs} ms`);
        assert.equal(await reader.listed(acct), 'after the payment', 'read on the primary');
      } finally {
        await replication.control('resume');
      }
      await until(app, 'healthy');
      await assertReadsFromReplica(reader);
    });

    test('a killed replica: no error to anyone, /readyz 200 says it is unreachable; started again, it is taken back', async () => {
      const { app } = await appWithReplica({ REPLICA_MAX_LAG_MS: '60000' });
      const reader = await signedIn(app, 'viewer');
      const acct = await account();
      assert.equal(await reader.listed(acct), 'before the payment');
      await replication.control('kill');
      try {
        // Reads at once and until the checks have noticed: every one answered (listed fails on any error).
        const deadline = Date.now() + 20_000;
        do await reader.listed(acct);
        while ((await readiness(app)).state !== 'unreachable' && Date.now() < deadline);
        assert.equal((await until(app, 'unreachable', 0)).lagMs, null);
        await payOnPrimary(acct.acctid);
        assert.equal(await reader.listed(acct), 'after the payment', 'read on the primary');
      } finally {
        await replication.control('start');
      }
      await replication.waitUntilReplicated();
      await until(app, 'healthy');
      await assertReadsFromReplica(reader);
    });

    test("a write never reaches the replica except by replication: the replica refuses one from the app's user", async () => {
      const acctid = uniqueAcctId('R');
      await assert.rejects(insertAccountIfMissing(replication.replica, { acctid, paidCents: cents(0), dueCents: cents(100) }), /read.only/i);
      const anywhere = sql`select acctid from account where acctid = ${acctid}`;
      assert.equal((await anywhere.execute(replication.primary)).rows.length, 0);
      assert.equal((await anywhere.execute(replication.replica)).rows.length, 0);
    });
  });
 }
});
