/** The staff account pages (/accounts) on each database: search, create, edit, close, record entries, history. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccount, setAccountClosed } from '../../src/modules/accounts/accounts.service.js';
import { recordEntry, type EntryKind } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';
import { addDays } from '../../src/shared/dates.js';

const ENV = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' };
const actor = { name: 'account-pages-test', ip: '127.0.0.1', requestId: 'req-account-pages' };

/** The page holds this exact text (markup included). */
function assertHas(body: string, text: string, message = `expected the page to contain ${text}`): void {
  assert.ok(body.includes(text), message);
}

function assertLacks(body: string, text: string, message = `expected the page not to contain ${text}`): void {
  assert.ok(!body.includes(text), message);
}

/** A word no other test's account names contain (the test databases are shared), lower-case. */
function uniqueWord(): string {
  return `w${randomBytes(5).toString('hex')}`;
}

/** The account ids in the results table, in order. */
function listedIds(body: string): string[] {
  return [...body.matchAll(/<tr><th scope="row"><a href="\/accounts\/([^"]+)">/g)].map((match) => decodeURIComponent(match[1]!));
}

/** The href of a pager link with this text, unescaped as a browser reads it; undefined when it is not a link. */
function linkHref(body: string, text: string): string | undefined {
  const match = [...body.matchAll(/<a href="([^"]+)"(?: rel="next")?>([^<]+)<\/a>/g)].find((link) => link[2] === text);
  return match?.[1]?.replaceAll('&amp;', '&');
}

/** The history table's rows as [kind, amount, memo, balance after]. */
function historyRows(body: string): string[][] {
  return historyCells(body).map(({ kind, amount, memo, balance }) => [kind, amount, memo, balance]);
}

