/** Signing in and out, sessions and their limits, lockout, and the sign-in rate limits, on each database. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { SIGN_IN_FAILED } from '../../src/modules/staff/login.views.js';
import { hashSessionId, pruneExpiredSessions } from '../../src/modules/staff/sessions.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { formToken } from '../support/https-client.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';
import { addUser, cookieHeader, postStaffForm, signInWith, uniqueUsername } from '../support/staff.js';

const FORM = 'application/x-www-form-urlencoded';
/** Staff-only lookup: GET / is then a signed-in page carrying the session's form token. */
const STAFF_LOOKUP = { CRM_PUBLIC_LOOKUP: 'false', LOGIN_RATE_LIMIT: '0', LOOKUP_RATE_LIMIT: '0' };

async function attempt(app: App, username: string, password: string, extra: { next?: string; remoteAddress?: string } = {}) {
  const page = await app.inject({ method: 'GET', url: '/login', ...(extra.remoteAddress ? { remoteAddress: extra.remoteAddress } : {}) });
  return app.inject({
    method: 'POST',
    url: '/login',
    ...(extra.remoteAddress ? { remoteAddress: extra.remoteAddress } : {}),
    headers: { 'content-type': FORM, cookie: cookieHeader(page.cookies) },
    payload: new URLSearchParams({ username, password, csrf_token: formToken(page.body) ?? '', ...(extra.next ? { next: extra.next } : {}) }).toString(),
  });
}

