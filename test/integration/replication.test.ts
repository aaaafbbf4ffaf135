/**
 * Real replication (scripts/test-replication.sh): a MariaDB primary and
 * read_only replica, a PostgreSQL primary and hot standby. What the replica
 * is for the app: it follows the primary, refuses the app's writes, and
 * pausing, killing and starting it behave as an outage would.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { cents } from '../../src/shared/money.js';
import { openReplication, REPLICATED_SERVERS } from '../support/replication.js';
import { uniqueAcctId } from '../support/test-databases.js';

for (const servers of REPLICATED_SERVERS) {
  const opened = await openReplication(servers);
  describe(`${servers.name} primary and replica`, { skip: opened.skip ?? false }, () => {
    const replication = opened.replication!;
    after(() => replication?.close());

    const onReplica = async (acctid: string) =>
      (await sql<{ acctid: string }>`select acctid from account where acctid = ${acctid}`.execute(replication.replica)).rows.length;

    test('a row written on the primary is read from the replica once replicated', async () => {
      const acctid = uniqueAcctId('R');
      await insertAccountIfMissing(replication.primary, { acctid, paidCents: cents(0), dueCents: cents(100) });
      await replication.waitUntilReplicated();
      assert.equal(await onReplica(acctid), 1);
    });

    test("the replica refuses a write from the app's user, and nothing of it reaches the primary", async () => {
      const acctid = uniqueAcctId('R');
      await assert.rejects(insertAccountIfMissing(replication.replica, { acctid, paidCents: cents(0), dueCents: cents(100) }), /read.only/i);
      const onPrimary = await sql`select acctid from account where acctid = ${acctid}`.execute(replication.primary);
      assert.equal(onPrimary.rows.length, 0);
    });

    test('a paused replica keeps serving what it had; resumed, it catches up', async () => {
      await replication.control('pause');
      try {
        const acctid = uniqueAcctId('R');
        await insertAccountIfMissing(replication.primary, { acctid, paidCents: cents(0), dueCents: cents(100) });
        await assert.rejects(replication.waitUntilReplicated(1000), /did not reach the primary's position/);
        assert.equal(await onReplica(acctid), 0);
        await replication.control('resume');
        await replication.waitUntilReplicated();
        assert.equal(await onReplica(acctid), 1);
      } finally {
        await replication.control('resume').catch(() => undefined);
      }
    });

    test('a killed replica refuses connections; started again, it catches up with what it missed', async () => {
      await replication.control('kill');
      try {
        await assert.rejects(onReplica('NONE'));
        const acctid = uniqueAcctId('R');
        await insertAccountIfMissing(replication.primary, { acctid, paidCents: cents(0), dueCents: cents(100) });
        await replication.control('start');
        await replication.waitUntilReplicated();
        assert.equal(await onReplica(acctid), 1);
      } finally {
        await replication.control('start').catch(() => undefined);
      }
    });
  });
}
