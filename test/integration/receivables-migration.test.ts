/**
 * The receivables migration on data recorded before it: a database migrated
 * to the migration before it, accounts and ledger entries inserted as the app
 * wrote them then (no business dates, no open items), then migrated to the
 * latest. Every figure is computed by hand: the business date is the UTC day
 * the entry was recorded, charges are due that day, and each account's
 * charges (by due date) are paid by its credits (by date) oldest first.
 *
 * MariaDB and PostgreSQL get a database of their own per run, named after the
 * test database (`<name>_mig_<random>`), dropped at the end; PostgreSQL's is
 * set to a time zone 14 hours from UTC, so a day taken in local time shows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { migrations } from '../../src/migrations/index.js';
import { accountAging, balanceAsOf, ledgerMismatches, receivablesMismatches, recordEntry, type AgingFigures } from '../../src/modules/ledger/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, type TestDatabase } from '../support/test-databases.js';

const RECEIVABLES = '2026-12-05T1800-receivables';
const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < RECEIVABLES));

/** A database of its own at the migration before receivables, or why not. */
async function freshDatabase(target: TestDatabase): Promise<{ db: Kysely<Database>; drop: () => Promise<void> } | { skip: string }> {
  const parsed = parseDatabaseUrl(target.url);
  if (parsed.kind === 'sqlite') {
    const db = createDatabase<Database>({ kind: 'sqlite', file: ':memory:' }, { poolSize: 1, connectTimeoutMs: 1000 });
    await migrateToLatest(db, before);
    return { db, drop: () => db.destroy() };
  }
  // The test database's server, reached (or skipped) as every integration suite does; only its connection is used.
  const opened = await openTestDatabase(target);
  if (opened.skip !== undefined) return { skip: opened.skip };
  const server = opened.db;
  const name = `${parsed.database}_mig_${randomBytes(4).toString('hex')}`;
  await sql`create database ${sql.id(name)}`.execute(server);
  if (parsed.kind === 'postgres') await sql`alter database ${sql.id(name)} set timezone to 'Pacific/Kiritimati'`.execute(server);
  const db = createDatabase<Database>({ ...parsed, database: name }, { poolSize: 2, connectTimeoutMs: 3000 });
  const drop = async () => {
    await db.destroy();
    await sql`drop database if exists ${sql.id(name)}`.execute(server);
    await server.destroy();
  };
  try {
    await migrateToLatest(db, before);
  } catch (error) {
    await drop();
    throw error;
  }
  return { db, drop };
}

type Kind = 'charge' | 'payment' | 'adjustment';

/** Figures in the order current, 1–30, 31–60, 61–90, over 90, credit, total. */
function figures(aging: AgingFigures): number[] {
  return [aging.currentCents, aging.days1To30Cents, aging.days31To60Cents, aging.days61To90Cents, aging.daysOver90Cents, aging.creditCents, aging.totalCents];
}

