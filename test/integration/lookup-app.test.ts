/** The app over each database, through inject(): lookups, forged posts and stateless replicas. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.js';
import type { Kysely, KyselyPlugin } from 'kysely';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { testApp } from '../support/app.js';
import type { Database } from '../../src/schema.js';
import { openForm, postLookup } from '../support/inject.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

/** Counts the queries the app sends, to prove a refused post looked nothing up. */
/** Counts every query, and separately the reads of the account table. */
function queryCounter(): KyselyPlugin & { count: number; accountReads: number } {
  return {
    count: 0,
    accountReads: 0,
    transformQuery(args) {
      this.count++;
      if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node.from).includes('"account"')) this.accountReads++;
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the lookup page on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    const counter = queryCounter();
    const acctid = uniqueAcctId();

    before(async () => {
      db = opened.db!;
      await insertAccountIfMissing(db, { acctid, paidCents: cents(6005), dueCents: cents(10000) });
      app = await testApp(db.withPlugin(counter));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    test('a posted id shows its exact balance, case-insensitively', async () => {
      const form = await openForm(app);
      const reply = await postLookup(app, { ...form, acctid: acctid.toLowerCase() });
      assert.equal(reply.statusCode, 200);
      assert.match(reply.body, /Account balance: 39\.95 USD/);
    });

    test('an unknown id shows the unknown-account message', async () => {
      const reply = await postLookup(app, { ...(await openForm(app)), acctid: uniqueAcctId() });
      assert.match(reply.body, /Unknown account number; please try again/);
    });

    test('forged posts are refused without looking anything up; each refusal is audited', async () => {
      const mine = await openForm(app);
      const theirs = await openForm(app);
      const before = counter.count;
      const accountReadsBefore = counter.accountReads;
      for (const forged of [
        { acctid, cookie: mine.cookie },
        { acctid, cookie: mine.cookie, token: 'not-a-token' },
        { acctid, cookie: mine.cookie, token: theirs.token },
        { acctid, token: mine.token },
      ]) {
        const reply = await postLookup(app, forged);
        assert.equal(reply.statusCode, 403, JSON.stringify(forged));
        assert.doesNotMatch(reply.body, /Account balance|Unknown account/);
      }
      // One audit insert per refusal, and not one read of an account.
      assert.equal(counter.count, before + 4);
      assert.equal(counter.accountReads, accountReadsBefore);
    });

    test('a form from one replica is accepted by another that shares SESSION_SECRET', async () => {
      const otherReplica = await testApp(db);
      try {
        const reply = await postLookup(otherReplica, { ...(await openForm(app)), acctid });
        assert.match(reply.body, /Account balance: 39\.95 USD/);
      } finally {
        await otherReplica.close();
      }
    });
  });
}

describe('when the database fails mid-request', () => {
  test('the visitor gets a 500 page without the error, and the log gets the details', async () => {
    const opened = await openTestDatabase(TEST_DATABASES[0]!);
    const db = opened.db!;
    const app = await testApp(db);
    try {
      const form = await openForm(app);
      await db.destroy();
      const reply = await postLookup(app, { ...form, acctid: 'ACCT100' });
      assert.equal(reply.statusCode, 500);
      assert.match(reply.body, /Something went wrong on our side/);
      assert.doesNotMatch(reply.body, /destroyed|sqlite|driver|at .*\.ts/i);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
    } finally {
      await app.close();
    }
  });
});
