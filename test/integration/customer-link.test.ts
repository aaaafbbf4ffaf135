/**
 * The customer link on each database: revoking an account's links (audited,
 * links made afterwards work again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { isRevoked, linksRevokedAt, revokeCustomerLinks } from '../../src/modules/customer-link/index.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'customer-link-test', ip: '127.0.0.1', requestId: 'req-customer-link' };

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the customer link on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;

    before(() => {
      db = opened.db!;
    });
    after(async () => {
      await db?.destroy();
    });

    async function account(name = 'Linked Customer'): Promise<string> {
      const acctid = uniqueAcctId('LNK');
      await db.transaction().execute((trx) => createAccount(trx, actor, { acctid, name }));
      return acctid;
    }

    test('revoking refuses every link made until then, is audited, and never moves back in time', async () => {
      const acctid = await account();
      assert.equal(await linksRevokedAt(db, acctid), null);
      const at = Date.now();
      await db.transaction().execute((trx) => revokeCustomerLinks(trx, actor, acctid, at));
      assert.equal(await linksRevokedAt(db, acctid), at);
      assert.ok(isRevoked(at - 1000, await linksRevokedAt(db, acctid)));
      assert.ok(!isRevoked(at + 1, await linksRevokedAt(db, acctid)));
      // A second revocation from a clock that is behind keeps the later time.
      await db.transaction().execute((trx) => revokeCustomerLinks(trx, { ...actor, name: 'second' }, acctid, at - 5000));
      assert.equal(await linksRevokedAt(db, acctid), at);
      const audit = await db.selectFrom('audit_event').select(['actor', 'action', 'target', 'after_json']).where('target', '=', acctid).where('action', '=', 'customer_link.revoked').orderBy('id').execute();
      assert.deepEqual(
        audit.map((row) => [row.actor, row.action, row.target, JSON.parse(row.after_json ?? 'null') as unknown]),
        [
          [actor.name, 'customer_link.revoked', acctid, { links_made_until: new Date(at).toISOString() }],
          ['second', 'customer_link.revoked', acctid, { links_made_until: new Date(at).toISOString() }],
        ],
      );
    });
  });
}