for (const target of TEST_DATABASES) {
  describe(`the receivables migration on ${target.name}`, () => {
    test('existing entries get the UTC day they were recorded, charges are due that day, and credits pay them oldest first with exact amounts and dates', async (t) => {
      const fresh = await freshDatabase(target);
      if ('skip' in fresh) {
        t.skip(fresh.skip);
        return;
      }
      const { db, drop } = fresh;
      try {
        // Entries in the order they were recorded (ids ascending), each at an instant in UTC.
        const recorded: [string, Kind, number, string][] = [
          // A: two invoices, a payment that covers the first and part of the second, a credit, two later invoices.
          ['MIGA', 'charge', 10_000, '2026-01-05T10:00:00.000Z'],
          ['MIGA', 'charge', 5_000, '2026-01-10T23:59:59.999Z'],
          ['MIGA', 'payment', 12_000, '2026-01-11T00:00:00.000Z'],
          ['MIGA', 'adjustment', -2_000, '2026-02-01T12:00:00.000Z'],
          ['MIGA', 'charge', 3_000, '2026-02-15T08:30:00.000Z'],
          ['MIGA', 'adjustment', 500, '2026-02-20T16:45:00.000Z'],
          // B: paid more than charged, and a payment before any charge; its later-dated invoice was recorded first.
          ['MIGB', 'payment', 8_000, '2026-03-01T09:00:00.000Z'],
          ['MIGB', 'charge', 3_000, '2026-03-05T09:00:00.000Z'],
          ['MIGB', 'charge', 2_000, '2026-03-02T09:00:00.000Z'],
          ['MIGB', 'payment', 1_000, '2026-03-10T09:00:00.000Z'],
          // C: a credit and nothing to apply it to.
          ['MIGC', 'adjustment', -1_500, '2026-04-01T23:00:00.000Z'],
          // E: two invoices on one day (the older id first), partly paid the same day.
          ['MIGE', 'charge', 1_000, '2026-05-01T08:00:00.000Z'],
          ['MIGE', 'charge', 1_000, '2026-05-01T09:00:00.000Z'],
          ['MIGE', 'payment', 1_500, '2026-05-01T10:00:00.000Z'],
        ];
        const accounts = ['MIGA', 'MIGB', 'MIGC', 'MIGD', 'MIGE'];
        const totals = new Map(accounts.map((acctid) => [acctid, { paid: 0, due: 0 }]));
        const balances: number[] = [];
        for (const [acctid, kind, amount] of recorded) {
          const total = totals.get(acctid)!;
          if (kind === 'payment' || amount < 0) total.paid += Math.abs(amount);
          else total.due += amount;
          balances.push(total.due - total.paid);
        }
        await db
          .insertInto('account')
          .values(accounts.map((acctid) => ({ acctid, name: acctid, sort_name: acctid.toLowerCase(), paid_cents: totals.get(acctid)!.paid, due_cents: totals.get(acctid)!.due, balance_cents: totals.get(acctid)!.due - totals.get(acctid)!.paid })))
          .execute();
        // The way the app wrote entries before the migration: no business date, no open item.
        for (const [index, [acctid, kind, amount, at]] of recorded.entries()) {
          await sql`insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at)
            values (${acctid}, ${kind}, ${amount}, ${balances[index]}, '', 'before', ${Date.parse(at)})`.execute(db);
        }
        const ids = (await db.selectFrom('ledger_entry').select('id').orderBy('id').execute()).map(({ id }) => Number(id));
        const [a1, a2, aPay, aCredit, a3, aFee, bPay1, bLater, bEarlier, bPay2, cCredit, e1, e2, ePay] = ids as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];

        assert.deepEqual(await migrateToLatest(db, migrations), Object.keys(migrations).filter((name) => name >= RECEIVABLES));

        const entries = await db.selectFrom('ledger_entry').select(['id', 'effective_on', 'due_on']).orderBy('id').execute();
        assert.deepEqual(
          entries.map(({ effective_on, due_on }) => [effective_on, due_on]),
          [
            ['2026-01-05', '2026-01-05'],
            ['2026-01-10', '2026-01-10'],
            ['2026-01-11', null],
            ['2026-02-01', null],
            ['2026-02-15', '2026-02-15'],
            ['2026-02-20', '2026-02-20'],
            ['2026-03-01', null],
            ['2026-03-05', '2026-03-05'],
            ['2026-03-02', '2026-03-02'],
            ['2026-03-10', null],
            ['2026-04-01', null],
            ['2026-05-01', '2026-05-01'],
            ['2026-05-01', '2026-05-01'],
            ['2026-05-01', null],
          ],
        );

        const allocations = await db.selectFrom('allocation').select(['acctid', 'charge_id', 'credit_id', 'amount_cents', 'effective_on']).orderBy('charge_id').orderBy('credit_id').execute();
        assert.deepEqual(
          allocations.map((row) => [row.acctid, Number(row.charge_id), Number(row.credit_id), Number(row.amount_cents), row.effective_on]),
          [
            // A: the payment (01-11) pays the first invoice and 20.00 of the second; the credit (02-01) 20.00 more of the second.
            ['MIGA', a1, aPay, 10_000, '2026-01-11'],
            ['MIGA', a2, aPay, 2_000, '2026-01-11'],
            ['MIGA', a2, aCredit, 2_000, '2026-02-01'],
            // B: the first payment (03-01) pays the invoice due first (03-02), then the one due 03-05, from each invoice's date.
            ['MIGB', bLater, bPay1, 3_000, '2026-03-05'],
            ['MIGB', bEarlier, bPay1, 2_000, '2026-03-02'],
            // E: the older id first on the same day.
            ['MIGE', e1, ePay, 1_000, '2026-05-01'],
            ['MIGE', e2, ePay, 500, '2026-05-01'],
          ],
        );

        const items = await db.selectFrom('open_item').select(['entry_id', 'acctid', 'side', 'due_on', 'amount_cents', 'open_cents', 'last_applied_on', 'settled_on']).orderBy('entry_id').execute();
        assert.deepEqual(
          items.map((row) => [Number(row.entry_id), row.side, row.due_on, Number(row.amount_cents), Number(row.open_cents), row.last_applied_on, row.settled_on]),
          [
            [a1, 'charge', '2026-01-05', 10_000, 0, '2026-01-11', '2026-01-11'],
            [a2, 'charge', '2026-01-10', 5_000, 1_000, '2026-02-01', null],
            [aPay, 'credit', '2026-01-11', 12_000, 0, '2026-01-11', '2026-01-11'],
            [aCredit, 'credit', '2026-02-01', 2_000, 0, '2026-02-01', '2026-02-01'],
            [a3, 'charge', '2026-02-15', 3_000, 3_000, null, null],
            [aFee, 'charge', '2026-02-20', 500, 500, null, null],
            [bPay1, 'credit', '2026-03-01', 8_000, 3_000, '2026-03-05', null],
            [bLater, 'charge', '2026-03-05', 3_000, 0, '2026-03-05', '2026-03-05'],
            [bEarlier, 'charge', '2026-03-02', 2_000, 0, '2026-03-02', '2026-03-02'],
            [bPay2, 'credit', '2026-03-10', 1_000, 1_000, null, null],
            [cCredit, 'credit', '2026-04-01', 1_500, 1_500, null, null],
            [e1, 'charge', '2026-05-01', 1_000, 0, '2026-05-01', '2026-05-01'],
            [e2, 'charge', '2026-05-01', 1_000, 500, '2026-05-01', null],
            [ePay, 'credit', '2026-05-01', 1_500, 0, '2026-05-01', '2026-05-01'],
          ],
        );
        assert.deepEqual(await receivablesMismatches(db), []);
        assert.deepEqual(await ledgerMismatches(db), []);

        const aging = async (acctid: string, asOf: string) => figures((await accountAging(db, acctid, asOf)).aging);
        // A on 01-20: 30.00 of the second invoice (due 01-10, 10 days late); the first was paid on 01-11.
        assert.deepEqual(await aging('MIGA', '2026-01-20'), [0, 3_000, 0, 0, 0, 0, 3_000]);
        // A on 03-31: 10.00 due 01-10 (80 days late), 30.00 due 02-15 (44) and 5.00 due 02-20 (39).
        assert.deepEqual(await aging('MIGA', '2026-03-31'), [0, 0, 3_500, 1_000, 0, 0, 4_500]);
        // B on 03-03: 80.00 paid, 20.00 of it applied to the invoice of 03-02; the invoice of 03-05 not yet issued.
        assert.deepEqual(await aging('MIGB', '2026-03-03'), [0, 0, 0, 0, 0, -6_000, -6_000]);
        assert.deepEqual(await aging('MIGB', '2026-06-30'), [0, 0, 0, 0, 0, -4_000, -4_000]);
        assert.deepEqual(await aging('MIGC', '2026-06-30'), [0, 0, 0, 0, 0, -1_500, -1_500]);
        assert.deepEqual(await aging('MIGD', '2026-06-30'), [0, 0, 0, 0, 0, 0, 0]);
        assert.deepEqual(await aging('MIGE', '2026-05-01'), [500, 0, 0, 0, 0, 0, 500]);
        const today = new Date().toISOString().slice(0, 10);
        for (const acctid of accounts) {
          const account = await db.selectFrom('account').select('balance_cents').where('acctid', '=', acctid).executeTakeFirstOrThrow();
          const [, , , , , , total] = await aging(acctid, today);
          assert.equal(total, Number(account.balance_cents), `${acctid}: today's aging total is the balance`);
          for (const day of ['2026-01-10', '2026-01-11', '2026-02-01', '2026-03-04', '2026-04-30']) {
            const [, , , , , , then] = await aging(acctid, day);
            assert.equal(then, await balanceAsOf(db, acctid, day), `${acctid} on ${day}`);
          }
        }

        // The app carries on from the migrated state: A's next payment pays the rest of the invoice due first.
        const next = await db.transaction().execute((trx) => recordEntry(trx, { name: 'after', ip: '127.0.0.1', requestId: 'req-migration' }, { acctid: 'MIGA', kind: 'payment', amountCents: cents(2_000), memo: '' }, { at: Date.parse('2026-06-30T12:00:00Z') }));
        assert.deepEqual(
          next.allocations.map(({ chargeId, amountCents, effectiveOn }) => [chargeId, amountCents, effectiveOn]),
          [
            [a2, 1_000, '2026-06-30'],
            [a3, 1_000, '2026-06-30'],
          ],
        );
        assert.deepEqual(await receivablesMismatches(db), []);
      } finally {
        await drop();
      }
    });
  });
}
