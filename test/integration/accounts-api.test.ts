/** The accounts and ledger JSON API on each database: CRUD, search and paging, entries and their running balance, refusals, roles. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import { addDays } from '../../src/shared/dates.js';
import type { Database } from '../../src/schema.js';
import type { EntryJson, Problem } from '../support/api-json.js';
import { testApp } from '../support/app.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

interface AccountJson {
  acctid: string;
  name: string;
  email: string | null;
  phone: string | null;
  notes: string;
  terms_days: number;
  reminders: boolean;
  status: 'open' | 'closed';
  closed_at: string | null;
  paid_cents: number;
  paid: string;
  due_cents: number;
  due: string;
  balance_cents: number;
  balance: string;
  created_at: string;
  updated_at: string;
}
/** An entry without what later entries change (what is open of it, what paid it): the entry as recorded. */
function recordedPart(entry: EntryJson): Partial<EntryJson> {
  const part: Partial<EntryJson> = { ...entry };
  for (const key of ['open_cents', 'paid_by', 'unapplied_cents', 'applied_to'] as const) delete part[key];
  return part;
}
const ACCOUNT_KEYS = ['acctid', 'name', 'email', 'phone', 'notes', 'terms_days', 'reminders', 'status', 'closed_at', 'paid_cents', 'paid', 'due_cents', 'due', 'balance_cents', 'balance', 'created_at', 'updated_at'];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A word no other test's account names contain: a search for it finds this test's accounts only. */
const uniqueWord = () => `w${randomBytes(5).toString('hex')}`;

/** A problem+json answer with this status and, when given, a detail matching `detail` (a string: containing it). */
function assertProblem(reply: LightMyRequestResponse, status: number, detail?: RegExp | string): Problem {
  assert.equal(reply.statusCode, status, reply.body);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  const problem = reply.json<Problem>();
  assert.equal(problem.status, status);
  assert.equal(problem.type, 'about:blank');
  assert.equal(typeof problem.detail, 'string');
  if (typeof detail === 'string') assert.ok(problem.detail.includes(detail), `${problem.detail} should contain ${detail}`);
  else if (detail) assert.match(problem.detail, detail);
  return problem;
}

