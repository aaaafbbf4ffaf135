/** The ledger: entries move totals in the same transaction, atomically, and the totals always equal the sums. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { findAccount } from '../../src/modules/accounts/account.repository.js';
import { ledgerMismatches, MAX_ACCOUNT_TOTAL_CENTS, MAX_ENTRY_CENTS, recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { migrations } from '../../src/migrations/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents, negateCents, type Cents } from '../../src/shared/money.js';

const actor = { name: 'ledger-test', ip: '127.0.0.1', requestId: 'req-ledger' };

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the ledger on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    async function newAccount(paidCents = 0, dueCents = 0): Promise<string> {
      const acctid = uniqueAcctId('L');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(paidCents), dueCents: cents(dueCents) }]));
      return acctid;
    }
    const record = (entry: NewEntry) => db.transaction().execute((trx) => recordEntry(trx, actor, entry));

    test('seeded accounts get opening entries equal to their totals', async () => {
      const acctid = await newAccount(6000, 10000);
      const entries = await db.selectFrom('ledger_entry').select(['kind', 'amount_cents', 'memo', 'actor']).where('acctid', '=', acctid).orderBy('id').execute();
      assert.deepEqual(
        entries.map((e) => [e.kind, Number(e.amount_cents), e.memo, e.actor]),
        [
          ['charge', 10000, 'Opening balance', 'seed'],
          ['payment', 6000, 'Opening balance', 'seed'],
        ],
      );
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('a payment lowers the balance, a charge raises it, an adjustment moves it either way; totals equal the sums of entries', async () => {
      const acctid = await newAccount(0, 5000);
      await record({ acctid, kind: 'payment', amountCents: cents(1234), memo: 'cheque 17' });
      await record({ acctid, kind: 'charge', amountCents: cents(800), memo: '' });
      await record({ acctid, kind: 'adjustment', amountCents: cents(66), memo: 'late fee' });
      await record({ acctid, kind: 'adjustment', amountCents: cents(-100), memo: 'goodwill credit' });
      const account = await findAccount(db, acctid);
      assert.deepEqual(account, { acctid, paidCents: 1234 + 100, dueCents: 5000 + 800 + 66 });
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
      const audited = await db.selectFrom('audit_event').select(['actor', 'ip', 'request_id']).where('action', '=', 'ledger.entry_recorded').where('target', '=', acctid).execute();
      assert.equal(audited.length, 4);
      assert.deepEqual(audited[0], { actor: 'ledger-test', ip: '127.0.0.1', request_id: 'req-ledger' });
    });

    test('a refused entry changes nothing: no entry, no total, no audit row', async () => {
      const acctid = await newAccount(0, 1000);
      const refused: [Omit<NewEntry, 'acctid'>, RegExp][] = [
        [{ kind: 'payment', amountCents: cents(0), memo: '' }, /more than 0\.00/],
        [{ kind: 'payment', amountCents: cents(-5), memo: '' }, /more than 0\.00/],
        [{ kind: 'charge', amountCents: cents(MAX_ENTRY_CENTS + 1), memo: '' }, /at most 1000000000\.00 USD/],
        // The type refuses a fraction of a cent; the ledger still checks at run time, for callers that cast.
        [{ kind: 'payment', amountCents: 12.5 as Cents, memo: '' }, /whole number of cents/],
        [{ kind: 'adjustment', amountCents: cents(100), memo: '  ' }, /needs a memo/],
        [{ kind: 'adjustment', amountCents: cents(0), memo: 'nothing' }, /cannot be zero/],
        [{ kind: 'refund' as 'payment', amountCents: cents(100), memo: '' }, /kind must be one of/],
      ];
      for (const [entry, message] of refused) {
        await assert.rejects(record({ acctid, ...entry }), (error: Error & { statusCode?: number }) => error.statusCode === 400 && message.test(error.message));
      }
      await assert.rejects(record({ acctid: uniqueAcctId('NONE'), kind: 'payment', amountCents: cents(100), memo: '' }), (error: Error & { statusCode?: number }) => error.statusCode === 404);
      assert.deepEqual(await findAccount(db, acctid), { acctid, paidCents: cents(0), dueCents: cents(1000) });
      assert.equal((await db.selectFrom('ledger_entry').select('id').where('acctid', '=', acctid).execute()).length, 1, 'only the opening entry');
      assert.equal((await db.selectFrom('audit_event').select('id').where('target', '=', acctid).execute()).length, 0);
    });

    test("an entry that would take an account's total due or paid past the most an account holds is a 422 that changes nothing", async () => {
      const nearTheTop = cents(MAX_ACCOUNT_TOTAL_CENTS - MAX_ENTRY_CENTS / 2);
      const acctid = await newAccount(nearTheTop, nearTheTop);
      for (const entry of [
        { kind: 'charge', amountCents: MAX_ENTRY_CENTS, memo: '' },
        { kind: 'payment', amountCents: MAX_ENTRY_CENTS, memo: '' },
        { kind: 'adjustment', amountCents: negateCents(MAX_ENTRY_CENTS), memo: 'credit' },
      ] as const) {
        await assert.rejects(
          record({ acctid, ...entry }),
          (error: Error & { statusCode?: number }) => error.statusCode === 422 && /the most one account can hold/.test(error.message),
          entry.kind,
        );
      }
      assert.deepEqual(await findAccount(db, acctid), { acctid, paidCents: nearTheTop, dueCents: nearTheTop });
      await record({ acctid, kind: 'charge', amountCents: cents(MAX_ENTRY_CENTS / 2), memo: '' });
      assert.equal((await findAccount(db, acctid))?.dueCents, MAX_ACCOUNT_TOTAL_CENTS, 'up to the cap is fine');
    });

    test('an entry whose transaction fails leaves neither the entry, the total nor the audit row', async () => {
      const acctid = await newAccount(0, 1000);
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await recordEntry(trx, actor, { acctid, kind: 'payment', amountCents: cents(300), memo: '' });
          throw new Error('the caller failed after recording');
        }),
        /the caller failed/,
      );
      assert.deepEqual(await findAccount(db, acctid), { acctid, paidCents: cents(0), dueCents: cents(1000) });
      assert.equal((await db.selectFrom('audit_event').select('id').where('target', '=', acctid).execute()).length, 0);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('concurrent entries on shared accounts all count: totals equal the sums of entries', async () => {
      const accounts = [await newAccount(0, 0), await newAccount(0, 0)];
      const entries: NewEntry[] = Array.from({ length: 24 }, (_, i) => ({
        acctid: accounts[i % 2]!,
        kind: i % 3 === 0 ? 'charge' : 'payment',
        amountCents: cents(100 + i),
        memo: `concurrent ${i}`,
      }));
      const settled = await Promise.allSettled(entries.map((entry) => record(entry)));
      assert.deepEqual(settled.filter((s) => s.status === 'rejected'), []);
      for (const acctid of accounts) {
        const mine = entries.filter((e) => e.acctid === acctid);
        const sum = (kind: string) => mine.filter((e) => e.kind === kind).reduce((total, e) => total + e.amountCents, 0);
        assert.deepEqual(await findAccount(db, acctid), { acctid, paidCents: sum('payment'), dueCents: sum('charge') });
      }
      assert.deepEqual(await ledgerMismatches(db, accounts), []);
    });
  });
}

describe('the ledger migration', () => {
  test('accounts that existed before it get opening entries equal to their totals', async () => {
    const db = createDatabase<Database>({ kind: 'sqlite', file: ':memory:' }, { poolSize: 1, connectTimeoutMs: 1000 });
    try {
      const names = Object.keys(migrations);
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '2026-11-29T1100'));
      assert.ok(Object.keys(before).length < names.length);
      await migrateToLatest(db, before);
      await db.insertInto('account').values([
        { acctid: 'OLD1', paid_cents: 2500, due_cents: 4000 },
        { acctid: 'OLD2', paid_cents: 0, due_cents: 0 },
      ]).execute();
      await migrateToLatest(db, migrations);
      const entries = await db.selectFrom('ledger_entry').select(['acctid', 'kind', 'amount_cents', 'actor']).orderBy('acctid').orderBy('kind').execute();
      assert.deepEqual(entries.map((e) => [e.acctid, e.kind, Number(e.amount_cents), e.actor]), [
        ['OLD1', 'charge', 4000, 'migration'],
        ['OLD1', 'payment', 2500, 'migration'],
      ]);
      assert.deepEqual(await ledgerMismatches(db), []);
    } finally {
      await db.destroy();
    }
  });
});
