import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { findAccount, insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { seedAccounts } from '../../src/modules/accounts/seed.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the account repository on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      if (opened.db) db = opened.db;
    });
    after(async () => opened.db?.destroy());

    test('an account that was never stored is not found', async () => {
      assert.equal(await findAccount(db, uniqueAcctId()), undefined);
    });

    test('a stored account comes back with exact cents', async () => {
      const account = { acctid: uniqueAcctId(), paidCents: cents(6000), dueCents: cents(123_456_789_012) };
      assert.equal(await insertAccountIfMissing(db, account), true);
      assert.deepEqual(await findAccount(db, account.acctid), account);
    });

    test('inserting an id that exists keeps the stored amounts', async () => {
      const acctid = uniqueAcctId();
      await insertAccountIfMissing(db, { acctid, paidCents: cents(1), dueCents: cents(2) });
      assert.equal(await insertAccountIfMissing(db, { acctid, paidCents: cents(999), dueCents: cents(999) }), false);
      assert.deepEqual(await findAccount(db, acctid), { acctid, paidCents: cents(1), dueCents: cents(2) });
    });

    test('seeding twice adds the accounts once and never overwrites', async () => {
      const accounts = [
        { acctid: uniqueAcctId('S'), paidCents: cents(6000), dueCents: cents(10000) },
        { acctid: uniqueAcctId('S'), paidCents: cents(11000), dueCents: cents(10000) },
      ];
      assert.deepEqual(await db.transaction().execute((trx) => seedAccounts(trx, accounts)), { inserted: 2, existing: 0, added: accounts });
      const changed = accounts.map((account) => ({ ...account, paidCents: cents(1) }));
      assert.deepEqual(await db.transaction().execute((trx) => seedAccounts(trx, changed)), { inserted: 0, existing: 2, added: [] });
      assert.deepEqual(await findAccount(db, accounts[0]!.acctid), accounts[0]);
    });

    test('a rolled-back transaction leaves nothing behind', async () => {
      const acctid = uniqueAcctId();
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await insertAccountIfMissing(trx, { acctid, paidCents: cents(1), dueCents: cents(1) });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await findAccount(db, acctid), undefined);
    });

    test('hostile or non-ASCII ids are plain values to the query, never SQL', async () => {
      for (const acctid of ["X' OR '1'='1", 'X"; DROP TABLE account; --', 'ÄÖÜ€😀', '%', '\\']) {
        assert.equal(await findAccount(db, acctid), undefined, acctid);
      }
    });

    test('the database refuses negative amounts', async () => {
      await assert.rejects(insertAccountIfMissing(db, { acctid: uniqueAcctId(), paidCents: cents(-1), dueCents: cents(0) }));
    });

    test('migrating an up-to-date schema applies nothing', async () => {
      assert.deepEqual(await migrateDatabase(db), []);
    });
  });
}
