/** "My account" (/me) on each database: changing one's own password, and one's API tokens. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, goodPassword, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

const SESSION = '__Host-crm-session';

/** The session cookie a reply sets, as a request header; undefined when it sets none. */
function sessionCookieOf(reply: LightMyRequestResponse): string | undefined {
  const cookie = reply.cookies.find((c) => c.name === SESSION && c.value !== '');
  return cookie && `${cookie.name}=${cookie.value}`;
}

/** The new token shown once on the page. */
function shownToken(body: string): string | undefined {
  return /<code class="token">(crm_[A-Za-z0-9_-]{43})<\/code>/.exec(body)?.[1];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The page holds this exact text (markup included). */
function assertHas(body: string, text: string, message = `expected the page to contain ${text}`): void {
  assert.ok(body.includes(text), message);
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`my account (/me) on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const me = (cookie: string, url = '/me') => app.inject({ method: 'GET', url, headers: { cookie } });
    const apiMe = (token: string) => app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    const auditCount = async (action: string, target: string) =>
      (await db.selectFrom('audit_event').select('id').where('action', '=', action).where('target', '=', target).execute()).length;

    test('the page shows who is signed in and their role, with labelled password and token forms', async () => {
      const clerk = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, clerk.username, clerk.password);
      const page = await me(cookie);
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['cache-control'], 'no-store');
      assertHas(page.body, `<dt>User name</dt><dd>${clerk.username}</dd>`);
      assert.match(page.body, /<dt>Role<\/dt><dd>clerk<\/dd>/);
      assert.match(page.body, /<a href="\/me" aria-current="page">My account<\/a>/);
      for (const id of ['current_password', 'new_password', 'confirm_password', 'token_label', 'token_expires_in_days']) {
        assertHas(page.body, `<label for="${id}">`, id);
        assertHas(page.body, ` id="${id}" name="`, id);
      }
      assert.match(page.body, /<caption>Your API tokens<\/caption>/);
      assert.match(page.body, /You have no API tokens\./);
    });

    test('a password change needs the right current password: a wrong one gets 400 and the form again, and nothing changes', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const chosen = goodPassword();
      const reply = await postStaffForm(app, cookie, '/me/password', { current_password: 'not my password at all', new_password: chosen, confirm_password: chosen });
      assert.equal(reply.statusCode, 400);
      assert.match(reply.body, /class="error-summary"/);
      assert.match(reply.body, /<a href="#current_password">Your current password is not right/);
      assert.match(reply.body, /aria-invalid="true" aria-describedby="current_password-error"/);
      assert.ok(!reply.body.includes(chosen), 'passwords are never shown again');
      assert.equal(sessionCookieOf(reply), undefined, 'the session is not rotated');
      assert.equal((await me(cookie)).statusCode, 200, 'the session still works');
      await signInWith(app, user.username, user.password);
      await assert.rejects(signInWith(app, user.username, chosen));
      assert.equal(await auditCount('user.password_changed', user.username), 0);
      assert.equal(await auditCount('user.password_change_refused', user.username), 1);
    });

    test("a weak new password is refused with the policy's message, and no password_changed row is written", async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      for (const [weak, message] of [
        ['short', /at least 12 characters/],
        ['password1234', /most common ones/],
        [`${user.username}-is-me`, /must not contain the user name/],
      ] as const) {
        const reply = await postStaffForm(app, cookie, '/me/password', { current_password: user.password, new_password: weak, confirm_password: weak });
        assert.equal(reply.statusCode, 400, weak);
        assert.match(reply.body, message);
        assert.match(reply.body, /<a href="#new_password">/);
        assert.ok(!reply.body.includes(user.password) && !reply.body.includes(`value="${weak}"`), 'no password is echoed');
      }
      assert.equal(await auditCount('user.password_changed', user.username), 0);
      assert.equal((await me(cookie)).statusCode, 200, 'a refused change ends no session');
    });

    test('the two new passwords must match, and an empty form gets 400 with messages instead of a 500', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const differ = await postStaffForm(app, cookie, '/me/password', { current_password: user.password, new_password: goodPassword(), confirm_password: goodPassword() });
      assert.equal(differ.statusCode, 400);
      assert.match(differ.body, /<a href="#confirm_password">The two new passwords are not the same/);
      const empty = await postStaffForm(app, cookie, '/me/password', {});
      assert.equal(empty.statusCode, 400);
      assert.match(empty.body, /Please enter your current password\./);
      assert.match(empty.body, /Please enter a new password\./);
      assert.match(empty.body, /<h1>My account<\/h1>/, 'the page itself, not a bare error page');
    });

    test('a password change rotates this session (the old cookie is refused, the new one works) and ends every other session', async () => {
      const user = await addUser(db, 'clerk');
      const here = await signInWith(app, user.username, user.password);
      const elsewhere = await signInWith(app, user.username, user.password);
      const chosen = goodPassword();
      const reply = await postStaffForm(app, here.cookie, '/me/password', { current_password: user.password, new_password: chosen, confirm_password: chosen });
      assert.equal(reply.statusCode, 303);
      assert.equal(reply.headers.location, '/me?done=password');
      const fresh = sessionCookieOf(reply);
      assert.ok(fresh, 'a new session cookie');
      assert.notEqual(fresh, here.cookie);
      const setCookie = String(reply.headers['set-cookie']);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /Secure/i);
      assert.match(setCookie, /Path=\//);

      const done = await me(fresh, '/me?done=password');
      assert.equal(done.statusCode, 200);
      assert.match(done.body, /role="status">Your password was changed\./);
      for (const old of [here.cookie, elsewhere.cookie]) {
        const refused = await me(old);
        assert.equal(refused.statusCode, 303, 'an ended session is sent to sign in');
        assert.match(String(refused.headers.location), /^\/login/);
      }
      await signInWith(app, user.username, chosen);
      await assert.rejects(signInWith(app, user.username, user.password), 'the old password no longer works');
      assert.equal(await auditCount('user.password_changed', user.username), 1);
    });

    test('a forged password change (a wrong form token) is refused with 403 before anything is checked, and audited once', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const chosen = goodPassword();
      const refusedBefore = (await db.selectFrom('audit_event').select('id').where('action', '=', 'form.refused').where('actor', '=', user.username).execute()).length;
      const reply = await postStaffForm(app, cookie, '/me/password', { current_password: user.password, new_password: chosen, confirm_password: chosen, csrf_token: 'forged' });
      assert.equal(reply.statusCode, 403);
      assert.match(reply.body, /This form could not be verified/);
      assert.equal(await auditCount('user.password_changed', user.username), 0);
      const refusedAfter = (await db.selectFrom('audit_event').select('id').where('action', '=', 'form.refused').where('actor', '=', user.username).execute()).length;
      assert.equal(refusedAfter - refusedBefore, 1);
      await signInWith(app, user.username, user.password);
    });

    test('current-password checks are limited per user: past the limit, 429 without checking', async () => {
      const limited = await testApp(db, { LOGIN_RATE_LIMIT: '2' });
      try {
        const user = await addUser(db, 'viewer');
        const { cookie } = await signInWith(limited, user.username, user.password);
        const attempt = () => postStaffForm(limited, cookie, '/me/password', { current_password: 'wrong guess number one', new_password: 'x', confirm_password: 'x' });
        assert.equal((await attempt()).statusCode, 400);
        assert.equal((await attempt()).statusCode, 400);
        const third = await attempt();
        assert.equal(third.statusCode, 429);
        assert.ok(Number(third.headers['retry-after']) > 0);
      } finally {
        await limited.close();
      }
    });

    test('a new token is shown once, on a 200 page (never a redirect); afterwards /me shows only its prefix, and the database only its SHA-256', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const reply = await postStaffForm(app, cookie, '/me/tokens', { label: 'nightly export', expires_in_days: '' });
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.headers.location, undefined);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.match(reply.body, /it will not be shown again/);
      const token = shownToken(reply.body);
      assert.ok(token, 'the token is on the page');
      assert.equal(reply.body.split(token).length - 1, 1, 'exactly once');

      const later = await me(cookie);
      assert.ok(!later.body.includes(token), 'not shown again');
      assert.ok(!later.body.includes(token.slice(10)), 'not even its secret part');
      assertHas(later.body, `<code>${token.slice(0, 10)}…</code>`);
      assert.match(later.body, /<th scope="row">nightly export<\/th>/);
      assert.match(later.body, />active</);

      const rows = await db.selectFrom('api_token').selectAll().where('user_id', '=', user.id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, sha256(token));
      assert.equal(rows[0]!.expires_at, null);
      assert.ok(!JSON.stringify(rows).includes(token.slice(10)), 'no column holds the token');
      const audit = await db.selectFrom('audit_event').selectAll().where('action', '=', 'token.created').where('target', 'like', `% of ${user.username}`).execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor, user.username);
      assert.ok(!JSON.stringify(audit).includes(token.slice(10)), 'nor does the audit log');
    });

    test('the new token works as a Bearer token on GET /api/v1/me, and revoking it stops it at once', async () => {
      const user = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, user.username, user.password);
      const token = shownToken((await postStaffForm(app, cookie, '/me/tokens', { label: 'ci' })).body)!;
      const ok = await apiMe(token);
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { username: user.username, role: 'clerk' });

      const [row] = await db.selectFrom('api_token').select('id').where('user_id', '=', user.id).execute();
      const revoked = await postStaffForm(app, cookie, `/me/tokens/${Number(row!.id)}/revoke`, {});
      assert.equal(revoked.statusCode, 303);
      assert.equal(revoked.headers.location, '/me?done=token_revoked');
      assert.equal((await apiMe(token)).statusCode, 401);
      const page = await me(cookie, '/me?done=token_revoked');
      assert.match(page.body, /The token was revoked: it no longer works\./);
      assert.match(page.body, />revoked</);
      assert.equal(await auditCount('token.revoked', `token ${Number(row!.id)} of ${user.username}`), 1);
    });

    test("another user's token cannot be revoked: 404, and it keeps working", async () => {
      const owner = await addUser(db, 'viewer');
      const token = await addToken(db, owner);
      const [row] = await db.selectFrom('api_token').select('id').where('user_id', '=', owner.id).execute();
      const other = await addUser(db, 'admin');
      const { cookie } = await signInWith(app, other.username, other.password);
      const reply = await postStaffForm(app, cookie, `/me/tokens/${Number(row!.id)}/revoke`, {});
      assert.equal(reply.statusCode, 404);
      assert.match(reply.body, /There is no API token with id \d+ among yours\./);
      assert.equal((await apiMe(token)).statusCode, 200);
      assert.equal(await auditCount('token.revoked', `token ${Number(row!.id)} of ${owner.username}`), 0);
    });

    test('a token id that is not a positive whole number gets 400 with a message; an unknown one 404', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      for (const id of ['abc', '0', '-3', '1.5', '99999999999999999999']) {
        const reply = await postStaffForm(app, cookie, `/me/tokens/${id}/revoke`, {});
        assert.equal(reply.statusCode, 400, id);
        assert.match(reply.body, /a token id is a positive whole number/, id);
      }
      assert.equal((await postStaffForm(app, cookie, '/me/tokens/987654321/revoke', {})).statusCode, 404);
    });

    test('a user holds at most API_TOKENS_PER_USER live tokens: one more is refused on the form with the reason; a revoked or expired one makes room', async () => {
      const capped = await testApp(db, { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0', API_TOKENS_PER_USER: '2' });
      try {
        const user = await addUser(db, 'viewer');
        const { cookie } = await signInWith(capped, user.username, user.password);
        const create = (label: string) => postStaffForm(capped, cookie, '/me/tokens', { label, expires_in_days: '' });
        assert.equal((await create('one')).statusCode, 200);
        assert.equal((await create('two')).statusCode, 200);
        const refused = await create('three');
        assert.equal(refused.statusCode, 409);
        assert.match(refused.body, /You already have 2 live API tokens, the most allowed\. Revoke one you no longer use/);
        assert.match(refused.body, /name="label" value="three"/);
        assert.equal(shownToken(refused.body), undefined);
        const rows = await db.selectFrom('api_token').select('id').where('user_id', '=', user.id).orderBy('id').execute();
        assert.equal(rows.length, 2, 'no third token');

        await db.updateTable('api_token').set({ expires_at: Date.now() - 1 }).where('id', '=', rows[0]!.id).execute();
        assert.equal((await create('three')).statusCode, 200, 'an expired token does not count');
        assert.equal((await create('four')).statusCode, 409);
        const revoke = await postStaffForm(capped, cookie, `/me/tokens/${rows[1]!.id}/revoke`, {});
        assert.equal(revoke.statusCode, 303);
        assert.equal((await create('four')).statusCode, 200, 'a revoked token does not count');
      } finally {
        await capped.close();
      }
    });

    test('an expiry in days sets expires_at that far ahead; a missing label or a bad expiry gets 400 with the form as typed', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const start = Date.now();
      const made = await postStaffForm(app, cookie, '/me/tokens', { label: 'weekly', expires_in_days: '7' });
      assert.equal(made.statusCode, 200);
      assert.match(made.body, /It expires [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M\./);
      const [row] = await db.selectFrom('api_token').select('expires_at').where('user_id', '=', user.id).execute();
      const expiresAt = Number(row!.expires_at);
      assert.ok(expiresAt >= start + 7 * 86_400_000 && expiresAt <= Date.now() + 7 * 86_400_000);

      const noLabel = await postStaffForm(app, cookie, '/me/tokens', { label: '   ', expires_in_days: '30' });
      assert.equal(noLabel.statusCode, 400);
      assert.match(noLabel.body, /<a href="#token_label">Please give the token a label/);
      assert.match(noLabel.body, /id="token_expires_in_days" name="expires_in_days" value="30"/);
      for (const days of ['0', '366', 'abc', '1.5', '-1']) {
        const reply = await postStaffForm(app, cookie, '/me/tokens', { label: 'keep me', expires_in_days: days });
        assert.equal(reply.statusCode, 400, days);
        assert.match(reply.body, /<a href="#token_expires_in_days">The expiry must be a whole number of days from 1 to 365/, days);
        assert.match(reply.body, /id="token_label" name="label" value="keep me"/, days);
        assert.equal(shownToken(reply.body), undefined);
      }
      assert.equal((await db.selectFrom('api_token').select('id').where('user_id', '=', user.id).execute()).length, 1, 'no token from a refused form');
    });

    test('done= shows only its fixed message; anything else in it shows nothing', async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const bogus = await me(cookie, `/me?done=${encodeURIComponent('<b>you were hacked</b>')}`);
      assert.equal(bogus.statusCode, 200);
      assert.doesNotMatch(bogus.body, /hacked|class="flash/);
      const proto = await me(cookie, '/me?done=toString');
      assert.doesNotMatch(proto.body, /class="flash/);
    });
  });
}
