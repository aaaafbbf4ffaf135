/**
 * The staff account page's invoices, on each database: the Invoices section
 * (open oldest due first, then paid, with how late), "paid INV-1 and INV-2"
 * in the history, and the entry form's date, due date, reference and
 * "apply to", whose refusals show the form again with nothing recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { testApp } from '../support/app.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

/** UTC+14: "today" on the page is the business's day, often not UTC's. */
const ZONE = 'Pacific/Kiritimati';
const actor = { name: 'invoice-pages-test', ip: '127.0.0.1', requestId: 'req-invoice-pages' };

function assertHas(body: string, text: string): void {
  assert.ok(body.includes(text), `expected the page to contain ${text}`);
}

/** The Invoices table's rows as [invoice, date, due, amount, open, status], markup removed. */
function invoiceRows(body: string): string[][] {
  const section = /<section class="wide" aria-labelledby="invoices-heading">([\s\S]*?)<\/section>/.exec(body)?.[1] ?? '';
  const rows = [...section.matchAll(/<tr><th scope="row">([\s\S]*?)<\/tr>/g)].map((match) => `<th>${match[1]}`);
  return rows.map((row) => [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '')));
}

/** Each history row's [kind, reference, allocation] (newest first). */
function historyAllocations(body: string): string[][] {
  return [...body.matchAll(/<td data-label="Kind">([^<]*)<\/td>.*?<td data-label="Reference">([^<]*)<\/td>.*?<td data-label="Allocation">([^<]*)<\/td>/g)].map((match) => match.slice(1));
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the account page's invoices on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let cookie: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0', CRM_TIME_ZONE: ZONE });
      const clerk = await addUser(db, 'clerk');
      cookie = (await signInWith(app, clerk.username, clerk.password)).cookie;
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
    const post = (url: string, fields: Record<string, string>) => postStaffForm(app, cookie, url, fields);

    async function account(termsDays = 30): Promise<string> {
      const acctid = uniqueAcctId('INV');
      await db.transaction().execute((trx) => createAccount(trx, actor, { acctid, name: 'Invoiced Customer' }));
      await db.updateTable('account').set({ terms_days: termsDays }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'amountCents' | 'memo'> & { amountCents: number; memo?: string }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { timeZone: ZONE }));
    /** Everything an entry writes for the account. */
    const written = async (acctid: string) => {
      const entries = await db.selectFrom('ledger_entry').select('id').where('acctid', '=', acctid).execute();
      const allocations = await db.selectFrom('allocation').select('id').where('acctid', '=', acctid).execute();
      const account = await db.selectFrom('account').select(['paid_cents', 'due_cents']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
      return [entries.length, allocations.length, Number(account.paid_cents), Number(account.due_cents)];
    };

    test('the Invoices section lists open invoices oldest due first with how late, then the paid ones; the history says what each payment paid', async () => {
      const today = dateIn(ZONE);
      const daysAgo = (days: number) => addDays(today, -days);
      const acctid = await account(30);
      const first = await record(acctid, { kind: 'charge', amountCents: 10_000, effectiveOn: daysAgo(120), reference: 'INV-1' }); // due 90 days ago
      const second = await record(acctid, { kind: 'charge', amountCents: 6_000, effectiveOn: daysAgo(100), dueOn: daysAgo(70), reference: 'INV-2' });
      const third = await record(acctid, { kind: 'charge', amountCents: 4_000, effectiveOn: today }); // due in 30 days, no reference
      await record(acctid, { kind: 'payment', amountCents: 13_000, effectiveOn: daysAgo(10), memo: 'transfer' });
      assert.equal(first.dueOn, daysAgo(90));

      const page = await get(`/accounts/${acctid}`);
      assert.equal(page.statusCode, 200);
      assertHas(page.body, '<h2 id="invoices-heading">Invoices</h2>');
      assertHas(page.body, '<p>2 open invoices: 70.00 USD open, of which <strong class="late-amount">30.00 USD late</strong>.</p>');
      const rows = invoiceRows(page.body);
      assert.deepEqual(
        rows.map(([invoice, , , amount, open, status]) => [invoice, amount, open, status]),
        [
          ['INV-2', '60.00', '30.00', '70 days late'],
          [`#${third.id}`, '40.00', '40.00', 'Open'],
          ['INV-1', '100.00', '0.00', 'Paid'],
        ],
      );
      assertHas(page.body, `<td data-label="Due"><time datetime="${second.dueOn}"`);
      assertHas(page.body, '<span class="pill pill-danger">70 days late</span>');
      assert.deepEqual(historyAllocations(page.body)[0], ['payment', '—', 'paid INV-1 and INV-2']);
      assert.deepEqual(historyAllocations(page.body)[1]?.slice(0, 2), ['charge', '—']);
      assert.deepEqual(historyAllocations(page.body).slice(2), [
        ['charge', 'INV-2', '30.00 USD open'],
        ['charge', 'INV-1', 'paid'],
      ]);
    });

    test('an account without invoices says so, and offers no invoice to apply a payment to', async () => {
      const acctid = await account();
      const page = await get(`/accounts/${acctid}`);
      assertHas(page.body, '<p class="hint">No open invoices.</p>');
      assertHas(page.body, 'No invoices yet. Record a charge to invoice this account.');
      assert.ok(!page.body.includes('name="apply_to"'));
    });

    test("the form offers a date (today in the business time zone, no later), a due date defaulting to the account's terms, and a reference", async () => {
      const acctid = await account(14);
      await record(acctid, { kind: 'charge', amountCents: 2_500, effectiveOn: '2026-01-02', reference: 'INV-77' });
      const today = dateIn(ZONE);
      const page = await get(`/accounts/${acctid}`);
      assertHas(page.body, `<input type="date" id="effective_on" name="effective_on" value="${today}" max="${today}"`);
      assertHas(page.body, '<input type="date" id="due_on" name="due_on" value=""');
      assertHas(page.body, 'defaults to the date + 14 days&#39; terms.');
      assertHas(page.body, '<input type="text" id="reference" name="reference" value="" maxlength="40"');
      assertHas(page.body, '<option value="" selected>Oldest due first (default)</option>');
      assert.match(page.body, /<option value="\d+">INV-77: 25\.00 USD open, due Jan 16, 2026<\/option>/);
    });

    test('the form records a charge with its date, due date and reference, and a payment applied to the invoice chosen', async () => {
      const acctid = await account();
      await record(acctid, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-01-01', reference: 'OLD-1' });
      const charged = await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '50.00', effective_on: '2026-02-01', due_on: '2026-02-15', reference: ' INV-NEW ', memo: '' });
      assert.equal(charged.statusCode, 303, charged.body);
      const invoice = await db.selectFrom('ledger_entry').select(['id', 'effective_on', 'due_on', 'reference']).where('acctid', '=', acctid).where('reference', '=', 'INV-NEW').executeTakeFirstOrThrow();
      assert.deepEqual([invoice.effective_on, invoice.due_on], ['2026-02-01', '2026-02-15']);

      // Without a choice the payment would pay OLD-1 (due first); the invoice chosen takes it all.
      const paid = await post(`/accounts/${acctid}/entries`, { kind: 'payment', amount: '20.00', effective_on: '2026-03-01', apply_to: String(invoice.id), memo: '' });
      assert.equal(paid.statusCode, 303, paid.body);
      const page = await get(String(paid.headers.location));
      assert.deepEqual(historyAllocations(page.body)[0], ['payment', '—', 'paid INV-NEW']);
      assert.deepEqual(
        invoiceRows(page.body).map(([invoice, , , , open]) => [invoice, open]),
        [
          ['OLD-1', '10.00'],
          ['INV-NEW', '30.00'],
        ],
      );
      assertHas(page.body, '<td data-label="Date"><time datetime="2026-03-01"');
    });

    test('a refused date, due date, reference or invoice shows the form again with the message at its field, as typed, and records nothing', async () => {
      const acctid = await account();
      const other = await account();
      await record(acctid, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-01-01', reference: 'INV-1' });
      const foreign = await record(other, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-01-01' });
      const small = await record(acctid, { kind: 'charge', amountCents: 500, effectiveOn: '2026-01-02', reference: 'INV-2' });
      const tomorrow = addDays(dateIn(ZONE), 1);
      const before = await written(acctid);
      const refused: [Record<string, string>, number, string, string][] = [
        [{ kind: 'payment', amount: '1.00', effective_on: '2026-02-30' }, 400, 'effective_on', 'Please enter the date as a real day, like 2026-12-05.'],
        [{ kind: 'payment', amount: '1.00', effective_on: tomorrow }, 400, 'effective_on', 'The date cannot be in the future: today is '],
        [{ kind: 'charge', amount: '1.00', effective_on: '2026-03-10', due_on: '2026-03-09' }, 400, 'due_on', 'The due date cannot be before the date.'],
        [{ kind: 'charge', amount: '1.00', due_on: 'next week' }, 400, 'due_on', 'Please enter the due date as a real day, like 2026-12-31, or leave it empty.'],
        [{ kind: 'payment', amount: '1.00', due_on: '2026-03-09' }, 400, 'due_on', 'Only a charge has a due date: leave it empty for a payment.'],
        [{ kind: 'charge', amount: '1.00', reference: 'R'.repeat(41) }, 400, 'reference', 'The reference can be at most 40 characters.'],
        [{ kind: 'charge', amount: '1.00', apply_to: String(small.id) }, 400, 'apply_to', 'Only a payment or a credit (an adjustment below zero) pays an invoice'],
        [{ kind: 'payment', amount: '1.00', apply_to: 'INV-2' }, 400, 'apply_to', 'Please choose an open invoice from the list'],
        [{ kind: 'payment', amount: '1.00', apply_to: String(foreign.id) }, 422, 'apply_to', `Account ${acctid} has no invoice (charge) with id ${foreign.id}.`],
        [{ kind: 'payment', amount: '6.00', apply_to: String(small.id) }, 422, 'apply_to', `Invoice ${small.id} has 5.00 USD open: at most that can be applied to it.`],
      ];
      for (const [fields, status, field, message] of refused) {
        const reply = await post(`/accounts/${acctid}/entries`, { memo: 'typed memo', ...fields });
        assert.equal(reply.statusCode, status, `${JSON.stringify(fields)}: ${reply.statusCode}`);
        assertHas(reply.body, `<p class="field-error" id="${field}-error">${message.replaceAll("'", '&#39;')}`);
        assertHas(reply.body, `<a href="#${field}">`);
        assertHas(reply.body, 'id="memo" name="memo" value="typed memo"');
        if (fields.effective_on !== undefined) assertHas(reply.body, `id="effective_on" name="effective_on" value="${fields.effective_on}"`);
        if (fields.reference !== undefined) assertHas(reply.body, `id="reference" name="reference" value="${fields.reference}"`);
        assert.deepEqual(await written(acctid), before, `${JSON.stringify(fields)} recorded nothing`);
      }
    });
  });
}
