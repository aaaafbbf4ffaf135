import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { prepared } from '../../src/platform/db/prepared.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

// Two values and a constant between them: each call's values must land in their own places.
const owingBetween = prepared((db, low: string, high: string) =>
  db.selectFrom('account').select(['acctid']).where('acctid', '>=', low).where('due_cents', '>', 0).where('acctid', '<=', high).orderBy('acctid'),
);

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`a prepared query on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      if (opened.db) db = opened.db;
    });
    after(async () => opened.db?.destroy());

    test("each call runs with its own values in their places, the query's constants kept", async () => {
      const prefix = uniqueAcctId('P');
      const ids = ['1', '2', '3', '4'].map((n) => `${prefix}${n}`);
      for (const [i, acctid] of ids.entries()) await insertAccountIfMissing(db, { acctid, paidCents: cents(0), dueCents: cents(i === 2 ? 0 : 100) });
      assert.deepEqual(await owingBetween(db, ids[0]!, ids[3]!), [{ acctid: ids[0] }, { acctid: ids[1] }, { acctid: ids[3] }]);
      assert.deepEqual(await owingBetween(db, ids[1]!, ids[2]!), [{ acctid: ids[1] }]);
      // The same query on another handle (a transaction) sees that transaction's rows.
      await db.transaction().execute(async (trx) => {
        await insertAccountIfMissing(trx, { acctid: `${prefix}5`, paidCents: cents(0), dueCents: cents(1) });
        assert.deepEqual(await owingBetween(trx, `${prefix}4`, `${prefix}5`), [{ acctid: ids[3] }, { acctid: `${prefix}5` }]);
      });
    });

    test('a query that does not use each value once is refused', async () => {
      const twice = prepared((handle, acctid: string) => handle.selectFrom('account').select(['acctid']).where('acctid', '=', acctid).where('acctid', '>=', acctid));
      await assert.rejects(twice(db, 'ACCT100'), /each of its values exactly once/);
    });
  });
}
