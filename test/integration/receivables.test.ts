/**
 * Invoices, allocation and aging as of any date, with figures computed by hand:
 * oldest due first, explicit allocation, credit before any charge, a
 * back-dated payment, a past date with an invoice paid later, a partial
 * payment, a closed account; refused input writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely, type Transaction } from 'kysely';
import { accountAging, allocationsOf, balanceAsOf, ledgerMismatches, receivablesMismatches, recordEntry, type AgingFigures, type NewEntry, type ReceivablesMismatch } from '../../src/modules/ledger/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'receivables-test', ip: '127.0.0.1', requestId: 'req-receivables' };
/** Every entry here is recorded "on" this day (noon UTC), whatever today is. */
const TODAY = '2026-06-30';
const AT = Date.parse(`${TODAY}T12:00:00Z`);

/** Figures in the order current, 1–30, 31–60, 61–90, over 90, credit, total. */
function figures(aging: AgingFigures): number[] {
  return [aging.currentCents, aging.days1To30Cents, aging.days31To60Cents, aging.days61To90Cents, aging.daysOver90Cents, aging.creditCents, aging.totalCents];
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`receivables on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    async function newAccount(termsDays = 30): Promise<string> {
      const acctid = uniqueAcctId('R');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ terms_days: termsDays }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number; memo?: string }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' }));
    const aging = async (acctid: string, asOf: string) => figures((await accountAging(db, acctid, asOf)).aging);
    /** The totals equal the entries, and the open items the entries, allocations and balance. */
    async function assertConsistent(...acctids: string[]): Promise<void> {
      assert.deepEqual(await ledgerMismatches(db, acctids), []);
      assert.deepEqual(await receivablesMismatches(db, acctids), []);
    }

    test('a payment pays the oldest due invoice first, then the next; the rest of an invoice stays open', async () => {
      const acctid = await newAccount();
      const a = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-03-01', reference: 'INV-1' }); // due 03-31
      const b = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-04-01', reference: 'INV-2' }); // due 05-01
      assert.equal(a.dueOn, '2026-03-31');
      assert.equal(b.dueOn, '2026-05-01');
      const payment = await record(acctid, { kind: 'payment', amountCents: 15_000, effectiveOn: '2026-06-15' });
      assert.deepEqual(
        payment.allocations.map(({ chargeId, amountCents, effectiveOn }) => [chargeId, amountCents, effectiveOn]),
        [
          [a.id, 10_000, '2026-06-15'],
          [b.id, 5_000, '2026-06-15'],
        ],
      );
      // On 06-30: INV-2 (due 05-01) is 60 days late with 50.00 open.
      assert.deepEqual(await aging(acctid, TODAY), [0, 0, 5_000, 0, 0, 0, 5_000]);
      const { openInvoices } = await accountAging(db, acctid, TODAY);
      assert.deepEqual(
        openInvoices.map(({ chargeId, reference, openCents, daysLate }) => [chargeId, reference, openCents, daysLate]),
        [[b.id, 'INV-2', 5_000, 60]],
      );
      await assertConsistent(acctid);
    });

    test('a payment applied to the invoices it names, the rest oldest due first', async () => {
      const acctid = await newAccount();
      const a = await record(acctid, { kind: 'charge', amountCents: 4_000, effectiveOn: '2026-05-01', dueOn: '2026-05-10' });
      const b = await record(acctid, { kind: 'charge', amountCents: 6_000, effectiveOn: '2026-05-02', dueOn: '2026-06-01' });
      const c = await record(acctid, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-05-03', dueOn: '2026-07-15' });
      const payment = await record(acctid, { kind: 'payment', amountCents: 7_000, effectiveOn: '2026-06-20', allocations: [{ chargeId: c.id, amountCents: cents(1_000) }, { chargeId: b.id, amountCents: cents(2_000) }] });
      assert.deepEqual(
        payment.allocations.map(({ chargeId, amountCents }) => [chargeId, amountCents]),
        [
          [c.id, 1_000],
          [b.id, 2_000],
          [a.id, 4_000],
        ],
      );
      // Left: 40.00 of b (due 06-01, 29 days late on 06-30).
      assert.deepEqual(await aging(acctid, TODAY), [0, 4_000, 0, 0, 0, 0, 4_000]);
      await assertConsistent(acctid);
    });

    test('a payment before any invoice is unapplied credit, taken by the next invoices as they arrive', async () => {
      const acctid = await newAccount(10);
      const payment = await record(acctid, { kind: 'payment', amountCents: 10_000, effectiveOn: '2026-05-01' });
      assert.deepEqual(payment.allocations, []);
      assert.deepEqual(await aging(acctid, '2026-05-05'), [0, 0, 0, 0, 0, -10_000, -10_000]);
      const invoice = await record(acctid, { kind: 'charge', amountCents: 6_000, effectiveOn: '2026-06-01' });
      assert.deepEqual(
        invoice.allocations.map(({ chargeId, creditId, amountCents, effectiveOn }) => [chargeId, creditId, amountCents, effectiveOn]),
        [[invoice.id, payment.id, 6_000, '2026-06-01']],
      );
      assert.deepEqual(await aging(acctid, TODAY), [0, 0, 0, 0, 0, -4_000, -4_000]);
      // Before the invoice's date it did not exist, and the credit was whole.
      assert.deepEqual(await aging(acctid, '2026-05-31'), [0, 0, 0, 0, 0, -10_000, -10_000]);
      await assertConsistent(acctid);
    });

    test('a back-dated payment counts from its own date; an invoice paid after a past date was still open on it', async () => {
      const acctid = await newAccount();
      const invoice = await record(acctid, { kind: 'charge', amountCents: 20_000, effectiveOn: '2026-01-10' }); // due 02-09
      await record(acctid, { kind: 'payment', amountCents: 20_000, effectiveOn: '2026-04-20' });
      // On 03-31 the invoice (due 02-09) was 50 days late and unpaid; on 04-20 it was paid.
      assert.deepEqual(await aging(acctid, '2026-03-31'), [0, 0, 20_000, 0, 0, 0, 20_000]);
      assert.deepEqual(await aging(acctid, '2026-04-19'), [0, 0, 0, 20_000, 0, 0, 20_000]);
      assert.deepEqual(await aging(acctid, '2026-04-20'), [0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(await aging(acctid, TODAY), [0, 0, 0, 0, 0, 0, 0]);
      // Before the invoice: nothing.
      assert.deepEqual(await aging(acctid, '2026-01-09'), [0, 0, 0, 0, 0, 0, 0]);
      const [allocation] = await allocationsOf(db, [invoice.id]);
      assert.equal(allocation?.effectiveOn, '2026-04-20');
      await assertConsistent(acctid);
    });

    test('a partial payment leaves the rest of the invoice in its bucket; totals equal the balance on each day', async () => {
      const acctid = await newAccount(0);
      await record(acctid, { kind: 'charge', amountCents: 9_999, effectiveOn: '2026-02-01' }); // due the same day
      await record(acctid, { kind: 'payment', amountCents: 3_333, effectiveOn: '2026-02-15' });
      await record(acctid, { kind: 'adjustment', amountCents: 1_500, effectiveOn: '2026-06-30', memo: 'late fee' }); // due on its date: current
      assert.deepEqual(await aging(acctid, TODAY), [1_500, 0, 0, 0, 6_666, 0, 8_166]);
      for (const day of ['2026-01-31', '2026-02-01', '2026-02-14', '2026-02-15', '2026-06-29', TODAY]) {
        const [, , , , , , total] = await aging(acctid, day);
        assert.equal(total, await balanceAsOf(db, acctid, day), day);
      }
      await assertConsistent(acctid);
    });

    test('a credit (negative adjustment) pays invoices like a payment; a closed account still ages and takes credits', async () => {
      const acctid = await newAccount();
      await record(acctid, { kind: 'charge', amountCents: 5_000, effectiveOn: '2026-06-01' });
      await record(acctid, { kind: 'adjustment', amountCents: -2_000, effectiveOn: '2026-06-10', memo: 'goodwill' });
      await db.updateTable('account').set({ closed_at: AT }).where('acctid', '=', acctid).execute();
      await assert.rejects(record(acctid, { kind: 'charge', amountCents: 100 }), (error: Error & { statusCode?: number }) => error.statusCode === 409);
      await record(acctid, { kind: 'payment', amountCents: 1_000, effectiveOn: TODAY });
      assert.deepEqual(await aging(acctid, TODAY), [0, 0, 0, 0, 0, 0, 0].map((_, i) => (i === 0 || i === 6 ? 2_000 : 0)));
      await assertConsistent(acctid);
    });

    test('refused entries write nothing: no entry, total, allocation or open item', async () => {
      const acctid = await newAccount();
      const other = await newAccount();
      const invoice = await record(acctid, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-06-01' });
      const theirs = await record(other, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-06-01' });
      const status = (code: number, message: RegExp) => (error: Error & { statusCode?: number }) => error.statusCode === code && message.test(error.message);
      const refused: [Parameters<typeof record>[1], number, RegExp][] = [
        [{ kind: 'payment', amountCents: 100, effectiveOn: '2026-02-30' }, 400, /real calendar day/],
        [{ kind: 'payment', amountCents: 100, effectiveOn: '2026-07-01' }, 400, /cannot be in the future/],
        [{ kind: 'charge', amountCents: 100, effectiveOn: '2026-06-10', dueOn: '2026-06-09' }, 400, /due date cannot be before/],
        [{ kind: 'payment', amountCents: 100, dueOn: '2026-06-09' }, 400, /Only a charge has a due date/],
        [{ kind: 'payment', amountCents: 100, allocations: [{ chargeId: invoice.id, amountCents: cents(101) }] }, 400, /add up to more than/],
        [{ kind: 'payment', amountCents: 2_000, allocations: [{ chargeId: invoice.id, amountCents: cents(1_001) }] }, 422, /has 10\.00 USD open/],
        [{ kind: 'payment', amountCents: 100, allocations: [{ chargeId: theirs.id, amountCents: cents(100) }] }, 422, /has no invoice/],
        [{ kind: 'payment', amountCents: 100, allocations: [{ chargeId: 999_999_999, amountCents: cents(100) }] }, 422, /has no invoice/],
        [{ kind: 'charge', amountCents: 100, allocations: [{ chargeId: invoice.id, amountCents: cents(100) }] }, 400, /Only a payment or a credit/],
        [{ kind: 'payment', amountCents: 100, reference: 'x'.repeat(41) }, 400, /at most 40/],
      ];
      const count = async (table: 'ledger_entry' | 'open_item' | 'allocation') => (await db.selectFrom(table).select('acctid').where('acctid', '=', acctid).execute()).length;
      const beforeCounts = [await count('ledger_entry'), await count('open_item'), await count('allocation')];
      for (const [entry, code, message] of refused) await assert.rejects(record(acctid, entry), status(code, message), JSON.stringify(entry));
      assert.deepEqual([await count('ledger_entry'), await count('open_item'), await count('allocation')], beforeCounts);
      assert.deepEqual(await aging(acctid, TODAY), [1_000, 0, 0, 0, 0, 0, 1_000], 'due 07-01: current');
      await assertConsistent(acctid, other);
    });

    test("the worked example of docs/features.md: what each payment paid, and the aging on each date it shows", async () => {
      const acctid = await newAccount(30);
      const on = (day: string) => ({ at: Date.parse(`${day}T12:00:00Z`), timeZone: 'UTC' });
      const enter = (day: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
        db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, on(day)));
      const paid = (entry: { allocations: readonly { chargeId: number; amountCents: number; effectiveOn: string }[] }) => entry.allocations.map(({ chargeId, amountCents, effectiveOn }) => [chargeId, amountCents, effectiveOn]);
      const inv1 = await enter('2026-01-10', { kind: 'charge', amountCents: 100_000, reference: 'INV-1' });
      const inv2 = await enter('2026-02-01', { kind: 'charge', amountCents: 50_000, reference: 'INV-2' });
      assert.deepEqual([inv1.dueOn, inv2.dueOn], ['2026-02-09', '2026-03-03']);
      const first = await enter('2026-02-20', { kind: 'payment', amountCents: 120_000 });
      assert.deepEqual(paid(first), [[inv1.id, 100_000, '2026-02-20'], [inv2.id, 20_000, '2026-02-20']]);
      const inv3 = await enter('2026-03-05', { kind: 'charge', amountCents: 30_000, reference: 'INV-3' });
      assert.equal(inv3.dueOn, '2026-04-04');
      const cheque = await enter('2026-03-25', { kind: 'payment', amountCents: 40_000, effectiveOn: '2026-03-15' });
      assert.deepEqual(paid(cheque), [[inv2.id, 30_000, '2026-03-15'], [inv3.id, 10_000, '2026-03-15']]);
      const third = await enter('2026-05-02', { kind: 'payment', amountCents: 50_000 });
      assert.deepEqual(paid(third), [[inv3.id, 20_000, '2026-05-02']]);
      const inv4 = await enter('2026-05-10', { kind: 'charge', amountCents: 25_000, reference: 'INV-4' });
      assert.equal(inv4.dueOn, '2026-06-09');
      assert.deepEqual(inv4.allocations.map(({ creditId, amountCents, effectiveOn }) => [creditId, amountCents, effectiveOn]), [[third.id, 25_000, '2026-05-10']]);
      assert.deepEqual(await aging(acctid, '2026-02-28'), [30_000, 0, 0, 0, 0, 0, 30_000]);
      assert.deepEqual(await aging(acctid, '2026-03-10'), [30_000, 30_000, 0, 0, 0, 0, 60_000]);
      assert.deepEqual(await aging(acctid, '2026-03-31'), [20_000, 0, 0, 0, 0, 0, 20_000]);
      assert.deepEqual(await aging(acctid, '2026-04-30'), [0, 20_000, 0, 0, 0, 0, 20_000]);
      assert.deepEqual(await aging(acctid, '2026-05-09'), [0, 0, 0, 0, 0, -30_000, -30_000]);
      assert.deepEqual(await aging(acctid, '2026-05-10'), [0, 0, 0, 0, 0, -5_000, -5_000]);
      await assertConsistent(acctid);
    });

    test(
      'an entry whose transaction read the database before another entry committed applies to what is open now, not to what its snapshot saw',
      // SQLite runs one write transaction at a time (BEGIN IMMEDIATE): no other entry can commit meanwhile.
      { skip: target.name === 'SQLite' && 'SQLite writes one transaction at a time' },
      async () => {
        const acctid = await newAccount();
        const invoice = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-06-01' });
        let hasRead!: () => void;
        const read = new Promise<void>((resolve) => (hasRead = resolve));
        let go!: () => void;
        const released = new Promise<void>((resolve) => (go = resolve));
        const late = db.transaction().execute(async (trx) => {
          // As the API's idempotency check does before recording: on MariaDB (REPEATABLE READ) the first read fixes the transaction's snapshot.
          await trx.selectFrom('open_item').select('entry_id').where('acctid', '=', acctid).execute();
          hasRead();
          await released;
          return recordEntry(trx, actor, { acctid, kind: 'payment', amountCents: cents(10_000), memo: '', effectiveOn: '2026-06-20' }, { at: AT, timeZone: 'UTC' });
        });
        await read;
        const first = await record(acctid, { kind: 'payment', amountCents: 10_000, effectiveOn: '2026-06-10' });
        go();
        const second = await late;
        assert.deepEqual(first.allocations.map(({ chargeId, amountCents }) => [chargeId, amountCents]), [[invoice.id, 10_000]]);
        assert.deepEqual(second.allocations, [], 'the invoice was paid already: the second payment is unapplied credit');
        assert.deepEqual(await aging(acctid, TODAY), [0, 0, 0, 0, 0, -10_000, -10_000]);
        await assertConsistent(acctid);
      },
    );

    test('the receivables check names each broken rule: a missing or wrong open item, open amounts, settled dates, allocations across accounts, the balance', async () => {
      const acctid = await newAccount();
      const other = await newAccount();
      const a = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: '2026-06-01' });
      const b = await record(acctid, { kind: 'charge', amountCents: 5_000, effectiveOn: '2026-06-02' });
      const payment = await record(acctid, { kind: 'payment', amountCents: 12_000, effectiveOn: '2026-06-15' }); // a paid, 20.00 of b
      const theirs = await record(other, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-06-01' });
      await assertConsistent(acctid, other);
      /** What the check says after `corrupt`, which is rolled back. */
      async function problemsAfter(corrupt: (trx: Transaction<Database>) => Promise<unknown>): Promise<Map<string, readonly string[]>> {
        let found: ReceivablesMismatch[] = [];
        const rollback = new Error('rollback');
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            await corrupt(trx);
            found = await receivablesMismatches(trx, [acctid, other]);
            throw rollback;
          }),
          (error) => error === rollback,
        );
        return new Map(found.map(({ acctid: id, problems }) => [id, problems]));
      }
      const item = (trx: Transaction<Database>, id: number) => trx.updateTable('open_item').where('entry_id', '=', id);
      const balance = (open: string) => `its open charges less its open credits are ${open} USD, but its balance is 30.00 USD`;
      // Allocation ids are the database's: shown as #.
      const cases: [string, (trx: Transaction<Database>) => Promise<unknown>, Record<string, string[]>][] = [
        [
          'an entry without its open item',
          (trx) => trx.deleteFrom('open_item').where('entry_id', '=', b.id).execute(),
          { [acctid]: [`entry ${b.id} (charge 50.00 USD) has no open item`, `allocation # (20.00 USD from ${payment.id} to ${b.id}): charge ${b.id} has no open item`, balance('0.00')] },
        ],
        [
          'an open item on the wrong side, for the wrong amount',
          // Neither is ever updated by the app, so the table's type refuses it: raw SQL.
          (trx) => sql`update open_item set side = 'credit', amount_cents = 4000 where entry_id = ${b.id}`.execute(trx),
          {
            [acctid]: [
              `entry ${b.id} (charge 50.00 USD): its open item has side credit, not charge, amount 40.00 USD, not 50.00 USD`,
              `credit ${b.id}: open 30.00 USD, but its amount 40.00 USD less its allocations 0.00 USD is 40.00 USD`,
              `credit ${b.id}: last applied on 2026-06-15, but its latest allocation is dated (none)`,
              `allocation # (20.00 USD from ${payment.id} to ${b.id}): ${b.id} is not a charge`,
              balance('-30.00'),
            ],
          },
        ],
        [
          'open cents that are not the amount less the allocations',
          (trx) => item(trx, b.id).set({ open_cents: 3_100 }).execute(),
          { [acctid]: [`charge ${b.id}: open 31.00 USD, but its amount 50.00 USD less its allocations 20.00 USD is 30.00 USD`, balance('31.00')] },
        ],
        ['a paid invoice without a settled date', (trx) => item(trx, a.id).set({ settled_on: null }).execute(), { [acctid]: [`charge ${a.id}: nothing is open, but it has no settled date`] }],
        [
          "a settled date that is not the last allocation's",
          (trx) => item(trx, a.id).set({ settled_on: '2026-06-01' }).execute(),
          { [acctid]: [`charge ${a.id}: settled on 2026-06-01, but its latest allocation is dated 2026-06-15`] },
        ],
        [
          'an open invoice with a settled date',
          (trx) => item(trx, b.id).set({ settled_on: '2026-06-15' }).execute(),
          { [acctid]: [`charge ${b.id}: 30.00 USD is open, but it is settled on 2026-06-15`, balance('0.00')] },
        ],
        [
          "an allocation to another account's charge, beyond the credit",
          (trx) => trx.insertInto('allocation').values({ acctid, charge_id: theirs.id, credit_id: payment.id, amount_cents: 500, effective_on: '2026-06-15', created_at: AT }).execute(),
          {
            [acctid]: [
              `credit ${payment.id}: its allocations (125.00 USD) exceed its amount (120.00 USD)`,
              `credit ${payment.id}: open 0.00 USD, but its amount 120.00 USD less its allocations 125.00 USD is -5.00 USD`,
              `allocation # (5.00 USD from ${payment.id} to ${theirs.id}): the charge is account ${other}'s`,
            ],
            [other]: [
              `charge ${theirs.id}: open 10.00 USD, but its amount 10.00 USD less its allocations 5.00 USD is 5.00 USD`,
              `charge ${theirs.id}: last applied on (never), but its latest allocation is dated 2026-06-15`,
              `allocation # (5.00 USD from ${payment.id} to ${theirs.id}): the charge is account ${other}'s`,
            ],
          },
        ],
        [
          'an allocation dated before one of its entries',
          (trx) => trx.updateTable('allocation').set({ effective_on: '2026-06-10' }).where('credit_id', '=', payment.id).where('charge_id', '=', b.id).execute(),
          {
            [acctid]: [
              `charge ${b.id}: last applied on 2026-06-15, but its latest allocation is dated 2026-06-10`,
              `allocation # (20.00 USD from ${payment.id} to ${b.id}): dated 2026-06-10, not the later of 2026-06-02 and 2026-06-15`,
            ],
          },
        ],
        [
          'a balance the open items do not make',
          (trx) => trx.updateTable('account').set({ balance_cents: 2_999 }).where('acctid', '=', acctid).execute(),
          { [acctid]: ['its open charges less its open credits are 30.00 USD, but its balance is 29.99 USD'] },
        ],
      ];
      for (const [name, corrupt, expected] of cases) {
        const found = await problemsAfter(corrupt);
        const shown = Object.fromEntries([...found].map(([id, problems]) => [id, problems.map((problem) => problem.replace(/^allocation \d+ /, 'allocation # '))]));
        assert.deepEqual(shown, expected, name);
      }
      await assertConsistent(acctid, other);
    });
  });
}
