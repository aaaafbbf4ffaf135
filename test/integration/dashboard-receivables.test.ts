/**
 * The dashboard's receivables figures: today's aging totals and DSO (days
 * sales outstanding: receivables at the end of the last 90 days ÷ what was
 * invoiced in them × 90, one decimal), worked out by hand.
 * - On each database, DSO for a day of 1969 (a year no other suite writes,
 *   so only this test's accounts count), in a transaction rolled back.
 * - On a fresh SQLite database, the whole way through GET /api/v1/summary and
 *   the page, with dates counted back from today.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Kysely, Transaction } from 'kysely';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { dsoText } from '../../src/modules/dashboard/dashboard.views.js';
import type { SummaryResponse } from '../../src/modules/dashboard/summary.api.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { daysSalesOutstanding } from '../../src/modules/receivables/index.js';
import { dialectOf } from '../../src/platform/db/dialect.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'dashboard-receivables-test', ip: '127.0.0.1', requestId: 'req-dashboard-receivables' };
type NewTestEntry = Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number; memo?: string };

class RolledBack extends Error {}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`DSO on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db as Kysely<Database>;
    after(async () => db?.destroy());

    test('DSO for the 90 days ending a day: receivables then ÷ invoiced in the window × 90, one decimal', async () => {
      const AT = Date.parse('1969-12-31T12:00:00Z');
      const transaction = dialectOf(db) === 'sqlite' ? db.transaction() : db.transaction().setIsolationLevel('repeatable read');
      await assert.rejects(
        transaction.execute(async (trx: Transaction<Database>) => {
          const record = (acctid: string, entry: NewTestEntry) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' });
          const [x, y, z] = [uniqueAcctId('DSO'), uniqueAcctId('DSO'), uniqueAcctId('DSO')];
          await createAccounts(trx, actor, [x, y, z].map((acctid) => ({ acctid, name: acctid })), AT);
          await record(x, { kind: 'charge', amountCents: 60_000, effectiveOn: '1969-07-01' }); // before the window: owed, not invoiced in it
          await record(x, { kind: 'charge', amountCents: 33_333, effectiveOn: '1969-11-15' });
          await record(x, { kind: 'payment', amountCents: 10_000, effectiveOn: '1969-12-01' }); // pays the July invoice in part
          await record(y, { kind: 'adjustment', amountCents: 15_000, effectiveOn: '1969-12-20', memo: 'fee' }); // an invoice too
          await record(y, { kind: 'adjustment', amountCents: -5_000, effectiveOn: '1969-12-21', memo: 'goodwill' });
          await record(z, { kind: 'payment', amountCents: 20_000, effectiveOn: '1969-10-10' }); // unapplied credit
          await record(x, { kind: 'charge', amountCents: 99_999, effectiveOn: '1969-12-31' }); // after the day asked for: not counted
          const dso = await daysSalesOutstanding(trx, '1969-12-30', '2026-06-30');
          // Owed on 12-30: x 500.00 + 333.33, y 100.00, z −200.00 = 733.33; invoiced after 10-01: 333.33 + 150.00 = 483.33.
          // 73,333 ÷ 48,333 × 90 = 136.552… → 136.6 days.
          assert.deepEqual(dso, { days: 136.6, from: '1969-10-01', to: '1969-12-30', receivablesCents: 73_333n, invoicedCents: 48_333n });
          // A window with nothing invoiced: no DSO.
          assert.equal((await daysSalesOutstanding(trx, '1969-10-30', '2026-06-30')).days, null);
          throw new RolledBack();
        }),
        RolledBack,
      );
    });
  });
}

describe('the dashboard shows today\'s aging and DSO (fresh SQLite database)', async () => {
  const opened = await openTestDatabase(TEST_DATABASES[0]!);
  const db = opened.db as Kysely<Database>;
  after(async () => db?.destroy());

  test('GET /api/v1/summary and the page give the aging totals and DSO worked out by hand', async () => {
    const today = dateIn('UTC');
    await db.transaction().execute(async (trx) => {
      const record = (acctid: string, entry: NewTestEntry) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) });
      await createAccounts(trx, actor, [{ acctid: 'DSOA', name: 'A' }, { acctid: 'DSOB', name: 'B' }]);
      await record('DSOA', { kind: 'charge', amountCents: 100_000, effectiveOn: addDays(today, -100) }); // due 70 days ago
      await record('DSOA', { kind: 'charge', amountCents: 20_000, effectiveOn: addDays(today, -10) }); // due in 20 days
      await record('DSOA', { kind: 'payment', amountCents: 30_000, effectiveOn: addDays(today, -5) }); // pays the older in part
      await record('DSOB', { kind: 'payment', amountCents: 5_000, effectiveOn: addDays(today, -1) });
    });
    const app = await testApp(db, { API_RATE_LIMIT: '0', API_USER_RATE_LIMIT: '0', LOGIN_RATE_LIMIT: '0' });
    try {
      const viewer = await addUser(db, 'viewer');
      const token = await addToken(db, viewer);
      const reply = await app.inject({ method: 'GET', url: '/api/v1/summary', headers: { authorization: `Bearer ${token}` } });
      assert.equal(reply.statusCode, 200, reply.body);
      const summary = reply.json<SummaryResponse>();
      assert.deepEqual(summary.aging, {
        as_of: today,
        current_cents: 20_000,
        current_cents_exact: '20000',
        current: '200.00 USD',
        days_1_30_cents: 0,
        days_1_30_cents_exact: '0',
        days_1_30: '0.00 USD',
        days_31_60_cents: 0,
        days_31_60_cents_exact: '0',
        days_31_60: '0.00 USD',
        days_61_90_cents: 70_000,
        days_61_90_cents_exact: '70000',
        days_61_90: '700.00 USD',
        days_over_90_cents: 0,
        days_over_90_cents_exact: '0',
        days_over_90: '0.00 USD',
        credit_cents: -5_000,
        credit_cents_exact: '-5000',
        credit: '-50.00 USD',
        total_cents: 85_000,
        total_cents_exact: '85000',
        total: '850.00 USD',
      });
      // 850.00 owed ÷ 200.00 invoiced in the last 90 days (the 1,000.00 invoice is older) × 90 = 382.5 days.
      assert.equal(summary.dso_days, 382.5);
      assert.equal(summary.aging.total_cents, summary.net_receivables_cents, "today's aging total is every balance");

      const { cookie } = await signInWith(app, viewer.username, viewer.password);
      const page = await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(`<div class="tile" id="figure-dso"><dt>DSO</dt><dd><span class="tile-value">${dsoText(382.5)}</span>`), 'the DSO tile');
      assert.match(page.body, /Days sales outstanding \(DSO\): what customers owe at the end of the last 90 days/, 'the definition where it is shown');
      assert.match(page.body, /<title id="aging-chart-title">Receivables by days past due, today \(\d{4}-\d\d-\d\d\)<\/title>/);
      assert.match(page.body, /61–90 days <span class="account-name">[^<]*<\/span><\/th><td class="num">700.00<\/td>/);
      assert.match(page.body, /<a href="\/receivables">Aged receivables by account<\/a>/);
    } finally {
      await app.close();
    }
  });
});