/** Money is integer cents beside the formatted string, never a float; times are ISO 8601 UTC. */
function assertAccountShape(account: AccountJson): void {
  assert.deepEqual(Object.keys(account).sort(), [...ACCOUNT_KEYS].sort());
  for (const name of ['paid', 'due', 'balance'] as const) {
    const cents = account[`${name}_cents`];
    assert.ok(Number.isSafeInteger(cents), `${name}_cents ${cents} is an integer`);
    const formatted = `${cents < 0 ? '-' : ''}${Math.trunc(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')} USD`;
    assert.equal(account[name], formatted);
  }
  assert.equal(account.balance_cents, account.due_cents - account.paid_cents);
  assert.match(account.created_at, ISO_UTC);
  assert.match(account.updated_at, ISO_UTC);
  assert.equal(account.status === 'closed', account.closed_at !== null);
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the accounts API on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let clerkToken: string;
    let viewerToken: string;
    let clerkName: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { API_RATE_LIMIT: '0' });
      const clerk = await addUser(db, 'clerk');
      clerkName = clerk.username;
      clerkToken = await addToken(db, clerk);
      viewerToken = await addToken(db, await addUser(db, 'viewer'));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, { token = clerkToken, headers = {} }: { token?: string; headers?: Record<string, string> } = {}) {
      return app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    }

    async function newAccount(fields: Record<string, unknown> = {}): Promise<AccountJson> {
      const reply = await api('POST', '/accounts', { acctid: uniqueAcctId('API'), name: 'Test Account', ...fields });
      assert.equal(reply.statusCode, 201, reply.body);
      return reply.json<AccountJson>();
    }

    const record = (acctid: string, entry: unknown, token = clerkToken) => api('POST', `/accounts/${acctid}/entries`, entry, { token });

    test('POST /accounts creates an account: 201, Location, the id upper-cased, zero totals as integers and strings', async () => {
      const acctid = uniqueAcctId('NEW');
      const reply = await api('POST', '/accounts', { acctid: `  ${acctid.toLowerCase()} `, name: '  Ann Example ', email: 'ann@example.com', phone: '+1 555 0100', notes: 'VIP' });
      assert.equal(reply.statusCode, 201, reply.body);
      assert.equal(reply.headers.location, `/api/v1/accounts/${acctid}`);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.equal(reply.headers['cache-control'], 'no-store');
      const account = reply.json<AccountJson>();
      assertAccountShape(account);
      assert.deepEqual(
        { ...account, created_at: undefined, updated_at: undefined },
        {
          acctid,
          name: 'Ann Example',
          email: 'ann@example.com',
          phone: '+1 555 0100',
          notes: 'VIP',
          terms_days: 30,
          reminders: true,
          status: 'open',
          closed_at: null,
          paid_cents: 0,
          paid: '0.00 USD',
          due_cents: 0,
          due: '0.00 USD',
          balance_cents: 0,
          balance: '0.00 USD',
          created_at: undefined,
          updated_at: undefined,
        },
      );
      const read = await api('GET', `/accounts/${acctid.toLowerCase()}`);
      assert.equal(read.statusCode, 200);
      assert.deepEqual(read.json(), account);
      const audited = await db.selectFrom('audit_event').select(['actor', 'action']).where('target', '=', acctid).execute();
      assert.deepEqual(audited, [{ actor: clerkName, action: 'account.created' }]);
    });

    test('unknown fields are refused by name, nothing is created', async () => {
      const acctid = uniqueAcctId('UNK');
      const reply = await api('POST', '/accounts', { acctid, name: 'Ann', paid_cents: 100 });
      const problem = assertProblem(reply, 400, /Unknown field "paid_cents": this request takes only acctid, name, email, phone, notes, terms_days, reminders\./);
      assert.equal(problem.errors?.length, 1);
      assert.equal(await db.selectFrom('account').select('acctid').where('acctid', '=', acctid).executeTakeFirst(), undefined);
      assertProblem(await api('POST', '/accounts', ['not', 'an', 'object']), 400, /must be a JSON object/);
    });

    test('invalid fields get 400 with one {field, message} each, in the form’s own words', async () => {
      const reply = await api('POST', '/accounts', { acctid: 'no spaces!', name: '', email: 'not-an-email' });
      const problem = assertProblem(reply, 400);
      assert.deepEqual(problem.errors, [
        { field: 'acctid', message: 'Account IDs contain only letters, digits, hyphens, underscores and dots.' },
        { field: 'name', message: 'Please enter a name.' },
        { field: 'email', message: 'Please enter an email address like name@example.com.' },
      ]);
      assert.equal(problem.detail, problem.errors.map((error) => error.message).join(' '));
    });

    test('a duplicate account id is a 409 problem naming the field', async () => {
      const { acctid } = await newAccount();
      const problem = assertProblem(await api('POST', '/accounts', { acctid: acctid.toLowerCase(), name: 'Someone Else' }), 409, `An account with ID ${acctid} already exists.`);
      assert.equal(problem.code, 'DUPLICATE_ACCOUNT');
      assert.deepEqual(problem.errors, [{ field: 'acctid', message: `An account with ID ${acctid} already exists.` }]);
    });

    test('a malformed id in the path is a 400 with the id rules, an unknown one a 404 naming it', async () => {
      const bad = assertProblem(await api('GET', '/accounts/bad!id'), 400, /Account IDs contain only letters, digits, hyphens, underscores and dots\./);
      assert.deepEqual(bad.errors, [{ field: 'params.acctid', message: 'Account IDs contain only letters, digits, hyphens, underscores and dots.' }]);
      assertProblem(await api('GET', `/accounts/${'A'.repeat(16)}`), 400, /at most 15 characters/);
      const missing = uniqueAcctId('NONE');
      assert.equal(assertProblem(await api('GET', `/accounts/${missing.toLowerCase()}`), 404, `There is no account ${missing}.`).code, 'ACCOUNT_NOT_FOUND');
      assertProblem(await api('GET', `/accounts/${missing}/entries`), 404);
      assertProblem(await record(missing, { kind: 'payment', amount_cents: 100 }), 404);
      assertProblem(await api('PATCH', `/accounts/${missing}`, { name: 'x' }), 404);
    });

    test('PATCH changes the fields sent (blank email or phone clears them), refuses an empty or unknown change', async () => {
      const account = await newAccount({ email: 'old@example.com', phone: '555 0100' });
      const reply = await api('PATCH', `/accounts/${account.acctid}`, { name: 'New Name', email: '', notes: 'moved' });
      assert.equal(reply.statusCode, 200, reply.body);
      const changed = reply.json<AccountJson>();
      assertAccountShape(changed);
      assert.deepEqual([changed.name, changed.email, changed.phone, changed.notes], ['New Name', null, '555 0100', 'moved']);
      assert.deepEqual((await api('GET', `/accounts/${account.acctid}`)).json(), changed);

      assertProblem(await api('PATCH', `/accounts/${account.acctid}`, {}), 400, /Send at least one field to change: name, email, phone, notes, terms_days, reminders\./);
      assertProblem(await api('PATCH', `/accounts/${account.acctid}`, { acctid: 'OTHER' }), 400, /Unknown field "acctid"/);
      assertProblem(await api('PATCH', `/accounts/${account.acctid}`, { name: '   ' }), 400, /Please enter a name\./);
      const updates = await db.selectFrom('audit_event').select('action').where('target', '=', account.acctid).where('action', '=', 'account.updated').execute();
      assert.equal(updates.length, 1, 'refused changes are not audited');
    });

    test('terms_days: 30 unless given, 0 to 365 on create and PATCH, read back, and a change audited with what it was', async () => {
      const plain = await newAccount();
      assert.equal(plain.terms_days, 30, 'left out: 30 days');
      const onReceipt = await newAccount({ terms_days: 0 });
      assert.equal(onReceipt.terms_days, 0);
      assert.equal((await newAccount({ terms_days: 365 })).terms_days, 365);

      const patched = await api('PATCH', `/accounts/${plain.acctid}`, { terms_days: 45 });
      assert.equal(patched.statusCode, 200, patched.body);
      assertAccountShape(patched.json<AccountJson>());
      assert.equal(patched.json<AccountJson>().terms_days, 45);
      assert.equal((await api('GET', `/accounts/${plain.acctid}`)).json<AccountJson>().terms_days, 45);
      const listed = (await api('GET', `/accounts?q=${plain.acctid}`)).json<{ accounts: AccountJson[] }>().accounts;
      assert.deepEqual(listed.map((account) => [account.acctid, account.terms_days]), [[plain.acctid, 45]]);

      const audited = await db.selectFrom('audit_event').select(['action', 'actor', 'before_json', 'after_json']).where('target', '=', plain.acctid).where('action', '=', 'account.updated').execute();
      assert.deepEqual(
        audited.map((event) => [event.actor, JSON.parse(event.before_json ?? 'null') as unknown, JSON.parse(event.after_json ?? 'null') as unknown]),
        [[clerkName, { terms_days: 30 }, { terms_days: 45 }]],
      );
      const created = await db.selectFrom('audit_event').select('after_json').where('target', '=', onReceipt.acctid).where('action', '=', 'account.created').executeTakeFirst();
      assert.equal((JSON.parse(created?.after_json ?? '{}') as { terms_days?: number }).terms_days, 0, 'the creation says the terms it started with');
      const same = await api('PATCH', `/accounts/${plain.acctid}`, { terms_days: 45 });
      assert.equal(same.statusCode, 200);
      assert.equal((await db.selectFrom('audit_event').select('id').where('target', '=', plain.acctid).where('action', '=', 'account.updated').execute()).length, 1, 'no change, no audit event');
    });

    test('reminders: on unless given, turned off and on by PATCH, audited, and a non-boolean refused with the rule', async () => {
      const plain = await newAccount();
      assert.equal(plain.reminders, true, 'left out: on');
      const quiet = await newAccount({ reminders: false });
      assert.equal(quiet.reminders, false);
      const off = await api('PATCH', `/accounts/${plain.acctid}`, { reminders: false });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal((await api('GET', `/accounts/${plain.acctid}`)).json<AccountJson>().reminders, false);
      const audited = await db.selectFrom('audit_event').select(['before_json', 'after_json']).where('target', '=', plain.acctid).where('action', '=', 'account.updated').execute();
      assert.deepEqual(
        audited.map((event) => [JSON.parse(event.before_json ?? 'null') as unknown, JSON.parse(event.after_json ?? 'null') as unknown]),
        [[{ reminders: true }, { reminders: false }]],
      );
      const rule = 'reminders must be true or false (a JSON boolean).';
      for (const bad of ['yes', 1, null]) {
        const refused = assertProblem(await api('PATCH', `/accounts/${quiet.acctid}`, { reminders: bad }), 400, rule);
        assert.deepEqual(refused.errors, [{ field: 'reminders', message: rule }], JSON.stringify(bad));
      }
      assert.equal((await api('GET', `/accounts/${quiet.acctid}`)).json<AccountJson>().reminders, false, 'unchanged');
    });

    test('a bad terms_days (366, -1, 1.5, "30", null) is a 400 problem naming the field, and nothing is written', async () => {
      const rule = 'terms_days must be a whole number of days from 0 to 365, as a JSON integer (0 = due on receipt).';
      const { acctid } = await newAccount({ terms_days: 10 });
      for (const bad of [366, -1, 1.5, '30', null, true]) {
        const created = uniqueAcctId('TRM');
        const refused = assertProblem(await api('POST', '/accounts', { acctid: created, name: 'Terms', terms_days: bad }), 400, rule);
        assert.deepEqual(refused.errors, [{ field: 'terms_days', message: rule }], JSON.stringify(bad));
        assert.equal(await db.selectFrom('account').select('acctid').where('acctid', '=', created).executeTakeFirst(), undefined, `${JSON.stringify(bad)}: nothing created`);
        const patch = assertProblem(await api('PATCH', `/accounts/${acctid}`, { terms_days: bad }), 400, rule);
        assert.deepEqual(patch.errors, [{ field: 'terms_days', message: rule }], JSON.stringify(bad));
      }
      assert.equal((await api('GET', `/accounts/${acctid}`)).json<AccountJson>().terms_days, 10, 'unchanged');
    });

    test('a charge recorded after a terms change is due its date plus the new terms; one recorded before keeps its due date', async () => {
      const { acctid } = await newAccount({ terms_days: 30 });
      const before = await record(acctid, { kind: 'charge', amount_cents: 1000, memo: 'INV-1' });
      assert.equal(before.statusCode, 201, before.body);
      assert.equal((await api('PATCH', `/accounts/${acctid}`, { terms_days: 7 })).statusCode, 200);
      const after = await record(acctid, { kind: 'charge', amount_cents: 2000, memo: 'INV-2' });
      assert.equal(after.statusCode, 201, after.body);
      const charges = await db.selectFrom('ledger_entry').select(['memo', 'effective_on', 'due_on']).where('acctid', '=', acctid).orderBy('id').execute();
      assert.deepEqual(
        charges.map((charge) => [charge.memo, charge.due_on]),
        [
          ['INV-1', addDays(charges[0]!.effective_on, 30)],
          ['INV-2', addDays(charges[1]!.effective_on, 7)],
        ],
      );
      assert.equal((await api('PATCH', `/accounts/${acctid}`, { terms_days: 0 })).statusCode, 200);
      assert.equal((await record(acctid, { kind: 'charge', amount_cents: 500, memo: 'INV-3' })).statusCode, 201);
      const onReceipt = await db.selectFrom('ledger_entry').select(['effective_on', 'due_on']).where('acctid', '=', acctid).where('memo', '=', 'INV-3').executeTakeFirstOrThrow();
      assert.equal(onReceipt.due_on, onReceipt.effective_on, 'due on receipt: due on its date');
    });

    test('close and reopen: 200 with the account, 409 when already so; a closed account refuses a charge (409) and takes a payment', async () => {
      const { acctid } = await newAccount();
      assert.equal((await record(acctid, { kind: 'charge', amount_cents: 5000 })).statusCode, 201);

      const closed = await api('POST', `/accounts/${acctid}/close`);
      assert.equal(closed.statusCode, 200, closed.body);
      const closedAccount = closed.json<AccountJson>();
      assertAccountShape(closedAccount);
      assert.equal(closedAccount.status, 'closed');
      assert.match(closedAccount.closed_at ?? '', ISO_UTC);
      assert.equal(assertProblem(await api('POST', `/accounts/${acctid}/close`), 409, `Account ${acctid} is already closed.`).code, 'ACCOUNT_ALREADY_CLOSED');

      const charge = assertProblem(await record(acctid, { kind: 'charge', amount_cents: 100 }), 409, /is closed: it takes payments and adjustments, but no new charges/);
      assert.equal(charge.code, 'ACCOUNT_CLOSED');
      const payment = await record(acctid, { kind: 'payment', amount_cents: 2000 });
      assert.equal(payment.statusCode, 201, payment.body);
      assert.equal(payment.json<{ account: AccountJson }>().account.balance_cents, 3000);

      const reopened = await api('POST', `/accounts/${acctid}/reopen`, {});
      assert.equal(reopened.statusCode, 200, reopened.body);
      assert.deepEqual([reopened.json<AccountJson>().status, reopened.json<AccountJson>().closed_at], ['open', null]);
      assert.equal(assertProblem(await api('POST', `/accounts/${acctid}/reopen`), 409, /is already open/).code, 'ACCOUNT_ALREADY_OPEN');
      assert.equal((await record(acctid, { kind: 'charge', amount_cents: 100 })).statusCode, 201);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('GET /accounts searches like the page, and its next links walk every match once, keeping the query', async () => {
      const word = uniqueWord();
      const created: AccountJson[] = [];
      for (let i = 0; i < 5; i++) created.push(await newAccount({ name: `${word} Customer ${i}` }));
      await newAccount({ name: 'Unrelated Person' });
      const owing = created[1]!.acctid;
      assert.equal((await record(owing, { kind: 'charge', amount_cents: 999 })).statusCode, 201);

      const seen: string[] = [];
      let url: string | null = `/api/v1/accounts?q=${word}&limit=2`;
      let pages = 0;
      while (url !== null) {
        const reply: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${viewerToken}` } });
        assert.equal(reply.statusCode, 200, reply.body);
        const page = reply.json<{ accounts: AccountJson[]; next: string | null }>();
        page.accounts.forEach(assertAccountShape);
        seen.push(...page.accounts.map((account) => account.acctid));
        if (page.next !== null) {
          const [path, query] = page.next.split('?');
          assert.equal(path, '/api/v1/accounts');
          const params = new URLSearchParams(query);
          assert.deepEqual([...params.keys()], ['q', 'filter', 'sort', 'dir', 'limit', 'cursor']);
          assert.deepEqual([params.get('q'), params.get('filter'), params.get('sort'), params.get('dir'), params.get('limit')], [word, 'all', 'acctid', 'asc', '2']);
          assert.match(params.get('cursor') ?? '', /^[A-Za-z0-9_-]+$/);
        }
        url = page.next;
        pages++;
      }
      assert.deepEqual(seen, created.map((account) => account.acctid).sort());
      assert.equal(pages, 3);

      const filtered = (await api('GET', `/accounts?q=${word}&filter=owing`)).json<{ accounts: AccountJson[]; next: string | null }>();
      assert.deepEqual(filtered.accounts.map((account) => [account.acctid, account.balance_cents, account.balance]), [[owing, 999, '9.99 USD']]);
      assert.equal(filtered.next, null);

      const byName = (await api('GET', `/accounts?q=${word}&sort=name&dir=desc&limit=200`)).json<{ accounts: AccountJson[] }>();
      assert.deepEqual(byName.accounts.map((account) => account.name), created.map((account) => account.name).reverse());
    });

    test('GET /accounts refuses unknown parameters and bad values with their field', async () => {
      const problem = assertProblem(await api('GET', '/accounts?limit=0&colour=red'), 400);
      assert.deepEqual(problem.errors, [
        { field: 'querystring.limit', message: 'The limit must be at least 1.' },
        { field: 'querystring', message: 'Unknown query parameter "colour": this request takes only q, filter, sort, dir, limit, cursor.' },
      ]);
      assertProblem(await api('GET', '/accounts?sort=balance&cursor=bm90LWEtY3Vyc29y'), 400, /This page link is not valid/);
      assertProblem(await api('GET', '/accounts?filter=rich'), 400, /The filter must be one of: all, open, owing, overpaid, settled, closed\./);
    });

    test('entries: recorded with their running balance, listed newest first, paged with next; totals equal the sums of entries', async () => {
      const { acctid } = await newAccount();
      const posted: [Record<string, unknown>, number][] = [
        [{ kind: 'charge', amount_cents: 10_000, memo: 'invoice 1' }, 10_000],
        [{ kind: 'payment', amount_cents: 2_550 }, 7_450],
        [{ kind: 'adjustment', amount_cents: -450, memo: 'goodwill' }, 7_000],
        [{ kind: 'adjustment', amount_cents: 1, memo: 'rounding' }, 7_001],
        [{ kind: 'payment', amount_cents: 8_001, memo: '  cheque 42  ' }, -1_000],
      ];
      const recorded: EntryJson[] = [];
      for (const [entry, balanceAfter] of posted) {
        const reply = await record(acctid, entry);
        assert.equal(reply.statusCode, 201, reply.body);
        const body = reply.json<{ entry: EntryJson; account: AccountJson }>();
        assert.deepEqual(Object.keys(body).sort(), ['account', 'entry']);
        assertAccountShape(body.account);
        assert.equal(body.entry.balance_after_cents, balanceAfter);
        assert.equal(body.account.balance_cents, balanceAfter);
        assert.equal(body.entry.actor, clerkName);
        assert.match(body.entry.at, ISO_UTC);
        recorded.push(body.entry);
      }
      assert.deepEqual(recorded.at(-1), {
        ...recorded.at(-1),
        kind: 'payment',
        amount_cents: 8001,
        amount: '80.01 USD',
        balance_after_cents: -1000,
        balance_after: '-10.00 USD',
        memo: 'cheque 42',
      });
      assert.equal(recorded[2]!.amount, '-4.50 USD');
      const account = (await api('GET', `/accounts/${acctid}`)).json<AccountJson>();
      assert.deepEqual([account.paid_cents, account.due_cents, account.balance_cents, account.balance], [2_550 + 450 + 8_001, 10_001, -1_000, '-10.00 USD']);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);

      const listed: EntryJson[] = [];
      let url: string | null = `/api/v1/accounts/${acctid.toLowerCase()}/entries?limit=2`;
      while (url !== null) {
        const reply: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${viewerToken}` } });
        assert.equal(reply.statusCode, 200, reply.body);
        const page = reply.json<{ entries: EntryJson[]; next: string | null }>();
        assert.ok(page.entries.length <= 2);
        if (page.next !== null) assert.equal(page.next, `/api/v1/accounts/${acctid}/entries?limit=2&before=${page.entries.at(-1)!.id}`);
        listed.push(...page.entries);
        url = page.next;
      }
      assert.deepEqual(listed.map(recordedPart), [...recorded].reverse().map(recordedPart), 'newest first, the same entries as recorded');
      // Oldest due first: the +0.01 adjustment (due on its date) before the charge (due in 30 days); 10.00 left over.
      const [last, rounding, , , charge] = listed;
      assert.deepEqual([last!.applied_to?.map((part) => [part.charge_id, part.amount_cents]), last!.unapplied_cents], [[[rounding!.id, 1], [charge!.id, 7_000]], 1_000]);
      assert.deepEqual([charge!.open_cents, charge!.paid_by?.map((part) => part.amount_cents)], [0, [2_550, 450, 7_000]]);
      for (const entry of listed) {
        for (const cents of [entry.amount_cents, entry.balance_after_cents]) assert.ok(Number.isSafeInteger(cents));
      }
      const all = (await api('GET', `/accounts/${acctid}/entries`)).json<{ entries: EntryJson[]; next: string | null }>();
      assert.equal(all.entries.length, 5);
      assert.equal(all.next, null);
    });

    test('the entries list checks limit (1–200) and before, and refuses unknown parameters', async () => {
      const { acctid } = await newAccount();
      for (const query of ['limit=0', 'limit=201', 'limit=2.5', 'limit=x']) {
        assert.deepEqual(assertProblem(await api('GET', `/accounts/${acctid}/entries?${query}`), 400).errors, [{ field: 'querystring.limit', message: 'limit must be a whole number from 1 to 200.' }], query);
      }
      assertProblem(await api('GET', `/accounts/${acctid}/entries?before=-1`), 400, /before must be an entry id/);
      assertProblem(await api('GET', `/accounts/${acctid}/entries?page=2`), 400, /Unknown query parameter "page"/);
      assert.equal((await api('GET', `/accounts/${acctid}/entries?limit=200&before=1`)).statusCode, 200);
    });

    test('a refused entry says why, field by field, and records nothing', async () => {
      const { acctid } = await newAccount();
      const refused: [unknown, { field: string; message: RegExp }[]][] = [
        [{ kind: 'payment', amount_cents: 12.5 }, [{ field: 'amount_cents', message: /must be a whole number of cents/ }]],
        [{ kind: 'payment', amount_cents: '1250' }, [{ field: 'amount_cents', message: /must be a whole number of cents/ }]],
        [{ kind: 'payment' }, [{ field: 'amount_cents', message: /must be a whole number of cents/ }]],
        [{ kind: 'payment', amount_cents: 0 }, [{ field: 'amount_cents', message: /A payment's amount_cents must be more than 0 and at most 100000000000 \(1000000000\.00 USD\)/ }]],
        [{ kind: 'charge', amount_cents: -5 }, [{ field: 'amount_cents', message: /A charge's amount_cents must be more than 0/ }]],
        [{ kind: 'charge', amount_cents: 100_000_000_001 }, [{ field: 'amount_cents', message: /at most 100000000000/ }]],
        [{ kind: 'adjustment', amount_cents: -100_000_000_001, memo: 'too much' }, [{ field: 'amount_cents', message: /at most 100000000000 \(1000000000\.00 USD\) either way/ }]],
        [{ kind: 'adjustment', amount_cents: 0, memo: 'nothing' }, [{ field: 'amount_cents', message: /cannot be 0/ }]],
        [{ kind: 'adjustment', amount_cents: 100 }, [{ field: 'memo', message: /An adjustment needs a memo saying why/ }]],
        [{ kind: 'adjustment', amount_cents: 100, memo: '   ' }, [{ field: 'memo', message: /needs a memo/ }]],
        [{ kind: 'payment', amount_cents: 100, memo: 'x'.repeat(501) }, [{ field: 'memo', message: /memo can be at most 500 characters/ }]],
        [{ kind: 'refund', amount_cents: 100 }, [{ field: 'kind', message: /kind must be one of: payment, charge, adjustment/ }]],
        [{ kind: 'payment', amount_cents: 100, currency: 'EUR' }, [{ field: '', message: /Unknown field "currency": this request takes only kind, amount_cents, memo/ }]],
      ];
      for (const [body, expected] of refused) {
        const problem = assertProblem(await record(acctid, body), 400);
        assert.equal(problem.errors?.length, expected.length, `${JSON.stringify(body)}: ${JSON.stringify(problem.errors)}`);
        expected.forEach(({ field, message }, i) => {
          assert.equal(problem.errors![i]!.field, field, JSON.stringify(body));
          assert.match(problem.errors![i]!.message, message, JSON.stringify(body));
        });
      }
      const notJson = await app.inject({ method: 'POST', url: `/api/v1/accounts/${acctid}/entries`, headers: { authorization: `Bearer ${clerkToken}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'kind=payment&amount_cents=100' });
      assertProblem(notJson, 415, /must be sent as application\/json/);
      assert.equal((await api('GET', `/accounts/${acctid}/entries`)).json<{ entries: unknown[] }>().entries.length, 0);
    });

    test('a viewer reads accounts and entries, and every write is refused with 403 before anything is written', async () => {
      const account = await newAccount();
      assert.equal((await api('GET', '/accounts', undefined, { token: viewerToken })).statusCode, 200);
      assert.equal((await api('GET', `/accounts/${account.acctid}`, undefined, { token: viewerToken })).statusCode, 200);
      assert.equal((await api('GET', `/accounts/${account.acctid}/entries`, undefined, { token: viewerToken })).statusCode, 200);
      const writes: [('POST' | 'PATCH'), string, unknown][] = [
        ['POST', '/accounts', { acctid: uniqueAcctId('VIEW'), name: 'Nope' }],
        ['PATCH', `/accounts/${account.acctid}`, { name: 'Nope' }],
        ['POST', `/accounts/${account.acctid}/close`, {}],
        ['POST', `/accounts/${account.acctid}/reopen`, {}],
        ['POST', `/accounts/${account.acctid}/entries`, { kind: 'payment', amount_cents: 100 }],
      ];
      for (const [method, url, body] of writes) {
        const problem = assertProblem(await api(method, url, body, { token: viewerToken, headers: { 'idempotency-key': randomBytes(8).toString('hex') } }), 403, /Your role \(viewer\) does not allow this/);
        assert.equal(problem.code, 'FORBIDDEN', `${method} ${url}`);
      }
      assert.deepEqual((await api('GET', `/accounts/${account.acctid}`)).json(), account);
      assert.equal((await api('GET', `/accounts/${account.acctid}/entries`)).json<{ entries: unknown[] }>().entries.length, 0);
    });

    test('without a token the API answers 401 problem+json and nothing else', async () => {
      const reply = await app.inject({ method: 'GET', url: '/api/v1/accounts' });
      assertProblem(reply, 401);
      assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
    });
  });
}
