/**
 * The dashboard's aggregates are served from one reading per process for up
 * to AGGREGATES_MAX_AGE_MS, while its lists are read on every request (the
 * behaviour does not depend on the database: SQLite only).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { currentSummary } from '../../src/modules/dashboard/summary.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const opened = await openTestDatabase(TEST_DATABASES[0]!);

describe('dashboard figures between readings', { skip: opened.skip ?? false }, () => {
  const db = opened.db!;
  after(() => db.destroy());

  test('a new account shows in the largest balances at once, while the totals keep their reading (and say when it was)', async () => {
    const first = await currentSummary(db);
    const acctid = uniqueAcctId('DC');
    await db.transaction().execute((trx) => createAccount(trx, CLI_ACTOR, { acctid, name: 'Cache Check', openingDueCents: 99_999_999_999 }));
    const second = await currentSummary(db);
    assert.equal(second.largestBalances[0]?.acctid, acctid, 'the list is read now');
    assert.equal(second.asOf, first.asOf, 'the aggregates come from the same reading');
    assert.equal(second.totalDueCents, first.totalDueCents, 'so the totals have not moved yet');
  });
});
