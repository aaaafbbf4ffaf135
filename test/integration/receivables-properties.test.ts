/**
 * Properties of invoices, allocation and aging over random sequences of
 * entries on one account (fast-check): charges with random dates, due dates
 * and terms, payments and credits (some naming the invoices they pay),
 * positive and negative adjustments, back-dated at random, all on or before a
 * fixed "today". Each run is a new account; SQLite runs many sequences,
 * MariaDB and PostgreSQL fewer (each entry is a round trip to a server).
 *
 * The seed is fixed so CI is repeatable; a failure prints the seed and the
 * path of the shrunk counterexample. Explore further with
 * RECEIVABLES_PROPERTY_SEED=<n> and RECEIVABLES_PROPERTY_RUNS=<n> (runs on
 * each database).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { accountAging, ledgerMismatches, receivablesMismatches, recordEntry, type AgingFigures, type NewEntry, type RecordedEntry } from '../../src/modules/ledger/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { addDays, type IsoDate } from '../../src/shared/dates.js';
import { cents, centsFromColumn } from '../../src/shared/money.js';
import { ReceivablesModel, type Figures } from '../support/receivables-model.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId, type TestDatabase } from '../support/test-databases.js';

const actor = { name: 'receivables-properties', ip: '127.0.0.1', requestId: 'req-receivables-properties' };
const TODAY: IsoDate = '2026-06-30';
const AT = Date.parse(`${TODAY}T12:00:00Z`);
const SEED = Number(process.env.RECEIVABLES_PROPERTY_SEED ?? 20_261_205);
const RUNS = process.env.RECEIVABLES_PROPERTY_RUNS === undefined ? undefined : Number(process.env.RECEIVABLES_PROPERTY_RUNS);
/** Sequences per property: every entry is a transaction, a server round trip each on MariaDB and PostgreSQL. */
const runsOn = (target: TestDatabase) => RUNS ?? (target.name === 'SQLite' ? 60 : 10);

/** Days before today: anywhere in the last 400 days, often on a bucket's edge, so entries share dates and due dates. */
const daysAgo = fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constantFrom(0, 1, 30, 31, 60, 61, 90, 91));
const amount = fc.integer({ min: 1, max: 100_000 });
/** Invoices a credit names, by position among the open ones, each for a share of what is open. */
const named = fc.array(fc.record({ pick: fc.nat(), percent: fc.integer({ min: 1, max: 100 }) }), { maxLength: 3 });

type Step =
  | { readonly kind: 'charge'; readonly amount: number; readonly daysAgo: number; readonly dueIn: number | undefined; readonly probe: number }
  | { readonly kind: 'payment'; readonly amount: number; readonly daysAgo: number; readonly named: readonly { pick: number; percent: number }[]; readonly probe: number }
  | { readonly kind: 'adjustment'; readonly amount: number; readonly daysAgo: number; readonly named: readonly { pick: number; percent: number }[]; readonly probe: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('charge' as const), amount, daysAgo, dueIn: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }), probe: daysAgo }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('payment' as const), amount, daysAgo, named, probe: daysAgo }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('adjustment' as const), amount: fc.oneof(amount, amount.map((n) => -n)), daysAgo, named, probe: daysAgo }),
  },
);
const scenario = fc.record({ termsDays: fc.integer({ min: 0, max: 60 }), steps: fc.array(step, { minLength: 1, maxLength: 10 }) });
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function figures(aging: AgingFigures): Figures {
  return [aging.currentCents, aging.days1To30Cents, aging.days31To60Cents, aging.days61To90Cents, aging.daysOver90Cents, aging.creditCents, aging.totalCents];
}

/** How the entry moves the balance: a charge up, a payment down, an adjustment by its sign. */
const effectOf = (entry: Step) => (entry.kind === 'payment' ? -entry.amount : entry.amount);

/** The invoices a credit names, resolved against what is open now: distinct, each at most its open part, in all at most the credit. */
function namedAllocations(entry: Step, open: readonly { id: number; openCents: number }[]): { chargeId: number; amountCents: number }[] {
  if (entry.kind === 'charge' || effectOf(entry) > 0 || open.length === 0) return [];
  let left = Math.abs(entry.amount);
  const chosen: { chargeId: number; amountCents: number }[] = [];
  for (const { pick, percent } of entry.named) {
    const charge = open[pick % open.length]!;
    const share = Math.min(left, Math.max(1, Math.floor((charge.openCents * percent) / 100)));
    if (share === 0 || chosen.some(({ chargeId }) => chargeId === charge.id)) continue;
    chosen.push({ chargeId: charge.id, amountCents: share });
    left -= share;
  }
  return chosen;
}

// Every database is connected before any test runs: SQLite's synchronous driver holds the event loop for the
// length of its runs, and a server connecting meanwhile would time out.
const targets: [TestDatabase, Awaited<ReturnType<typeof openTestDatabase>>][] = [];
for (const target of TEST_DATABASES) targets.push([target, await openTestDatabase(target)]);

