/**
 * Control characters in any request text are refused with a 400 naming the
 * field, before they reach a database (PostgreSQL refuses a NUL in text) or a
 * page; tabs and line breaks pass only where a field is multi-line text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { formToken } from '../support/https-client.js';
import { addToken, addUser, cookieHeader, postStaffForm, signInWith, uniqueUsername } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

const FORM = 'application/x-www-form-urlencoded';
const NUL = '\u0000';

function assertRefused(reply: LightMyRequestResponse, what: string, message = /control character \(U\+0000\)/): void {
  assert.equal(reply.statusCode, 400, `${what}: ${reply.statusCode} ${reply.body.slice(0, 300)}`);
  assert.match(reply.body, message, what);
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`control characters in requests on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let cookie: string;
    let bearer: string;
    const acctid = uniqueAcctId();

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', LOOKUP_RATE_LIMIT: '0' });
      const admin = await addUser(db, 'admin');
      cookie = (await signInWith(app, admin.username, admin.password)).cookie;
      bearer = `Bearer ${await addToken(db, admin)}`;
      await insertAccountIfMissing(db, { acctid, paidCents: cents(0), dueCents: cents(1000) });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    test('a NUL in the anonymous sign-in form is a 400 saying so, not a 500', async () => {
      const page = await app.inject({ method: 'GET', url: '/login' });
      const reply = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': FORM, cookie: cookieHeader(page.cookies) },
        payload: new URLSearchParams({ username: `ad${NUL}min`, password: 'whatever password', csrf_token: formToken(page.body) ?? '' }).toString(),
      });
      assertRefused(reply, 'POST /login');
    });

    test('a NUL in a staff form field is a 400 shown on the form, on every form that takes text', async () => {
      const forms: ReadonlyArray<readonly [string, Record<string, string>]> = [
        ['/accounts', { acctid: uniqueAcctId(), name: `Ada${NUL}`, notes: '' }],
        [`/accounts/${acctid}/entries`, { kind: 'adjustment', amount: '1.00', memo: `why${NUL}` }],
        ['/me/tokens', { label: `script${NUL}` }],
        ['/admin/users', { username: `${uniqueUsername()}${NUL}`, role: 'viewer', password: 'a long enough password 123' }],
      ];
      for (const [url, fields] of forms) assertRefused(await postStaffForm(app, cookie, url, fields), `POST ${url}`);
      assertRefused(await app.inject({ method: 'GET', url: '/accounts?q=a%00b', headers: { cookie } }), 'GET /accounts?q=');
    });

    test('a NUL in a JSON body, a query or an object key of the API is a 400 problem naming the field', async () => {
      const json = { authorization: bearer, 'content-type': 'application/json' };
      const calls: ReadonlyArray<readonly [string, InjectOptions, string]> = [
        ['POST /api/v1/accounts', { method: 'POST', url: '/api/v1/accounts', headers: json, payload: { acctid: uniqueAcctId(), name: `Ada${NUL}` } }, 'name'],
        ['POST entries', { method: 'POST', url: `/api/v1/accounts/${acctid}/entries`, headers: json, payload: { kind: 'adjustment', amount_cents: 100, memo: `why${NUL}` } }, 'memo'],
        ['PATCH notes', { method: 'PATCH', url: `/api/v1/accounts/${acctid}`, headers: json, payload: { notes: `one${NUL}two` } }, 'notes'],
        ['a key', { method: 'PATCH', url: `/api/v1/accounts/${acctid}`, headers: json, payload: { [`notes${NUL}`]: 'x' } }, `notes${NUL}`],
        ['GET ?q=', { method: 'GET', url: '/api/v1/accounts?q=a%00b', headers: { authorization: bearer } }, 'querystring.q'],
      ];
      for (const [what, request, field] of calls) {
        const reply = await app.inject(request);
        assertRefused(reply, what);
        assert.match(String(reply.headers['content-type']), /^application\/problem\+json/, what);
        assert.deepEqual(
          reply.json<{ errors?: { field: string }[] }>().errors?.map((error) => error.field),
          [field],
          what,
        );
      }
    });

    test('tabs and line breaks pass in multi-line text (notes, memo) and are refused in a single-line field (a name)', async () => {
      const json = { authorization: bearer, 'content-type': 'application/json' };
      const notes = await app.inject({ method: 'PATCH', url: `/api/v1/accounts/${acctid}`, headers: json, payload: { notes: 'first line\r\n\tsecond line' } });
      assert.equal(notes.statusCode, 200, notes.body);
      assert.equal(notes.json<{ notes: string }>().notes, 'first line\r\n\tsecond line');
      const memo = await postStaffForm(app, cookie, `/accounts/${acctid}/entries`, { kind: 'adjustment', amount: '1.00', memo: 'line one\nline two' });
      assert.equal(memo.statusCode, 303, memo.body.slice(0, 300));
      const name = await app.inject({ method: 'PATCH', url: `/api/v1/accounts/${acctid}`, headers: json, payload: { name: 'Ada\nLovelace' } });
      assertRefused(name, 'a line break in a name', /single line/);
      const stored = await db.selectFrom('account').select('name').where('acctid', '=', acctid).executeTakeFirstOrThrow();
      assert.doesNotMatch(stored.name, /\n/);
    });
  });
}
