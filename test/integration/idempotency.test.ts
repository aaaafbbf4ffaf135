/** Idempotency-Key on the API's writes, on each database: retries, reuse with another body, per-user keys, races, expiry. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { IDEMPOTENCY_TTL_MS } from '../../src/platform/db/idempotency.js';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, type TestUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const REPLAYED = 'idempotent-replayed';

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`Idempotency-Key on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let clerk: TestUser;
    let clerkToken: string;
    let otherClerkToken: string;
    const created: string[] = [];

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { API_RATE_LIMIT: '0' });
      clerk = await addUser(db, 'clerk');
      clerkToken = await addToken(db, clerk);
      otherClerkToken = await addToken(db, await addUser(db, 'clerk'));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    function post(url: string, body: unknown, { key, token = clerkToken }: { key?: string; token?: string } = {}) {
      return app.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
        payload: JSON.stringify(body),
      });
    }

    async function newAccount(): Promise<string> {
      const acctid = uniqueAcctId('IDEM');
      assert.equal((await post('/accounts', { acctid, name: 'Idempotent Customer' })).statusCode, 201);
      created.push(acctid);
      return acctid;
    }

    const pay = (acctid: string, amountCents: number, options: { key?: string; token?: string } = {}) => post(`/accounts/${acctid}/entries`, { kind: 'payment', amount_cents: amountCents, memo: 'retry test' }, options);
    const entriesOf = async (acctid: string) => db.selectFrom('ledger_entry').select(['id', 'kind', 'amount_cents']).where('acctid', '=', acctid).execute();

    function assertReplay(first: LightMyRequestResponse, again: LightMyRequestResponse): void {
      assert.equal(again.statusCode, first.statusCode);
      assert.equal(again.body, first.body, 'the same body, byte for byte');
      assert.equal(first.headers[REPLAYED], undefined, 'the first answer is not a replay');
      assert.equal(again.headers[REPLAYED], 'true');
    }

    test('a retried payment with the same key is not recorded twice: the same status and body, marked as replayed', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      const first = await pay(acctid, 1500, { key });
      assert.equal(first.statusCode, 201, first.body);
      const again = await pay(acctid.toLowerCase(), 1500, { key });
      assertReplay(first, again);
      const third = await pay(acctid, 1500, { key });
      assertReplay(first, third);
      assert.equal((await entriesOf(acctid)).length, 1);
      const account = await db.selectFrom('account').select(['paid_cents']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
      assert.equal(Number(account.paid_cents), 1500);
      assert.equal((await db.selectFrom('audit_event').select('id').where('target', '=', acctid).where('action', '=', 'ledger.entry_recorded').execute()).length, 1);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('a key stored by the version before invoices and terms is replayed with the dates the migration gave its entry, not a 500', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      const first = await pay(acctid, 250, { key });
      assert.equal(first.statusCode, 201, first.body);
      // What that version stored: no business dates, settlement or payment terms.
      const row = await db.selectFrom('idempotency_key').select(['user_id', 'response_body']).where('idem_key', '=', key).executeTakeFirstOrThrow();
      const stored = JSON.parse(row.response_body) as { entry: Record<string, unknown>; account: Record<string, unknown>; settlement?: unknown };
      for (const field of ['effectiveOn', 'dueOn', 'reference']) delete stored.entry[field];
      delete stored.account.termsDays;
      delete stored.settlement;
      await db.updateTable('idempotency_key').set({ response_body: JSON.stringify(stored) }).where('idem_key', '=', key).where('user_id', '=', row.user_id).execute();
      const again = await pay(acctid, 250, { key });
      assert.equal(again.statusCode, 201, again.body);
      assert.equal(again.headers[REPLAYED], 'true');
      const replayed = again.json<{ entry: { effective_on: string; due_on: null; reference: null; unapplied_cents: number }; account: { terms_days: number } }>();
      const day = new Date(Number((await db.selectFrom('ledger_entry').select('created_at').where('acctid', '=', acctid).executeTakeFirstOrThrow()).created_at)).toISOString().slice(0, 10);
      assert.equal(replayed.entry.effective_on, day);
      assert.equal(replayed.entry.due_on, null);
      assert.equal(replayed.entry.reference, null);
      assert.equal(replayed.entry.unapplied_cents, 250, 'the settlement, read again');
      assert.equal(replayed.account.terms_days, 30);
      assert.equal((await entriesOf(acctid)).length, 1);
    });

    test('without the header every request is a new write', async () => {
      const acctid = await newAccount();
      const first = await pay(acctid, 100);
      const second = await pay(acctid, 100);
      assert.deepEqual([first.statusCode, second.statusCode], [201, 201]);
      assert.equal(second.headers[REPLAYED], undefined);
      assert.equal((await entriesOf(acctid)).length, 2);
    });

    test('the same key with another body is refused with 422, and so is the same key on another account', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      assert.equal((await pay(acctid, 1500, { key })).statusCode, 201);
      for (const reply of [await pay(acctid, 1501, { key }), await pay(await newAccount(), 1500, { key }), await post('/accounts', { acctid: uniqueAcctId('K'), name: 'Other' }, { key })]) {
        assert.equal(reply.statusCode, 422, reply.body);
        assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
        const problem = reply.json<{ code: string; detail: string }>();
        assert.equal(problem.code, 'IDEMPOTENCY_KEY_REUSED');
        assert.match(problem.detail, /already used for a different request/);
      }
      assert.equal((await entriesOf(acctid)).length, 1);
    });

    test('keys are per user: another user’s request with the same key is a write of its own', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      const mine = await pay(acctid, 700, { key });
      const theirs = await pay(acctid, 700, { key, token: otherClerkToken });
      assert.deepEqual([mine.statusCode, theirs.statusCode], [201, 201]);
      assert.equal(theirs.headers[REPLAYED], undefined);
      assert.notEqual(theirs.json<{ entry: { id: number } }>().entry.id, mine.json<{ entry: { id: number } }>().entry.id);
      assert.equal((await entriesOf(acctid)).length, 2);
      assertReplay(theirs, await pay(acctid, 700, { key, token: otherClerkToken }));
    });

    test('two requests racing with one key record one entry, and every answer is the same', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      const replies = await Promise.all(Array.from({ length: 10 }, () => pay(acctid, 2500, { key })));
      for (const reply of replies) assert.equal(reply.statusCode, 201, reply.body);
      assert.equal(new Set(replies.map((reply) => reply.body)).size, 1, 'all answers equal');
      assert.equal(replies.filter((reply) => reply.headers[REPLAYED] === undefined).length, 1, 'one wrote, the others replayed');
      assert.equal((await entriesOf(acctid)).length, 1);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('payments sent at once, each with its own key, all count (a deadlock victim runs again)', async () => {
      const acctid = await newAccount();
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => pay(acctid, 100 + i, { key: randomUUID() })));
      for (const reply of replies) assert.equal(reply.statusCode, 201, reply.body);
      assert.equal((await entriesOf(acctid)).length, 10);
      const account = await db.selectFrom('account').select(['paid_cents']).where('acctid', '=', acctid).executeTakeFirstOrThrow();
      assert.equal(Number(account.paid_cents), 10 * 100 + 45);
      assert.deepEqual(await ledgerMismatches(db, [acctid]), []);
    });

    test('a key older than 24 hours is treated as new', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      assert.equal((await pay(acctid, 300, { key })).statusCode, 201);
      await db
        .updateTable('idempotency_key')
        .set({ created_at: Date.now() - IDEMPOTENCY_TTL_MS - 1000 })
        .where('user_id', '=', clerk.id)
        .where('idem_key', '=', key)
        .execute();
      const later = await pay(acctid, 300, { key });
      assert.equal(later.statusCode, 201);
      assert.equal(later.headers[REPLAYED], undefined);
      assert.equal((await entriesOf(acctid)).length, 2);
      assertReplay(later, await pay(acctid, 300, { key }));
      const stored = await db.selectFrom('idempotency_key').select('created_at').where('user_id', '=', clerk.id).where('idem_key', '=', key).execute();
      assert.equal(stored.length, 1, 'the expired row was replaced');
    });

    test('a malformed key is a 400 and nothing is written', async () => {
      const acctid = await newAccount();
      for (const key of ['', 'with space', 'ü', 'x'.repeat(256)]) {
        const reply = await pay(acctid, 100, { key });
        assert.equal(reply.statusCode, 400, JSON.stringify(key));
        assert.equal(reply.json<{ code: string }>().code, 'INVALID_IDEMPOTENCY_KEY');
      }
      assert.equal((await entriesOf(acctid)).length, 0);
    });

    test('a refused write keeps no key: after the account is reopened, the same request with the same key goes through', async () => {
      const acctid = await newAccount();
      const key = randomUUID();
      const charge = { kind: 'charge', amount_cents: 900 };
      assert.equal((await post(`/accounts/${acctid}/close`, {})).statusCode, 200);
      assert.equal((await post(`/accounts/${acctid}/entries`, charge, { key })).statusCode, 409);
      assert.equal((await post(`/accounts/${acctid}/reopen`, {})).statusCode, 200);
      const retried = await post(`/accounts/${acctid}/entries`, charge, { key });
      assert.equal(retried.statusCode, 201, retried.body);
      assert.equal(retried.headers[REPLAYED], undefined);
      assert.equal((await entriesOf(acctid)).length, 1);
    });

    test('POST /accounts honours the key too: the replay has the same body and Location', async () => {
      const acctid = uniqueAcctId('IDNEW');
      const key = randomUUID();
      const first = await post('/accounts', { acctid, name: 'Once Only', terms_days: 15 }, { key });
      assert.equal(first.statusCode, 201, first.body);
      const again = await post('/accounts', { acctid: acctid.toLowerCase(), name: 'Once Only', terms_days: 15 }, { key });
      assertReplay(first, again);
      assert.equal(again.json<{ terms_days: number }>().terms_days, 15, 'the replay has the terms');
      assert.equal((await post('/accounts', { acctid, name: 'Once Only', terms_days: 16 }, { key })).statusCode, 422, 'other terms are another body');
      assert.equal(again.headers.location, `/api/v1/accounts/${acctid}`);
      assert.equal(again.headers.location, first.headers.location);
      assert.equal((await post('/accounts', { acctid, name: 'Once Only' })).statusCode, 409, 'without the key, a second create is a duplicate');
      assert.equal((await db.selectFrom('audit_event').select('id').where('target', '=', acctid).where('action', '=', 'account.created').execute()).length, 1);
    });

    test('totals still equal the sums of entries for every account these tests wrote to', async () => {
      assert.ok(created.length > 5);
      assert.deepEqual(await ledgerMismatches(db, created), []);
    });
  });
}