/** The history table's rows, each cell's text (markup and all). */
function historyCells(body: string): { kind: string; date: string; reference: string; amount: string; memo: string; allocation: string; balance: string }[] {
  const rows = [
    ...body.matchAll(
      /<tr><th scope="row"><time datetime="[^"]+" title="[^"]+">[^<]+<\/time><\/th><td data-label="Who">[^<]*<\/td><td data-label="Kind">([^<]*)<\/td><td data-label="Date"><time datetime="([^"]+)" title="[^"]+">[^<]+<\/time><\/td><td data-label="Reference">([^<]*)<\/td><td class="num" data-label="Amount">([^<]*)<\/td><td data-label="Memo">([^<]*)<\/td><td data-label="Allocation">([^<]*)<\/td><td class="num" data-label="Balance after">([^<]*)<\/td><\/tr>/g,
    ),
  ];
  return rows.map(([, kind = '', date = '', reference = '', amount = '', memo = '', allocation = '', balance = '']) => ({ kind, date, reference, amount, memo, allocation, balance }));
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the account pages on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let clerkName: string;
    let clerkCookie: string;
    let viewerCookie: string;
    let adminCookie: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, ENV);
      const clerk = await addUser(db, 'clerk');
      const viewer = await addUser(db, 'viewer');
      const admin = await addUser(db, 'admin');
      clerkName = clerk.username;
      clerkCookie = (await signInWith(app, clerk.username, clerk.password)).cookie;
      viewerCookie = (await signInWith(app, viewer.username, viewer.password)).cookie;
      adminCookie = (await signInWith(app, admin.username, admin.password)).cookie;
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const get = (url: string, cookie = clerkCookie) => app.inject({ method: 'GET', url, headers: { cookie } });
    const post = (url: string, fields: Record<string, string> = {}, cookie = clerkCookie) => postStaffForm(app, cookie, url, fields);
    /** Follows a 303 as a browser would. */
    const follow = (reply: LightMyRequestResponse, cookie = clerkCookie) => {
      assert.equal(reply.statusCode, 303, `expected a 303, got ${reply.statusCode}`);
      return get(String(reply.headers.location), cookie);
    };

    /** An account made through the service (as an import or another page would), with entries if given. */
    async function account(name: string, entries: readonly [EntryKind, number][] = [], acctid = uniqueAcctId('P')): Promise<string> {
      await db.transaction().execute((trx) => createAccount(trx, actor, { acctid, name }));
      for (const [kind, amountCents] of entries) {
        await db.transaction().execute((trx) => recordEntry(trx, actor, { acctid, kind, amountCents: cents(amountCents), memo: kind === 'adjustment' ? 'test' : '' }));
      }
      return acctid;
    }
    const entryCount = async (acctid: string) => (await db.selectFrom('ledger_entry').select('id').where('acctid', '=', acctid).execute()).length;
    const search = async (query: string, cookie = clerkCookie) => {
      const reply = await get(`/accounts?${query}`, cookie);
      assert.equal(reply.statusCode, 200, `GET /accounts?${query} gave ${reply.statusCode}`);
      return listedIds(reply.body);
    };

    describe('the list', () => {
      test('finds an account by the start of its id, and by name words ignoring case and accents', async () => {
        const word = uniqueWord();
        const acctid = await account(`Zoë Ærøskøbing-Smith ${word}`, [['charge', 4000]]);
        const byId = await search(`q=${acctid.slice(0, 9).toLowerCase()}`);
        assert.ok(byId.includes(acctid), 'found by a lower-case id prefix');
        assert.ok(byId.every((id) => id.startsWith(acctid.slice(0, 9))), 'only ids with that prefix');
        assert.deepEqual(await search(`q=${encodeURIComponent(`zoe ${word}`)}`), [acctid]);
        assert.deepEqual(await search(`q=${encodeURIComponent(`SMITH ${word.toUpperCase()}`)}`), [acctid]);
        assert.deepEqual(await search(`q=${encodeURIComponent(`ærøskøbing ${word}`)}`), [acctid]);
        const page = await get(`/accounts?q=zoe+${word}`);
        assertHas(page.body, `<tr><th scope="row"><a href="/accounts/${acctid}">${acctid}</a></th><td data-label="Name">Zoë Ærøskøbing-Smith ${word}</td><td class="num" data-label="Balance">40.00 USD</td><td data-label="Status"><span class="pill pill-success">Open</span></td></tr>`);
        assertHas(page.body, `<caption>Accounts matching “zoe ${word}”, sorted by account ID, ascending</caption>`);
      });

      test('is accessible: labelled search controls, a GET form, a caption, header scopes, a live results region and a focusable scrolling table', async () => {
        const page = await get('/accounts');
        assert.equal(page.statusCode, 200);
        assert.equal(page.headers['cache-control'], 'no-store');
        assertHas(page.body, '<form method="get" action="/accounts">');
        for (const id of ['q', 'filter', 'sort', 'dir']) assertHas(page.body, `<label for="${id}">`, id);
        assertHas(page.body, '<input type="search" id="q" name="q"');
        assertHas(page.body, '<div aria-live="polite">');
        assertHas(page.body, '<div class="table-scroll money-table" role="group" aria-labelledby="results-heading" tabindex="0">');
        assertHas(page.body, '<th scope="col">Account ID</th><th scope="col">Name</th><th scope="col" class="num">Balance</th><th scope="col">Status</th>');
        assertHas(page.body, '<a href="/accounts" aria-current="page">Accounts</a>');
        assertHas(page.body, '<a href="/dashboard">Dashboard</a>');
        assert.ok(!/<form method="get"[^>]*>\n<input type="hidden" name="csrf_token"/.test(page.body), 'the GET form carries no token');
      });

      test('says so when nothing matches, and offers no next page', async () => {
        const page = await get(`/accounts?q=${uniqueWord()}`);
        assert.equal(page.statusCode, 200);
        assertHas(page.body, '<tr class="empty"><td colspan="4">No accounts match this search. <a href="/accounts">Clear the search</a> or <a href="/accounts/new">create an account</a>.</td></tr>');
        assert.equal(linkHref(page.body, 'Next page'), undefined);
      });

      test('filters open, owing, overpaid, settled and closed accounts', async () => {
        const word = uniqueWord();
        const owing = await account(`Owing ${word}`, [['charge', 1000]]);
        const overpaid = await account(`Overpaid ${word}`, [['payment', 500]]);
        const settled = await account(`Settled ${word}`);
        const closed = await account(`Closed ${word}`, [['charge', 700]]);
        await db.transaction().execute((trx) => setAccountClosed(trx, actor, closed, true));
        const found = async (filter: string) => (await search(`q=${word}&filter=${filter}`)).sort();
        assert.deepEqual(await found('all'), [owing, overpaid, settled, closed].sort());
        assert.deepEqual(await found('open'), [owing, overpaid, settled].sort());
        assert.deepEqual(await found('owing'), [owing, closed].sort());
        assert.deepEqual(await found('overpaid'), [overpaid]);
        assert.deepEqual(await found('settled'), [settled]);
        assert.deepEqual(await found('closed'), [closed]);
        const page = await get(`/accounts?q=${word}&filter=closed`);
        assertHas(page.body, `<td class="num" data-label="Balance">7.00 USD</td><td data-label="Status"><span class="pill pill-neutral">Closed</span></td>`);
        assert.match(page.body, /<option value="closed" selected>Closed<\/option>/, 'the filter stays chosen');
      });

      test('sorts by name, balance and id in either direction', async () => {
        const word = uniqueWord();
        const charlie = await account(`${word} Charlie`, [['charge', 100]]);
        const alpha = await account(`${word} alpha`, [['charge', 300]]);
        const bravo = await account(`${word} Bravo`, [['payment', 200]]);
        assert.deepEqual(await search(`q=${word}&sort=name`), [alpha, bravo, charlie]);
        assert.deepEqual(await search(`q=${word}&sort=name&dir=desc`), [charlie, bravo, alpha]);
        assert.deepEqual(await search(`q=${word}&sort=balance`), [bravo, charlie, alpha]);
        assert.deepEqual(await search(`q=${word}&sort=balance&dir=desc`), [alpha, charlie, bravo]);
        assert.deepEqual(await search(`q=${word}&sort=acctid&dir=desc`), [charlie, alpha, bravo].sort().reverse());
        const page = await get(`/accounts?q=${word}&sort=balance&dir=desc`);
        assert.match(page.body, /<option value="balance" selected>Balance<\/option>/);
        assert.match(page.body, /<option value="desc" selected>Descending<\/option>/);
      });

      test('keyset pages: each Next page continues where the last ended, with no overlap and no gap, and First page goes back', async () => {
        const word = uniqueWord();
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push(await account(`${word} Person ${i % 4}`, i % 3 === 0 ? [] : [['charge', 100 * (i % 3)]]));
        for (const sort of ['acctid', 'name', 'balance']) {
          const first = `/accounts?q=${word}&sort=${sort}&limit=3`;
          const seen: string[] = [];
          let url: string | undefined = first;
          let pages = 0;
          while (url !== undefined) {
            const page = await get(url);
            assert.equal(page.statusCode, 200, `${url}: ${page.statusCode}`);
            const listed = listedIds(page.body);
            assert.ok(listed.length > 0 && listed.length <= 3, `${sort} page ${pages + 1} has 1 to 3 rows`);
            seen.push(...listed);
            if (pages > 0) assert.equal(linkHref(page.body, 'First page'), `/accounts?q=${word}${sort === 'acctid' ? '' : `&sort=${sort}`}&limit=3`);
            else assertHas(page.body, '<span class="pager-disabled">First page</span>');
            url = linkHref(page.body, 'Next page');
            pages++;
            assert.ok(pages <= 3, 'no more pages than needed');
          }
          assert.equal(pages, 3, `${sort}: 3 + 3 + 1`);
          assert.equal(new Set(seen).size, seen.length, `${sort}: no account on two pages`);
          assert.deepEqual([...seen].sort(), [...ids].sort(), `${sort}: every account once`);
          assert.deepEqual(seen, await search(`q=${word}&sort=${sort}&limit=10`), `${sort}: the pages together are the one long page`);
        }
      });

      test('a refused query gets 400 with a message saying what to change, not a 500', async () => {
        const badFilter = await get('/accounts?q=abc&filter=everything');
        assert.equal(badFilter.statusCode, 400);
        assertHas(badFilter.body, '<a href="#filter">The filter must be one of: all, open, owing, overpaid, settled, closed.</a>');
        assertHas(badFilter.body, 'value="abc"', 'the search stays as typed');
        assertHas(badFilter.body, 'Nothing was searched');
        const badCursor = await get('/accounts?q=abc&cursor=not-a-cursor');
        assert.equal(badCursor.statusCode, 400);
        assertHas(badCursor.body, 'This page link is not valid');
        assert.equal(linkHref(badCursor.body, 'First page'), '/accounts?q=abc');
        const otherSort = await get(`/accounts?sort=name&cursor=${Buffer.from(JSON.stringify(['acctid', 'A', 'A'])).toString('base64url')}`);
        assert.equal(otherSort.statusCode, 400);
        const unknown = await get('/accounts?page=2');
        assert.equal(unknown.statusCode, 400);
        assertHas(unknown.body, 'This page does not understand “page” in its address.');
        const badLimit = await get('/accounts?limit=0');
        assert.equal(badLimit.statusCode, 400);
        assertHas(badLimit.body, 'The limit must be at least 1.');
        const badSort = await get('/accounts?sort=balance&dir=sideways');
        assert.equal(badSort.statusCode, 400);
        assertHas(badSort.body, '<a href="#dir">The direction must be asc or desc.</a>');
      });
    });

    describe('creating an account', () => {
      test('a clerk creates an account: 303 to its page, which says so; the audit row names the clerk', async () => {
        const acctid = uniqueAcctId('N');
        const reply = await post('/accounts', { acctid: ` ${acctid.toLowerCase()} `, name: ' Ana Lima ', email: 'ana@example.com', phone: '+1 555 0100', notes: 'Prefers email.\nSecond line.' });
        assert.equal(reply.statusCode, 303);
        assert.equal(reply.headers.location, `/accounts/${acctid}?done=created`);
        const page = await follow(reply);
        assert.match(page.body, /<div class="flash flash-success"><svg class="icon"[^]*?<\/svg><div role="status">The account was created\.<\/div><\/div>/);
        assertHas(page.body, `<h1>Account ${acctid}</h1>`);
        assertHas(page.body, '<dt>Name</dt><dd>Ana Lima</dd>');
        assertHas(page.body, '<dt>Email</dt><dd>ana@example.com</dd>');
        assertHas(page.body, '<dt>Phone</dt><dd>+1 555 0100</dd>');
        assertHas(page.body, '<dt>Payment terms</dt><dd>Net 30 <span class="hint">(invoices are due 30 days after their date)</span></dd>', 'left out, the terms are 30 days');
        assertHas(page.body, '<dt>Notes</dt><dd class="notes">Prefers email.\nSecond line.</dd>');
        assertHas(page.body, '<dt>Status</dt><dd>Open</dd>');
        assertHas(page.body, '<dt>Balance</dt><dd><strong>0.00 USD</strong></dd>');
        const audit = await db.selectFrom('audit_event').select(['actor']).where('action', '=', 'account.created').where('target', '=', acctid).execute();
        assert.deepEqual(audit, [{ actor: clerkName }]);
      });

      test('the form has a labelled field for each detail', async () => {
        const page = await get('/accounts/new');
        assert.equal(page.statusCode, 200);
        for (const id of ['acctid', 'name', 'email', 'phone', 'terms_days', 'notes']) assertHas(page.body, `<label for="${id}">`, id);
        assertHas(page.body, '<textarea id="notes" name="notes"');
        assertHas(page.body, '<form method="post" action="/accounts">');
      });

      test('a duplicate id gets 409 with the message beside the id, keeps what was typed, and changes nothing', async () => {
        const acctid = await account('First Owner');
        const reply = await post('/accounts', { acctid, name: 'Second Owner', email: 'second@example.com', phone: '', notes: 'typed notes' });
        assert.equal(reply.statusCode, 409);
        assertHas(reply.body, `<p class="field-error" id="acctid-error">An account with ID ${acctid} already exists.</p>`);
        assertHas(reply.body, `<a href="#acctid">An account with ID ${acctid} already exists.</a>`);
        assertHas(reply.body, `id="acctid" name="acctid" value="${acctid}"`);
        assertHas(reply.body, 'id="name" name="name" value="Second Owner"');
        assertHas(reply.body, 'id="email" name="email" value="second@example.com"');
        assertHas(reply.body, '>\ntyped notes</textarea>');
        const stored = await db.selectFrom('account').select('name').where('acctid', '=', acctid).executeTakeFirstOrThrow();
        assert.equal(stored.name, 'First Owner');
      });

      test('invalid fields get 400 with each message beside its field, and the form keeps what was typed', async () => {
        const reply = await post('/accounts', { acctid: 'bad id!', name: '   ', email: 'not-an-email', phone: 'call me', notes: 'kept <b>as typed</b>' });
        assert.equal(reply.statusCode, 400);
        assertHas(reply.body, '<p class="field-error" id="acctid-error">Account IDs contain only letters, digits, hyphens, underscores and dots.</p>');
        assertHas(reply.body, '<p class="field-error" id="name-error">Please enter a name.</p>');
        assertHas(reply.body, '<p class="field-error" id="email-error">Please enter an email address like name@example.com.</p>');
        assertHas(reply.body, '<p class="field-error" id="phone-error">Please enter a phone number using digits, spaces, + ( ) - and dots.</p>');
        assertHas(reply.body, 'id="acctid" name="acctid" value="bad id!"');
        assertHas(reply.body, 'id="email" name="email" value="not-an-email"');
        assertHas(reply.body, 'id="phone" name="phone" value="call me"');
        assertHas(reply.body, '>\nkept &lt;b&gt;as typed&lt;/b&gt;</textarea>');
        assertHas(reply.body, 'aria-invalid="true" aria-describedby="email-error"');
        const empty = await post('/accounts', {});
        assert.equal(empty.statusCode, 400);
        assertHas(empty.body, 'Please enter an account ID.');
        assertHas(empty.body, 'Please enter a name.');
      });
    });

    describe('payment terms', () => {
      const TERMS_ERROR = '<p class="field-error" id="terms_days-error">Please enter the payment terms as a whole number of days from 0 to 365, such as 30 (0 means due on receipt).</p>';

      test('the new-account form offers 30 days with a hint saying what the number means', async () => {
        const page = await get('/accounts/new');
        assertHas(page.body, '<label for="terms_days">Payment terms (days)</label>');
        assertHas(page.body, '<p class="hint" id="terms_days-hint">Invoices are due this many days after their date; 0 = due on receipt. From 0 to 365, usually 30.</p>');
        assertHas(page.body, '<input type="text" id="terms_days" name="terms_days" value="30" maxlength="3" inputmode="numeric" autocomplete="off" required aria-describedby="terms_days-hint">');
      });

      test('an account created with terms shows them: Net 14, or Due on receipt for 0; the audit row has them', async () => {
        const net = uniqueAcctId('N');
        const page = await follow(await post('/accounts', { acctid: net, name: 'Net Fourteen', terms_days: ' 14 ' }));
        assertHas(page.body, '<dt>Payment terms</dt><dd>Net 14 <span class="hint">(invoices are due 14 days after their date)</span></dd>');
        const onReceipt = uniqueAcctId('N');
        const receipt = await follow(await post('/accounts', { acctid: onReceipt, name: 'On Receipt', terms_days: '0' }));
        assertHas(receipt.body, '<dt>Payment terms</dt><dd>Due on receipt <span class="hint">(invoices are due on their date)</span></dd>');
        const stored = await db.selectFrom('account').select(['acctid', 'terms_days']).where('acctid', 'in', [net, onReceipt]).orderBy('acctid').execute();
        assert.deepEqual(stored.map((row) => [row.acctid, Number(row.terms_days)]).sort(), [[net, 14], [onReceipt, 0]].sort());
        const audit = await db.selectFrom('audit_event').select('after_json').where('action', '=', 'account.created').where('target', '=', net).executeTakeFirstOrThrow();
        assert.equal((JSON.parse(audit.after_json ?? '{}') as { terms_days?: number }).terms_days, 14);
      });

      test('terms that are not whole days from 0 to 365 get 400 beside the field, kept as typed, and nothing is created', async () => {
        for (const typed of ['366', '-1', '1.5', '', 'thirty', '30 days']) {
          const acctid = uniqueAcctId('N');
          const reply = await post('/accounts', { acctid, name: 'Bad Terms', terms_days: typed });
          assert.equal(reply.statusCode, 400, typed);
          assertHas(reply.body, TERMS_ERROR, typed);
          assertHas(reply.body, '<a href="#terms_days">Please enter the payment terms', typed);
          assertHas(reply.body, `id="terms_days" name="terms_days" value="${typed}"`, typed);
          assertHas(reply.body, 'id="name" name="name" value="Bad Terms"', typed);
          assert.equal(await db.selectFrom('account').select('acctid').where('acctid', '=', acctid).executeTakeFirst(), undefined, typed);
        }
      });

      test('editing the terms is audited with before and after, and applies to charges recorded afterwards only', async () => {
        const acctid = await account('Changing Terms');
        const form = await get(`/accounts/${acctid}/edit`);
        assertHas(form.body, 'id="terms_days" name="terms_days" value="30"');
        assertHas(form.body, 'A change applies to invoices recorded from now on; recorded invoices keep their due dates.');
        assert.equal((await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '10.00', memo: 'before' })).statusCode, 303);

        const refused = await post(`/accounts/${acctid}`, { name: 'Changing Terms', terms_days: '400' });
        assert.equal(refused.statusCode, 400);
        assertHas(refused.body, TERMS_ERROR);
        assertHas(refused.body, 'id="terms_days" name="terms_days" value="400"');

        const page = await follow(await post(`/accounts/${acctid}`, { name: 'Changing Terms', email: '', phone: '', notes: '', terms_days: '45' }));
        assertHas(page.body, '<dt>Payment terms</dt><dd>Net 45 <span class="hint">(invoices are due 45 days after their date)</span></dd>');
        const audit = await db.selectFrom('audit_event').select(['actor', 'before_json', 'after_json']).where('action', '=', 'account.updated').where('target', '=', acctid).execute();
        assert.deepEqual(
          audit.map((event) => [event.actor, JSON.parse(event.before_json ?? 'null') as unknown, JSON.parse(event.after_json ?? 'null') as unknown]),
          [[clerkName, { terms_days: 30 }, { terms_days: 45 }]],
        );

        assert.equal((await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '20.00', memo: 'after' })).statusCode, 303);
        const charges = await db.selectFrom('ledger_entry').select(['memo', 'effective_on', 'due_on']).where('acctid', '=', acctid).orderBy('id').execute();
        assert.deepEqual(
          charges.map((charge) => [charge.memo, charge.due_on]),
          [
            ['before', addDays(charges[0]!.effective_on, 30)],
            ['after', addDays(charges[1]!.effective_on, 45)],
          ],
        );
      });

      test('an edit form sent without the terms (a page from before they existed) leaves them as they were', async () => {
        const acctid = uniqueAcctId('N');
        await follow(await post('/accounts', { acctid, name: 'Kept Terms', terms_days: '60' }));
        await follow(await post(`/accounts/${acctid}`, { name: 'Kept Terms Renamed' }));
        const stored = await db.selectFrom('account').select(['name', 'terms_days']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
        assert.deepEqual([stored.name, Number(stored.terms_days)], ['Kept Terms Renamed', 60]);
      });
      test('reminders: on for a new account, turned off on the edit form and shown on the page, audited; a value not offered is refused beside the field', async () => {
        const acctid = uniqueAcctId('N');
        await follow(await post('/accounts', { acctid, name: 'Reminded' }));
        const form = await get(`/accounts/${acctid}/edit`);
        assertHas(form.body, '<option value="on" selected>On: e-mail reminders when invoices are overdue</option>');
        const refused = await post(`/accounts/${acctid}`, { name: 'Reminded', reminders: 'maybe' });
        assert.equal(refused.statusCode, 400);
        assertHas(refused.body, '<p class="field-error" id="reminders-error">Please choose whether this account is sent overdue reminders.</p>');
        const page = await follow(await post(`/accounts/${acctid}`, { name: 'Reminded', reminders: 'off' }));
        assertHas(page.body, '<dt>Reminders</dt><dd>Off <span class="hint">(no overdue reminders are sent)</span></dd>');
        assertHas((await get(`/accounts/${acctid}/edit`)).body, '<option value="off" selected>');
        const audit = await db.selectFrom('audit_event').select(['before_json', 'after_json']).where('action', '=', 'account.updated').where('target', '=', acctid).execute();
        assert.deepEqual(
          audit.map((event) => [JSON.parse(event.before_json ?? 'null') as unknown, JSON.parse(event.after_json ?? 'null') as unknown]),
          [[{ reminders: true }, { reminders: false }]],
        );
        await follow(await post(`/accounts/${acctid}`, { name: 'Reminded Renamed' }));
        assert.equal(Number((await db.selectFrom('account').select('reminders').where('acctid', '=', acctid).executeTakeFirstOrThrow()).reminders), 0, 'a form without the field leaves it');
      });
    });

    describe('editing, closing and reopening', () => {
      test('editing saves the details, audited, and a refused change keeps what was typed', async () => {
        const acctid = await account('Old Name');
        const form = await get(`/accounts/${acctid}/edit`);
        assert.equal(form.statusCode, 200);
        assertHas(form.body, `<form method="post" action="/accounts/${acctid}">`);
        assertHas(form.body, 'id="name" name="name" value="Old Name"');
        assertLacks(form.body, 'name="acctid"', 'the id cannot be edited');

        const refused = await post(`/accounts/${acctid}`, { name: '', email: 'x@', phone: '', notes: 'n' });
        assert.equal(refused.statusCode, 400);
        assertHas(refused.body, '<p class="field-error" id="name-error">Please enter a name.</p>');
        assertHas(refused.body, 'id="email" name="email" value="x@"');

        const saved = await post(`/accounts/${acctid}`, { name: 'Néw Name', email: 'new@example.com', phone: '555 0101', notes: 'Changed.' });
        assert.equal(saved.headers.location, `/accounts/${acctid}?done=updated`);
        const page = await follow(saved);
        assertHas(page.body, 'role="status">The account’s details were saved.</div>');
        assertHas(page.body, '<dt>Name</dt><dd>Néw Name</dd>');
        assertHas(page.body, '<dt>Phone</dt><dd>555 0101</dd>');
        assert.deepEqual(await search(`q=NEW+${acctid.toLowerCase()}`), [acctid], 'found by its new name');
        const audit = await db.selectFrom('audit_event').select(['actor', 'before_json']).where('action', '=', 'account.updated').where('target', '=', acctid).execute();
        assert.equal(audit.length, 1);
        assert.equal(audit[0]?.actor, clerkName);
      });

      test('a closed account shows Closed, refuses a charge beside the kind but takes a payment; reopened, it takes charges again', async () => {
        const acctid = await account('Closing Time', [['charge', 5000]]);
        const closed = await post(`/accounts/${acctid}/close`);
        assert.equal(closed.headers.location, `/accounts/${acctid}?done=closed`);
        const page = await follow(closed);
        assertHas(page.body, 'role="status">The account was closed.');
        assertHas(page.body, '<dt>Status</dt><dd><strong class="status-closed">Closed</strong> since ');
        assertHas(page.body, `<form method="post" action="/accounts/${acctid}/reopen">`);
        assertHas((await search(`q=${acctid}`)).join(), acctid);

        const charge = await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '10.00', memo: 'late' });
        assert.equal(charge.statusCode, 409);
        assertHas(charge.body, `<p class="field-error" id="kind-error">Account ${acctid} is closed: it takes payments and adjustments, but no new charges. Reopen it first.</p>`);
        assert.match(charge.body, /<option value="charge" selected>/);
        assertHas(charge.body, 'id="amount" name="amount" value="10.00"');
        assertHas(charge.body, 'id="memo" name="memo" value="late"');
        assert.equal(await entryCount(acctid), 1, 'the charge was not recorded');

        const payment = await follow(await post(`/accounts/${acctid}/entries`, { kind: 'payment', amount: '20', memo: '' }));
        assertHas(payment.body, 'Recorded a payment of 20.00 USD. The balance is now 30.00 USD.');

        const again = await post(`/accounts/${acctid}/close`);
        assert.equal(again.statusCode, 409);
        assertHas(again.body, `role="alert">Account ${acctid} is already closed.</div>`);

        const reopened = await follow(await post(`/accounts/${acctid}/reopen`));
        assertHas(reopened.body, 'The account was reopened');
        assertHas(reopened.body, '<dt>Status</dt><dd>Open</dd>');
        assert.equal((await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '1.50', memo: '' })).statusCode, 303);
        const actions = await db.selectFrom('audit_event').select('action').where('target', '=', acctid).where('action', 'in', ['account.closed', 'account.reopened']).orderBy('id').execute();
        assert.deepEqual(actions.map((row) => row.action), ['account.closed', 'account.reopened']);
      });
    });

    describe('recording entries', () => {
      test('the entry form records a payment and the flash names it and the new balance', async () => {
        const acctid = await account('Payer', [['charge', 1000]]);
        const reply = await post(`/accounts/${acctid}/entries`, { kind: 'payment', amount: '2.50', memo: 'cheque 12' });
        assert.equal(reply.statusCode, 303);
        const location = String(reply.headers.location);
        assert.ok(location.startsWith(`/accounts/${acctid}?`), location);
        assert.match(location, /\?done=entry&entry=\d+$/);
        const page = await follow(reply);
        assert.match(page.body, /<div class="flash flash-success"><svg class="icon"[^]*?<\/svg><div role="status">Recorded a payment of 2\.50 USD\. The balance is now 7\.50 USD\.<\/div><\/div>/);
        assertHas(page.body, '<dt>Paid</dt><dd>2.50 USD</dd>');
        assertHas(page.body, '<dt>Balance</dt><dd><strong>7.50 USD</strong></dd>');
        const [entry] = await db.selectFrom('ledger_entry').select(['kind', 'amount_cents', 'memo', 'actor']).where('acctid', '=', acctid).where('kind', '=', 'payment').execute();
        assert.deepEqual({ ...entry, amount_cents: Number(entry?.amount_cents) }, { kind: 'payment', amount_cents: 250, memo: 'cheque 12', actor: clerkName });

        const adjustment = await follow(await post(`/accounts/${acctid}/entries`, { kind: 'adjustment', amount: '-5.00', memo: 'goodwill' }));
        assertHas(adjustment.body, 'Recorded an adjustment of -5.00 USD. The balance is now 2.50 USD.');
      });

      test('an amount that is not a number with at most two decimals, or the wrong sign, is refused beside the field and kept as typed', async () => {
        const acctid = await account('Careful Typist', [['charge', 1000]]);
        for (const amount of ['12.345', 'abc', '1,000.00', '$5', '']) {
          const reply = await post(`/accounts/${acctid}/entries`, { kind: 'payment', amount, memo: 'typed memo' });
          assert.equal(reply.statusCode, 400, amount);
          assert.match(reply.body, /<p class="field-error" id="amount-error">Please enter an amount like 12\.34/, amount);
          assertHas(reply.body, `id="amount" name="amount" value="${amount.replace('&', '&amp;')}"`, amount);
          assertHas(reply.body, 'id="memo" name="memo" value="typed memo"', amount);
        }
        const negative = await post(`/accounts/${acctid}/entries`, { kind: 'payment', amount: '-5.00', memo: '' });
        assert.equal(negative.statusCode, 400);
        assertHas(negative.body, '<p class="field-error" id="amount-error">A payment needs an amount above zero, like 12.34.');
        const zeroCharge = await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '0', memo: '' });
        assert.equal(zeroCharge.statusCode, 400);
        const noMemo = await post(`/accounts/${acctid}/entries`, { kind: 'adjustment', amount: '-1.00', memo: ' ' });
        assert.equal(noMemo.statusCode, 400);
        assertHas(noMemo.body, '<p class="field-error" id="memo-error">An adjustment needs a memo saying why.</p>');
        assert.match(noMemo.body, /<option value="adjustment" selected>/);
        const zeroAdjustment = await post(`/accounts/${acctid}/entries`, { kind: 'adjustment', amount: '0.00', memo: 'nothing' });
        assert.equal(zeroAdjustment.statusCode, 400);
        assertHas(zeroAdjustment.body, '<p class="field-error" id="amount-error">An adjustment must change the balance: its amount cannot be zero.</p>');
        const tooLarge = await post(`/accounts/${acctid}/entries`, { kind: 'charge', amount: '1000000000.01', memo: '' });
        assert.equal(tooLarge.statusCode, 400);
        assertHas(tooLarge.body, 'id="amount-error">A charge&#39;s amount must be more than 0.00 and at most 1000000000.00 USD.</p>');
        const badKind = await post(`/accounts/${acctid}/entries`, { kind: 'refund', amount: '1.00', memo: '' });
        assert.equal(badKind.statusCode, 400);
        assertHas(badKind.body, '<p class="field-error" id="kind-error">Please choose what to record: a payment, a charge or an adjustment.</p>');
        assert.equal(await entryCount(acctid), 1, 'only the opening charge');
      });

      test('the same entry form sent twice records one entry', async () => {
        const acctid = await account('Double Clicker', [['charge', 1000]]);
        const fields = { kind: 'payment', amount: '1.00', memo: 'once', entry_key: '0b7e6c5e-1f7a-4c1e-9d1a-5d0c2b6f9a11' };
        const first = await post(`/accounts/${acctid}/entries`, fields);
        const second = await post(`/accounts/${acctid}/entries`, fields);
        assert.equal(first.statusCode, 303);
        assert.equal(second.headers.location, first.headers.location);
        assert.equal(await entryCount(acctid), 2, 'the opening charge and one payment');
        const reused = await post(`/accounts/${acctid}/entries`, { ...fields, amount: '2.00' });
        assert.equal(reused.statusCode, 422);
        assertHas(reused.body, 'This form was already used for another entry.');
        assertHas(reused.body, 'id="amount" name="amount" value="2.00"');
      });

      test('the history shows each entry with who and the running balance, newest first, 25 a page', async () => {
        const acctid = await account('Long History');
        for (let i = 1; i <= 27; i++) {
          await db.transaction().execute((trx) => recordEntry(trx, { ...actor, name: `writer-${i % 2}` }, { acctid, kind: i % 3 === 0 ? 'payment' : 'charge', amountCents: cents(i * 100), memo: `entry ${i}` }));
        }
        let balance = 0;
        const expected: string[][] = [];
        for (let i = 1; i <= 27; i++) {
          const payment = i % 3 === 0;
          balance += payment ? -i * 100 : i * 100;
          expected.unshift([payment ? 'payment' : 'charge', `${i}.00 USD`, `entry ${i}`, `${(balance / 100).toFixed(2)} USD`]);
        }
        const first = await get(`/accounts/${acctid}`);
        assertHas(first.body, '<caption>Ledger entries, newest first</caption>');
        assertHas(
          first.body,
          '<th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Kind</th><th scope="col">Date</th><th scope="col">Reference</th><th scope="col" class="num">Amount</th><th scope="col">Memo</th><th scope="col">Allocation</th><th scope="col" class="num">Balance after</th>',
        );
        assertHas(first.body, '<div class="table-scroll money-table" role="group" aria-labelledby="history-heading" tabindex="0">');
        assert.match(first.body, /<tr><th scope="row"><time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z" title="[^"]+">[^<]+<\/time><\/th><td data-label="Who">writer-1<\/td><td data-label="Kind">payment<\/td>/);
        assert.deepEqual(historyRows(first.body), expected.slice(0, 25));
        assertHas(first.body, '<span class="pager-disabled">Newest entries</span>');
        const older = linkHref(first.body, 'Older entries');
        assert.ok(older?.startsWith(`/accounts/${acctid}?before=`), 'an Older entries link');
        const second = await get(older!);
        assert.deepEqual(historyRows(second.body), expected.slice(25));
        assert.equal(linkHref(second.body, 'Newest entries'), `/accounts/${acctid}`);
        assertHas(second.body, '<span class="pager-disabled">Older entries</span>');
        assert.equal((await get(`/accounts/${acctid}?before=abc`)).statusCode, 400);
      });
    });

    describe('who may do what', () => {
      test('a viewer reads the list and the account but sees no forms, and gets 403 on every change', async () => {
        const acctid = await account('Read Only', [['charge', 1200]]);
        const list = await get('/accounts', viewerCookie);
        assert.equal(list.statusCode, 200);
        assertLacks(list.body, 'href="/accounts/new"');
        const page = await get(`/accounts/${acctid}`, viewerCookie);
        assert.equal(page.statusCode, 200);
        assertHas(page.body, '<dt>Balance</dt><dd><strong>12.00 USD</strong></dd>');
        assert.deepEqual(historyRows(page.body), [['charge', '12.00 USD', '—', '12.00 USD']]);
        assertLacks(page.body, 'Record an entry');
        assertLacks(page.body, '/entries"');
        assertLacks(page.body, '/close"');
        assertLacks(page.body, '/edit"');
        assert.equal((await get('/accounts/new', viewerCookie)).statusCode, 403);
        assert.equal((await get(`/accounts/${acctid}/edit`, viewerCookie)).statusCode, 403);
        for (const [url, fields] of [
          ['/accounts', { acctid: uniqueAcctId('V'), name: 'Viewer Made' }],
          [`/accounts/${acctid}/entries`, { kind: 'payment', amount: '1.00', memo: '' }],
          [`/accounts/${acctid}`, { name: 'Renamed' }],
          [`/accounts/${acctid}/close`, {}],
          [`/accounts/${acctid}/reopen`, {}],
        ] as const) {
          assert.equal((await post(url, fields, viewerCookie)).statusCode, 403, url);
        }
        assert.equal(await entryCount(acctid), 1);
        assert.equal((await db.selectFrom('account').select('name').where('acctid', '=', acctid).executeTakeFirstOrThrow()).name, 'Read Only');
      });

      test('a clerk sees the entry form and the edit and close controls; an admin too', async () => {
        const acctid = await account('Managed');
        for (const cookie of [clerkCookie, adminCookie]) {
          const page = await get(`/accounts/${acctid}`, cookie);
          assertHas(page.body, `<form method="post" action="/accounts/${acctid}/entries">`);
          assertHas(page.body, `<a href="/accounts/${acctid}/edit">Edit details</a>`);
          assertHas(page.body, `<form method="post" action="/accounts/${acctid}/close">`);
          for (const id of ['kind', 'amount', 'memo']) assertHas(page.body, `<label for="${id}">`, id);
          assertHas(page.body, '<a href="/accounts" aria-current="page">Accounts</a>');
        }
      });

      test('an unknown account is a 404 page, a malformed id a 400 message; a lower-case id finds the account', async () => {
        const missing = uniqueAcctId('X');
        const unknown = await get(`/accounts/${missing}`);
        assert.equal(unknown.statusCode, 404);
        assertHas(unknown.body, `There is no account ${missing}.`);
        assert.equal((await post(`/accounts/${missing}/entries`, { kind: 'payment', amount: '1.00', memo: '' })).statusCode, 404);
        assert.equal((await post(`/accounts/${missing}/close`)).statusCode, 404);
        assert.equal((await get(`/accounts/${missing}/edit`)).statusCode, 404);
        assert.equal((await post(`/accounts/${missing}`, { name: '' })).statusCode, 404);
        const malformed = await get('/accounts/bad%20id%3C');
        assert.equal(malformed.statusCode, 400);
        assertHas(malformed.body, 'Account IDs contain only letters, digits, hyphens, underscores and dots.');
        assert.equal((await get(`/accounts/${'A'.repeat(16)}`)).statusCode, 400);
        const acctid = await account('Case Blind');
        const lower = await get(`/accounts/${acctid.toLowerCase()}`);
        assert.equal(lower.statusCode, 200);
        assertHas(lower.body, `<h1>Account ${acctid}</h1>`);
      });
    });
  });
}