for (const [target, opened] of targets) {
  describe(`receivables properties on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    const parameters = (): fc.Parameters<[Scenario]> => ({ numRuns: runsOn(target), seed: SEED, endOnFailure: false });

    async function newAccount(termsDays: number): Promise<string> {
      const acctid = uniqueAcctId('P');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ terms_days: termsDays }).where('acctid', '=', acctid).execute();
      return acctid;
    }

    /** Records the step on the database and in the model; the allocations must be the model's, exactly. */
    async function play(acctid: string, model: ReceivablesModel, entry: Step): Promise<RecordedEntry> {
      const effectiveOn = addDays(TODAY, -entry.daysAgo);
      const allocations = namedAllocations(entry, model.openCharges());
      const request: NewEntry = {
        acctid,
        kind: entry.kind,
        amountCents: cents(entry.amount),
        memo: entry.kind === 'adjustment' ? 'property test' : '',
        effectiveOn,
        ...(entry.kind === 'charge' && entry.dueIn !== undefined ? { dueOn: addDays(effectiveOn, entry.dueIn) } : {}),
        ...(allocations.length > 0 ? { allocations: allocations.map(({ chargeId, amountCents }) => ({ chargeId, amountCents: cents(amountCents) })) } : {}),
      };
      const recorded = await db.transaction().execute((trx) => recordEntry(trx, actor, request, { at: AT, timeZone: 'UTC' }));
      const made = model.record({ id: recorded.id, effect: effectOf(entry), effectiveOn, dueOn: recorded.dueOn }, allocations);
      assert.deepEqual(
        recorded.allocations.map(({ chargeId, creditId, amountCents, effectiveOn: on }) => ({ chargeId, creditId, amountCents, effectiveOn: on })),
        made,
        `allocations of ${JSON.stringify(request)}`,
      );
      return recorded;
    }

    const agingOn = async (acctid: string, asOf: IsoDate) => figures((await accountAging(db, acctid, asOf)).aging);

    async function assertConsistent(acctid: string): Promise<void> {
      assert.deepEqual(await receivablesMismatches(db, [acctid]), []);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
      // No allocation exceeds either side: checked apart from the mismatch report, from the rows themselves.
      for (const column of ['charge_id', 'credit_id'] as const) {
        const over = await db
          .selectFrom('allocation as a')
          .innerJoin('open_item as o', 'o.entry_id', `a.${column}`)
          .select(['o.entry_id', 'o.amount_cents', (eb) => eb.fn.sum<number | string | bigint>('a.amount_cents').as('applied')])
          .where('a.acctid', '=', acctid)
          .groupBy(['o.entry_id', 'o.amount_cents'])
          .execute();
        for (const row of over) assert.ok(Number(row.applied) <= Number(row.amount_cents), `${column} ${String(row.entry_id)}: ${String(row.applied)} applied to ${String(row.amount_cents)}`);
      }
    }

    test("today's aging total is the balance; on every date the buckets plus credit are the balance of the entries dated by then, as the rules allocate", async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ termsDays, steps }) => {
          const acctid = await newAccount(termsDays);
          const model = new ReceivablesModel();
          const recorded: RecordedEntry[] = [];
          for (const entry of steps) recorded.push(await play(acctid, model, entry));

          const account = await db.selectFrom('account').select('balance_cents').where('acctid', '=', acctid).executeTakeFirstOrThrow();
          const today = await agingOn(acctid, TODAY);
          assert.equal(today[6], centsFromColumn(account.balance_cents), "today's total is the balance");
          // Each date an entry is dated or becomes due, a bucket's edge after that, and the day before each.
          const edges = recorded.flatMap(({ effectiveOn, dueOn }) => [effectiveOn, ...(dueOn === null ? [] : [0, 1, 30, 31, 60, 61, 90, 91].map((days) => addDays(dueOn, days)))]);
          const dates = [...new Set([TODAY, ...edges, ...edges.map((date) => addDays(date, -1))])].filter((date) => date <= TODAY).sort();
          for (const date of dates) {
            const found = await agingOn(acctid, date);
            assert.equal(found.slice(0, 6).reduce((sum, figure) => sum + figure, 0), found[6], `${date}: the buckets plus credit are the total`);
            assert.equal(found[6], model.balanceAsOf(date), `${date}: the total is the balance of the entries dated by then`);
            assert.deepEqual(found, model.agingAsOf(date), `${date}: the figures are the rules'`);
          }
          await assertConsistent(acctid);
        }),
        parameters(),
      );
    });

    test('an entry dated after D leaves every figure as of D unchanged; one dated on or before D moves the total as of D by exactly its effect', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ termsDays, steps }) => {
          const acctid = await newAccount(termsDays);
          const model = new ReceivablesModel();
          for (const entry of steps) {
            const effectiveOn = addDays(TODAY, -entry.daysAgo);
            // The day before the entry, its own day and a random one: before it, on it, and anywhere.
            const probes = [...new Set([addDays(effectiveOn, -1), effectiveOn, addDays(TODAY, -entry.probe)])];
            const before = await Promise.all(probes.map((date) => agingOn(acctid, date)));
            await play(acctid, model, entry);
            for (const [index, date] of probes.entries()) {
              const was = before[index]!;
              const now = await agingOn(acctid, date);
              if (effectiveOn > date) assert.deepEqual(now, was, `an entry dated ${effectiveOn} changed the figures as of ${date}`);
              else assert.equal(now[6] - was[6], effectOf(entry), `an entry dated ${effectiveOn} moved the total as of ${date} by ${now[6] - was[6]}, not ${effectOf(entry)}`);
              assert.deepEqual(now, model.agingAsOf(date), `${date}: the figures are the rules'`);
            }
          }
          await assertConsistent(acctid);
        }),
        parameters(),
      );
    });
  });
}