const auditCount = async (db: Kysely<Database>, action: string, target: string) =>
  (await db.selectFrom('audit_event').select('id').where('action', '=', action).where('target', '=', target).execute()).length;

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`signing in on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    before(async () => {
      db = opened.db!;
      app = await testApp(db, { ...STAFF_LOOKUP, LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_SECONDS: '60' });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    test('the right password starts a session in a __Host- cookie (Secure, HttpOnly, SameSite=Lax) and goes back to the page that asked', async () => {
      const user = await addUser(db, 'viewer');
      const reply = await attempt(app, user.username.toUpperCase(), user.password, { next: '/?from=mail' });
      assert.equal(reply.statusCode, 303);
      assert.equal(reply.headers.location, '/?from=mail');
      const cookie = reply.cookies.find((c) => c.name === '__Host-crm-session');
      assert.ok(cookie);
      assert.deepEqual([cookie.secure, cookie.httpOnly, cookie.sameSite, cookie.path, cookie.domain], [true, true, 'Lax', '/', undefined]);
      const row = await db.selectFrom('staff_session').select('id_hash').where('id_hash', '=', hashSessionId(cookie.value)).executeTakeFirst();
      assert.ok(row, 'the database holds the hash of the cookie, not the cookie');
      assert.equal(await db.selectFrom('staff_session').select('id_hash').where('id_hash', '=', cookie.value).executeTakeFirst(), undefined);
      const home = await app.inject({ method: 'GET', url: '/', headers: { cookie: `${cookie.name}=${cookie.value}` } });
      assert.equal(home.statusCode, 200);
      assert.ok(home.body.includes(`Signed in as ${user.username} (viewer)`));
      assert.equal(await auditCount(db, 'session.signed_in', user.username), 1);
    });

    test('a next= that leaves the site is replaced by the dashboard, where a sign-in without next= lands', async () => {
      const user = await addUser(db, 'viewer');
      for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
        const reply = await attempt(app, user.username, user.password, { next });
        assert.equal(reply.headers.location, '/dashboard', next);
      }
      assert.equal((await attempt(app, user.username, user.password)).headers.location, '/dashboard');
    });

    test('a next= with characters a Location header cannot carry is sent percent-encoded, and every sign-in leaves one session', async () => {
      const user = await addUser(db, 'viewer');
      const cases: ReadonlyArray<readonly [string, string]> = [
        ['/\u0100', '/%C4%80'],
        ['/caf\u00e9?q=\u00fc#t', '/caf%C3%A9?q=%C3%BC#t'],
        ['/accounts?q=%C3%A9', '/accounts?q=%C3%A9'],
      ];
      for (const [next, location] of cases) {
        const reply = await attempt(app, user.username, user.password, { next });
        assert.equal(reply.statusCode, 303, next);
        assert.equal(reply.headers.location, location, next);
      }
      const sessions = await db.selectFrom('staff_session').select('id_hash').where('user_id', '=', user.id).execute();
      assert.equal(sessions.length, cases.length);
    });

    test('a wrong password and an unknown user get the same 401 page and message, and both are audited', async () => {
      const user = await addUser(db, 'clerk');
      const stranger = uniqueUsername('nobody');
      const wrong = await attempt(app, user.username, 'not the password at all');
      const unknown = await attempt(app, stranger, 'not the password at all');
      for (const reply of [wrong, unknown]) {
        assert.equal(reply.statusCode, 401);
        assert.ok(reply.body.includes(SIGN_IN_FAILED));
        assert.equal(reply.cookies.find((c) => c.name === '__Host-crm-session'), undefined);
      }
      const normalize = (body: string, name: string) => body.replace(/value="[^"]*"/g, 'value=""').replaceAll(name, 'NAME');
      assert.equal(normalize(wrong.body, user.username), normalize(unknown.body, stranger));
      assert.equal(await auditCount(db, 'session.sign_in_failed', user.username), 1);
      assert.equal(await auditCount(db, 'session.sign_in_failed', stranger), 1);
    });

    test('after 3 failures the account locks: the right password is refused with the same message, and the lock doubles per further failure', async () => {
      const user = await addUser(db, 'viewer');
      for (let i = 0; i < 3; i++) assert.equal((await attempt(app, user.username, 'wrong password here')).statusCode, 401);
      const lockedFor = async () => {
        const row = await db.selectFrom('staff_user').select('locked_until').where('id', '=', user.id).executeTakeFirstOrThrow();
        return row.locked_until === null ? 0 : Number(row.locked_until) - Date.now();
      };
      const first = await lockedFor();
      assert.ok(first > 55_000 && first <= 60_000, `locked for ${first} ms`);
      const refused = await attempt(app, user.username, user.password);
      assert.equal(refused.statusCode, 401);
      assert.ok(refused.body.includes(SIGN_IN_FAILED));
      assert.equal(await auditCount(db, 'user.locked', user.username), 1);
      // The lock runs out (moved into the past here); the next failure locks for twice as long.
      await db.updateTable('staff_user').set({ locked_until: Date.now() - 1 }).where('id', '=', user.id).execute();
      await attempt(app, user.username, 'wrong password again');
      const second = await lockedFor();
      assert.ok(second > 115_000 && second <= 120_000, `locked for ${second} ms`);
      // Once it runs out, the right password works and the count starts again.
      await db.updateTable('staff_user').set({ locked_until: Date.now() - 1 }).where('id', '=', user.id).execute();
      assert.equal((await attempt(app, user.username, user.password)).statusCode, 303);
      const row = await db.selectFrom('staff_user').select(['failed_logins', 'locked_until']).where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.deepEqual([Number(row.failed_logins), row.locked_until], [0, null]);
    });

    test('a session idle past its limit or older than its maximum is refused, and pruning deletes it', async () => {
      const user = await addUser(db, 'viewer');
      const idle = await signInWith(app, user.username, user.password);
      const old = await signInWith(app, user.username, user.password);
      const idOf = (cookie: string) => hashSessionId(cookie.split('=')[1] ?? '');
      await db.updateTable('staff_session').set({ last_seen_at: Date.now() - 31 * 60_000 }).where('id_hash', '=', idOf(idle.cookie)).execute();
      await db.updateTable('staff_session').set({ expires_at: Date.now() - 1 }).where('id_hash', '=', idOf(old.cookie)).execute();
      for (const { cookie } of [idle, old]) {
        const reply = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
        assert.equal(reply.statusCode, 303);
        assert.equal(reply.headers.location, '/login');
      }
      await pruneExpiredSessions(db, { idleMs: 30 * 60_000, maxAgeMs: 12 * 3_600_000 });
      const left = await db.selectFrom('staff_session').select('id_hash').where('id_hash', 'in', [idOf(idle.cookie), idOf(old.cookie)]).execute();
      assert.deepEqual(left, []);
    });

    test('a signed-in user keeps the staff navigation on a missing page and an unknown account; an anonymous visitor gets the plain 404', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      for (const url of ['/no-such-page', '/accounts/NOSUCHACCT1']) {
        const missing = await app.inject({ method: 'GET', url, headers: { cookie } });
        assert.equal(missing.statusCode, 404, url);
        assert.ok(missing.body.includes('<nav aria-label="Main"'), `${url}: the staff navigation`);
        assert.ok(missing.body.includes(`Signed in as ${user.username} (viewer)`), url);
        assert.ok(!missing.body.includes('href="/admin/users"'), `${url}: only the entries a viewer may open`);
      }
      const anonymous = await app.inject({ method: 'GET', url: '/no-such-page' });
      assert.equal(anonymous.statusCode, 404);
      assert.ok(!anonymous.body.includes('<nav aria-label="Main"'));
      assert.ok(!anonymous.body.includes('Signed in as'));
    });

    test('signing out ends the session in the database: the cookie is refused afterwards', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const out = await postStaffForm(app, cookie, '/logout', {}, '/');
      assert.equal(out.statusCode, 303);
      assert.equal((await app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode, 303);
      assert.equal(await auditCount(db, 'session.signed_out', user.username), 1);
    });

    test('a staff form needs the token of its own session: none, or another session’s, is refused and audited', async () => {
      const user = await addUser(db, 'viewer');
      const mine = await signInWith(app, user.username, user.password);
      const theirs = await signInWith(app, user.username, user.password);
      const theirToken = formToken((await app.inject({ method: 'GET', url: '/', headers: { cookie: theirs.cookie } })).body) ?? '';
      const refusedBefore = await auditCount(db, 'form.refused', 'POST /logout');
      for (const csrf of ['', theirToken]) {
        const reply = await app.inject({ method: 'POST', url: '/logout', headers: { 'content-type': FORM, cookie: mine.cookie }, payload: `csrf_token=${encodeURIComponent(csrf)}` });
        assert.equal(reply.statusCode, 403);
        assert.match(reply.body, /could not be verified/);
      }
      assert.equal((await app.inject({ method: 'GET', url: '/', headers: { cookie: mine.cookie } })).statusCode, 200, 'still signed in');
      assert.equal(await auditCount(db, 'form.refused', 'POST /logout'), refusedBefore + 2);
    });

    test('disabling a user ends their sessions at once', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      await db.updateTable('staff_user').set({ disabled: 1 }).where('id', '=', user.id).execute();
      assert.equal((await app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode, 303);
      assert.equal((await attempt(app, user.username, user.password)).statusCode, 401);
    });
  });
}

describe('sign-in rate limits', () => {
  test('LOGIN_RATE_LIMIT counts posts per address: the 4th in a minute gets 429 with Retry-After', async () => {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    const app = await testApp(db!, { LOGIN_RATE_LIMIT: '3', LOGIN_LOCKOUT_THRESHOLD: '0' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await attempt(app, uniqueUsername(), 'whatever password', { remoteAddress: '10.1.0.1' })).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal((await attempt(app, uniqueUsername(), 'whatever password', { remoteAddress: '10.1.0.2' })).statusCode, 401, 'another address is not affected');
    } finally {
      await app.close();
      await db!.destroy();
    }
  });

  test('LOGIN_RATE_LIMIT also counts per user name, whatever the address', async () => {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    const app = await testApp(db!, { LOGIN_RATE_LIMIT: '3', LOGIN_LOCKOUT_THRESHOLD: '0' });
    try {
      const name = uniqueUsername();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await attempt(app, i % 2 ? name.toUpperCase() : name, 'whatever password', { remoteAddress: `10.2.0.${i}` })).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });
});
