/**
 * Today's aging totals come from one reading per process, never older than
 * TODAY_TOTALS_MAX_AGE_MS (SQLite only: the behaviour does not depend on the
 * database). Each test opens its own database, so each starts with no reading.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { CLI_ACTOR } from '../../src/modules/audit/index.js';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { TODAY_TOTALS_MAX_AGE_MS, TODAY_TOTALS_REFRESH_AFTER_MS, todaysTotals, agingReport } from '../../src/modules/receivables/index.js';
import type { Database } from '../../src/schema.js';
import { dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const probe = await openTestDatabase(TEST_DATABASES[0]!);
await probe.db?.destroy();

describe("today's aging totals between readings", { skip: probe.skip ?? false }, () => {
  const opened: Kysely<Database>[] = [];
  async function freshDatabase(): Promise<Kysely<Database>> {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    opened.push(db!);
    return db!;
  }
  const addAccount = (db: Kysely<Database>, openingDueCents: number) =>
    db.transaction().execute((trx) => createAccounts(trx, CLI_ACTOR, [{ acctid: uniqueAcctId('AC'), name: 'Cache Check', openingDueCents: cents(openingDueCents) }]));

  afterEach(async () => {
    mock.timers.reset();
    await Promise.all(opened.splice(0).map((db) => db.destroy()));
  });

  test('within the promise the reading is served as it is; past it, a request waits for a new one', async () => {
    const db = await freshDatabase();
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const today = dateIn('UTC');
    const first = await todaysTotals(db, today);
    await addAccount(db, 1_234);
    const second = await todaysTotals(db, today);
    assert.equal(second.readAt, first.readAt);
    assert.equal(second.totals.currentCents, first.totals.currentCents, 'the same reading');

    mock.timers.setTime(first.readAt + TODAY_TOTALS_MAX_AGE_MS + 1);
    const third = await todaysTotals(db, today);
    assert.ok(third.readAt > first.readAt);
    assert.equal(third.totals.currentCents - first.totals.currentCents, 1_234n, 'the new reading counts the new invoice');
  });

  test('from the refresh age, the reading in hand is served while one reading replaces it in the background', async () => {
    const db = await freshDatabase();
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const today = dateIn('UTC');
    const first = await todaysTotals(db, today);
    await addAccount(db, 500);
    mock.timers.setTime(first.readAt + TODAY_TOTALS_REFRESH_AFTER_MS + 1);
    const served = await todaysTotals(db, today);
    assert.equal(served.readAt, first.readAt, 'served without waiting');
    let next = served;
    for (let tries = 0; next.readAt === first.readAt && tries < 200; tries += 1) {
      await sleep(10);
      next = await todaysTotals(db, today);
    }
    assert.equal(next.totals.totalCents - first.totals.totalCents, 500n);
  });

  test('a new day is a new reading; a past day is read now, never from the shared reading', async () => {
    const db = await freshDatabase();
    const today = dateIn('UTC');
    const first = await todaysTotals(db, today);
    await addAccount(db, 700);
    const tomorrow = await todaysTotals(db, '2999-01-01');
    assert.equal(tomorrow.today, '2999-01-01');
    assert.equal(tomorrow.totals.totalCents - first.totals.totalCents, 700n);
    const { reading: past } = await agingReport(db, { asOf: '2000-01-01', today, limit: 1 });
    assert.equal(past.totals.totalCents, 0n);
  });
});
