/**
 * Invoices, dates and allocations through the entries API, on each database:
 * what a payment paid and what paid an invoice, in JSON, with figures worked
 * out by hand; dates defaulted in the business time zone; every bad input a
 * 4xx problem naming its field with nothing written; replays equal to the
 * first answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import type { EntryJson, Problem } from '../support/api-json.js';
import { testApp } from '../support/app.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

/** Far east (UTC+14) and far west (UTC−12) of UTC: at any moment, "today" in one of them is not today in UTC. */
const EAST = 'Pacific/Kiritimati';
const WEST = 'Etc/GMT+12';

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`invoices and allocations in the entries API on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let westApp: App;
    let token: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { API_RATE_LIMIT: '0', CRM_TIME_ZONE: EAST });
      westApp = await testApp(db, { API_RATE_LIMIT: '0', CRM_TIME_ZONE: WEST });
      token = await addToken(db, await addUser(db, 'clerk'));
    });
    after(async () => {
      await app?.close();
      await westApp?.close();
      await db?.destroy();
    });

    function api(method: 'GET' | 'POST', url: string, body?: unknown, { on = app, key }: { on?: App; key?: string } = {}) {
      return on.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { 'idempotency-key': key } : {}) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    }

    async function newAccount(termsDays = 30): Promise<string> {
      const acctid = uniqueAcctId('RA');
      assert.equal((await api('POST', '/accounts', { acctid, name: 'Receivables Customer' })).statusCode, 201);
      await db.updateTable('account').set({ terms_days: termsDays }).where('acctid', '=', acctid).execute();
      return acctid;
    }

    async function record(acctid: string, entry: Record<string, unknown>, options: { on?: App; key?: string } = {}): Promise<EntryJson> {
      const reply = await api('POST', `/accounts/${acctid}/entries`, entry, options);
      assert.equal(reply.statusCode, 201, reply.body);
      return reply.json<{ entry: EntryJson }>().entry;
    }

    /** The account's entries as listed now, by id. */
    async function listed(acctid: string): Promise<Map<number, EntryJson>> {
      const reply = await api('GET', `/accounts/${acctid}/entries?limit=200`);
      assert.equal(reply.statusCode, 200, reply.body);
      return new Map(reply.json<{ entries: EntryJson[] }>().entries.map((entry) => [entry.id, entry]));
    }

    /** Everything an entry writes, for one account: entries, totals, open items, allocations, audit rows. */
    async function written(acctid: string) {
      const count = async (table: 'ledger_entry' | 'open_item' | 'allocation') => (await db.selectFrom(table).select('acctid').where('acctid', '=', acctid).execute()).length;
      const account = await db.selectFrom('account').select(['paid_cents', 'due_cents', 'balance_cents']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
      const audits = (await db.selectFrom('audit_event').select('id').where('target', '=', acctid).execute()).length;
      return { entries: await count('ledger_entry'), openItems: await count('open_item'), allocations: await count('allocation'), totals: Object.values(account).map(Number), audits };
    }

    function problemOf(reply: LightMyRequestResponse, status: number): Problem {
      assert.equal(reply.statusCode, status, reply.body);
      assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
      return reply.json<Problem>();
    }

    test('a payment pays the oldest due invoice first; the JSON shows what it paid and what paid each invoice', async () => {
      const acctid = await newAccount(14);
      const first = await record(acctid, { kind: 'charge', amount_cents: 10_000, effective_on: '2026-03-01', reference: 'INV-1' });
      const second = await record(acctid, { kind: 'charge', amount_cents: 8_000, effective_on: '2026-04-01', reference: ' INV-2 ' });
      // Due on the date + the account's 14 days' terms; the reference trimmed.
      assert.deepEqual([first.due_on, second.due_on, second.reference], ['2026-03-15', '2026-04-15', 'INV-2']);
      assert.deepEqual([first.open_cents, first.paid_by, first.unapplied_cents, first.applied_to], [10_000, [], null, null]);

      const payment = await record(acctid, { kind: 'payment', amount_cents: 15_000, effective_on: '2026-06-15', reference: 'cheque 881' });
      assert.deepEqual(
        { effective_on: payment.effective_on, due_on: payment.due_on, reference: payment.reference, open_cents: payment.open_cents, paid_by: payment.paid_by, unapplied_cents: payment.unapplied_cents, applied_to: payment.applied_to },
        {
          effective_on: '2026-06-15',
          due_on: null,
          reference: 'cheque 881',
          open_cents: null,
          paid_by: null,
          unapplied_cents: 0,
          applied_to: [
            { charge_id: first.id, reference: 'INV-1', amount_cents: 10_000, effective_on: '2026-06-15' },
            { charge_id: second.id, reference: 'INV-2', amount_cents: 5_000, effective_on: '2026-06-15' },
          ],
        },
      );
      const entries = await listed(acctid);
      assert.deepEqual([entries.get(first.id)?.open_cents, entries.get(first.id)?.paid_by], [0, [{ entry_id: payment.id, amount_cents: 10_000, effective_on: '2026-06-15' }]]);
      assert.deepEqual([entries.get(second.id)?.open_cents, entries.get(second.id)?.paid_by], [3_000, [{ entry_id: payment.id, amount_cents: 5_000, effective_on: '2026-06-15' }]]);
      assert.deepEqual(entries.get(payment.id)?.applied_to, payment.applied_to);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('a payment goes first to the invoices it names, the rest oldest due first; a credit (negative adjustment) likewise', async () => {
      const acctid = await newAccount();
      const a = await record(acctid, { kind: 'charge', amount_cents: 4_000, effective_on: '2026-05-01', due_on: '2026-05-10' });
      const b = await record(acctid, { kind: 'charge', amount_cents: 6_000, effective_on: '2026-05-02', due_on: '2026-06-01', reference: 'INV-B' });
      const c = await record(acctid, { kind: 'charge', amount_cents: 1_000, effective_on: '2026-05-03', due_on: '2026-07-15' });
      assert.equal(a.due_on, '2026-05-10');
      const payment = await record(acctid, {
        kind: 'payment',
        amount_cents: 7_000,
        effective_on: '2026-06-20',
        allocations: [
          { charge_id: c.id, amount_cents: 1_000 },
          { charge_id: b.id, amount_cents: 2_000 },
        ],
      });
      assert.deepEqual(
        payment.applied_to?.map(({ charge_id: id, reference, amount_cents: cents }) => [id, reference, cents]),
        [
          [c.id, null, 1_000],
          [b.id, 'INV-B', 2_000],
          [a.id, null, 4_000],
        ],
      );
      const credit = await record(acctid, { kind: 'adjustment', amount_cents: -2_500, memo: 'goodwill', effective_on: '2026-06-21', allocations: [{ charge_id: b.id, amount_cents: 2_500 }] });
      assert.deepEqual([credit.applied_to?.map((part) => [part.charge_id, part.amount_cents]), credit.unapplied_cents, credit.due_on], [[[b.id, 2_500]], 0, null]);
      const entries = await listed(acctid);
      assert.deepEqual(
        [a, b, c].map(({ id }) => entries.get(id)?.open_cents),
        [0, 6_000 - 2_000 - 2_500, 0],
      );
      assert.deepEqual(entries.get(b.id)?.paid_by?.map((part) => [part.entry_id, part.amount_cents]), [
        [payment.id, 2_000],
        [credit.id, 2_500],
      ]);
    });

    test('a payment before any invoice stays unapplied until the next invoice takes it; a back-dated payment counts from the later date', async () => {
      const acctid = await newAccount();
      const early = await record(acctid, { kind: 'payment', amount_cents: 3_000, effective_on: '2026-01-10' });
      assert.deepEqual([early.unapplied_cents, early.applied_to], [3_000, []]);
      const invoice = await record(acctid, { kind: 'charge', amount_cents: 5_000, effective_on: '2026-02-01', reference: 'INV-9' });
      // The invoice takes the credit; the allocation counts from the invoice's date, the later of the two.
      assert.deepEqual([invoice.open_cents, invoice.paid_by], [2_000, [{ entry_id: early.id, amount_cents: 3_000, effective_on: '2026-02-01' }]]);
      const backDated = await record(acctid, { kind: 'payment', amount_cents: 2_000, effective_on: '2026-02-20' });
      assert.equal(backDated.effective_on, '2026-02-20');
      assert.deepEqual(backDated.applied_to, [{ charge_id: invoice.id, reference: 'INV-9', amount_cents: 2_000, effective_on: '2026-02-20' }]);
      const entries = await listed(acctid);
      assert.deepEqual([entries.get(early.id)?.unapplied_cents, entries.get(early.id)?.applied_to?.length, entries.get(invoice.id)?.open_cents], [0, 1, 0]);
    });

    test('effective_on defaults to today in CRM_TIME_ZONE (not UTC) and may be today there; due_on to that date + terms', async () => {
      const utcToday = dateIn('UTC');
      let differs = false;
      for (const [zone, on] of [
        [EAST, app],
        [WEST, westApp],
      ] as const) {
        const acctid = await newAccount(10);
        const before = dateIn(zone);
        const charge = await record(acctid, { kind: 'charge', amount_cents: 500 }, { on });
        const after = dateIn(zone);
        assert.ok([before, after].includes(charge.effective_on), `${zone}: ${charge.effective_on} is today there (${before})`);
        assert.equal(charge.due_on, addDays(charge.effective_on, 10));
        // Today in the zone is accepted even where UTC is still on yesterday: the ledger takes "today" from the same zone.
        const payment = await record(acctid, { kind: 'payment', amount_cents: 100, effective_on: dateIn(zone) }, { on });
        assert.equal(payment.effective_on, dateIn(zone));
        differs ||= charge.effective_on !== utcToday;
      }
      assert.ok(differs, 'one of the two zones is on another day than UTC');
    });

    test('every bad date, reference or allocation is a problem naming its field, and nothing is written', async () => {
      const acctid = await newAccount();
      const other = await newAccount();
      const invoice = await record(acctid, { kind: 'charge', amount_cents: 5_000, effective_on: '2026-05-01', reference: 'INV-1' });
      const small = await record(acctid, { kind: 'charge', amount_cents: 1_000, effective_on: '2026-05-02' });
      const paid = await record(acctid, { kind: 'payment', amount_cents: 500, effective_on: '2026-05-03' });
      const foreign = await record(other, { kind: 'charge', amount_cents: 9_000, effective_on: '2026-05-01' });
      const tomorrow = addDays(dateIn(EAST), 1);
      const before = await written(acctid);

      const refused: [Record<string, unknown>, number, string, RegExp | string][] = [
        [{ kind: 'payment', amount_cents: 100, effective_on: '2026-02-30' }, 400, 'effective_on', /effective_on must be a real calendar day, written YYYY-MM-DD/],
        [{ kind: 'payment', amount_cents: 100, effective_on: '05/01/2026' }, 400, 'effective_on', /real calendar day/],
        [{ kind: 'payment', amount_cents: 100, effective_on: 20260501 }, 400, 'effective_on', /real calendar day/],
        [{ kind: 'payment', amount_cents: 100, effective_on: tomorrow }, 400, 'effective_on', `effective_on cannot be in the future: today is ${dateIn(EAST)} (${EAST}).`],
        [{ kind: 'charge', amount_cents: 100, due_on: '2026-13-01' }, 400, 'due_on', /due_on must be a real calendar day/],
        [{ kind: 'charge', amount_cents: 100, effective_on: '2026-05-10', due_on: '2026-05-09' }, 400, 'due_on', /due_on cannot be before effective_on/],
        [{ kind: 'payment', amount_cents: 100, due_on: '2026-05-09' }, 400, 'due_on', /due_on is for a charge only/],
        [{ kind: 'charge', amount_cents: 100, reference: 'R'.repeat(41) }, 400, 'reference', /reference can be at most 40 characters/],
        [{ kind: 'charge', amount_cents: 100, reference: 'INV-1\nINV-2' }, 400, 'reference', /single line of text/],
        [{ kind: 'charge', amount_cents: 100, reference: 'INV\u00001' }, 400, 'reference', /control character \(U\+0000\)/],
        [{ kind: 'charge', amount_cents: 100, allocations: [{ charge_id: invoice.id, amount_cents: 100 }] }, 400, 'allocations', /allocations are for a payment or a credit/],
        [{ kind: 'adjustment', amount_cents: 100, memo: 'fee', allocations: [{ charge_id: invoice.id, amount_cents: 100 }] }, 400, 'allocations', /allocations are for a payment or a credit/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: invoice.id, amount_cents: 60 }, { charge_id: small.id, amount_cents: 50 }] }, 400, 'allocations', /add up to more than the payment's amount_cents/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: invoice.id, amount_cents: 10 }, { charge_id: invoice.id, amount_cents: 10 }] }, 400, 'allocations', /Each charge_id can be named once/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: invoice.id, amount_cents: 0 }] }, 400, 'allocations.0.amount_cents', /amount_cents must be a whole number of cents above 0/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: 'INV-1', amount_cents: 10 }] }, 400, 'allocations.0.charge_id', /charge_id must be the id of one of this account's charges/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: invoice.id, amount_cents: 10, note: 'x' }] }, 400, 'allocations.0', /Unknown field "note": this request takes only charge_id, amount_cents/],
        [{ kind: 'payment', amount_cents: 100, allocations: { charge_id: invoice.id } }, 400, 'allocations', /allocations must be a list/],
        // Checked against the account's invoices in the transaction: the entry is written, then rolled back.
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: 999_999_999_999, amount_cents: 100 }] }, 422, 'allocations.0.charge_id', /has no invoice \(charge\) with id 999999999999/],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: foreign.id, amount_cents: 100 }] }, 422, 'allocations.0.charge_id', `Account ${acctid} has no invoice (charge) with id ${foreign.id}.`],
        [{ kind: 'payment', amount_cents: 100, allocations: [{ charge_id: paid.id, amount_cents: 100 }] }, 422, 'allocations.0.charge_id', /is a payment or credit, not an invoice/],
        [{ kind: 'payment', amount_cents: 3_000, allocations: [{ charge_id: invoice.id, amount_cents: 100 }, { charge_id: small.id, amount_cents: 2_000 }] }, 422, 'allocations.1.charge_id', /has 10\.00 USD open: at most that can be applied to it/],
      ];
      for (const [body, status, field, message] of refused) {
        const problem = problemOf(await api('POST', `/accounts/${acctid}/entries`, body, { key: randomUUID() }), status);
        assert.deepEqual(problem.errors?.map((error) => error.field), [field], `${JSON.stringify(body)}: ${JSON.stringify(problem.errors)}`);
        const said = problem.errors?.[0]?.message ?? '';
        if (typeof message === 'string') assert.ok(said.includes(message), `${said} should say ${message}`);
        else assert.match(said, message, JSON.stringify(body));
        if (status === 422) assert.match(problem.code, /^(UNKNOWN_INVOICE|NOT_AN_INVOICE|INVOICE_NOT_OPEN_ENOUGH)$/);
        assert.deepEqual(await written(acctid), before, `${JSON.stringify(body)} wrote nothing`);
      }
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('a retry with the same Idempotency-Key gets the first answer again, allocations included, and records nothing', async () => {
      const acctid = await newAccount();
      const a = await record(acctid, { kind: 'charge', amount_cents: 2_000, effective_on: '2026-04-01', reference: 'INV-A' });
      const b = await record(acctid, { kind: 'charge', amount_cents: 2_000, effective_on: '2026-04-02', reference: 'INV-B' });
      const key = randomUUID();
      const body = { kind: 'payment', amount_cents: 3_000, effective_on: '2026-04-20', allocations: [{ charge_id: b.id, amount_cents: 2_000 }] };
      const first = await api('POST', `/accounts/${acctid}/entries`, body, { key });
      assert.equal(first.statusCode, 201, first.body);
      assert.deepEqual(
        first.json<{ entry: EntryJson }>().entry.applied_to?.map((part) => [part.reference, part.amount_cents]),
        [
          ['INV-B', 2_000],
          ['INV-A', 1_000],
        ],
      );
      // The account moves on; the replay still answers as the first time did.
      await record(acctid, { kind: 'payment', amount_cents: 1_000 });
      const afterFirst = await written(acctid);
      const again = await api('POST', `/accounts/${acctid}/entries`, body, { key });
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.json(), first.json());
      assert.deepEqual(await written(acctid), afterFirst);
      const reused = problemOf(await api('POST', `/accounts/${acctid}/entries`, { ...body, allocations: [{ charge_id: a.id, amount_cents: 2_000 }] }, { key }), 422);
      assert.equal(reused.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await written(acctid), afterFirst);
    });
  });
}
