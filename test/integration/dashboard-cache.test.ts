/**
 * The dashboard's aggregates come from one reading per process, never older
 * than AGGREGATES_MAX_AGE_MS, while its lists are read on every request (the
 * behaviour does not depend on the database: SQLite only). Each test opens
 * its own database, so each starts with no reading.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { AGGREGATES_MAX_AGE_MS, AGGREGATES_REFRESH_AFTER_MS, currentSummary } from '../../src/modules/dashboard/summary.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

const probe = await openTestDatabase(TEST_DATABASES[0]!);
await probe.db?.destroy();

describe('dashboard figures between readings', { skip: probe.skip ?? false }, () => {
  const opened: Kysely<Database>[] = [];
  async function freshDatabase(): Promise<Kysely<Database>> {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    opened.push(db!);
    return db!;
  }
  const addAccount = (db: Kysely<Database>, openingDueCents = 1_000) =>
    db.transaction().execute((trx) => createAccount(trx, CLI_ACTOR, { acctid: uniqueAcctId('DC'), name: 'Cache Check', openingDueCents: cents(openingDueCents) }));

  afterEach(async () => {
    mock.timers.reset();
    await Promise.all(opened.splice(0).map((db) => db.destroy()));
  });

  test('a new account shows in the largest balances at once, while the totals keep their reading (and say when it was)', async () => {
    const db = await freshDatabase();
    const first = await currentSummary(db);
    const acctid = uniqueAcctId('DC');
    await db.transaction().execute((trx) => createAccount(trx, CLI_ACTOR, { acctid, name: 'Cache Check', openingDueCents: cents(99_999_999_999) }));
    const second = await currentSummary(db);
    assert.equal(second.largestBalances[0]?.acctid, acctid, 'the list is read now');
    assert.equal(second.asOf, first.asOf, 'the aggregates come from the same reading');
    assert.equal(second.totalDueCents, first.totalDueCents, 'so the totals have not moved yet');
  });

  test('after a quiet spell, a reading older than the promise is never served: the request waits for a fresh one', async () => {
    const db = await freshDatabase();
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const first = await currentSummary(db);
    await addAccount(db);

    mock.timers.setTime(first.asOf + 44_000);
    const second = await currentSummary(db);
    assert.ok(Date.now() - second.asOf <= AGGREGATES_MAX_AGE_MS, `figures ${Date.now() - second.asOf} ms old`);
    assert.equal(second.accounts.total, first.accounts.total + 1, 'the fresh reading counts the new account');
  });

  test('within the promise, an ageing reading is served at once while one reading replaces it in the background', async () => {
    const db = await freshDatabase();
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const first = await currentSummary(db);
    await addAccount(db);

    mock.timers.setTime(first.asOf + AGGREGATES_REFRESH_AFTER_MS + 1);
    const served = await currentSummary(db);
    assert.equal(served.asOf, first.asOf, 'the reading in hand is served without waiting');

    let next = served;
    for (let tries = 0; next.asOf === first.asOf && tries < 200; tries += 1) {
      await sleep(10);
      next = await currentSummary(db);
    }
    assert.ok(next.asOf > first.asOf, 'a background reading replaced it');
    assert.equal(next.accounts.total, first.accounts.total + 1);
  });
});
