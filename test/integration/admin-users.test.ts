/** User administration (/admin/users) on each database: every change audited, refused ones leaving no trace. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { changeRole } from '../../src/modules/staff/users.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, goodPassword, postStaffForm, signInWith, uniqueUsername, type TestUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, type TestDatabase } from '../support/test-databases.js';

const ENV = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' };

/** The page holds this exact text (markup included). */
function assertHas(body: string, text: string, message = `expected the page to contain ${text}`): void {
  assert.ok(body.includes(text), message);
}

/**
 * A database of its own, migrated and empty, for tests that need to know
 * every admin in it (the shared test database has admins from other tests).
 */
async function ownDatabase(target: TestDatabase): Promise<{ db: Kysely<Database>; drop: () => Promise<void> }> {
  if (target.url.startsWith('sqlite:')) {
    const opened = await openTestDatabase({ name: target.name, url: 'sqlite::memory:' });
    if (!opened.db) throw new Error(opened.skip);
    return { db: opened.db, drop: () => opened.db.destroy() };
  }
  const server = await openTestDatabase(target);
  if (!server.db) throw new Error(server.skip);
  const admin = server.db;
  const name = `crm_admins_${randomBytes(4).toString('hex')}`;
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(target.url);
  url.pathname = `/${name}`;
  const own = await openTestDatabase({ name: target.name, url: url.toString() });
  if (!own.db) throw new Error(own.skip);
  return {
    db: own.db,
    drop: async () => {
      await own.db.destroy();
      await sql`drop database ${sql.id(name)}`.execute(admin);
      await admin.destroy();
    },
  };
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`user administration on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let admin: TestUser;
    let adminCookie: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, ENV);
      admin = await addUser(db, 'admin');
      adminCookie = (await signInWith(app, admin.username, admin.password)).cookie;
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const page = (cookie: string, url = '/admin/users') => app.inject({ method: 'GET', url, headers: { cookie } });
    const asAdmin = (url: string, fields: Record<string, string> = {}) => postStaffForm(app, adminCookie, url, fields);
    const auditRows = (action: string, target: string) => db.selectFrom('audit_event').selectAll().where('action', '=', action).where('target', '=', target).execute();
    const roleOf = async (id: number) => (await db.selectFrom('staff_user').select('role').where('id', '=', id).executeTakeFirstOrThrow()).role;
    const signedIn = async (cookie: string) => (await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).statusCode === 200;

    test('the page lists each user with role, status and creation time, with labelled forms for each action', async () => {
      const viewer = await addUser(db, 'viewer');
      const reply = await page(adminCookie);
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.match(reply.body, /<caption>Staff users<\/caption>/);
      const row = `<tr><th scope="row">${viewer.username}</th><td data-label="Role">viewer</td><td data-label="Status"><span class="pill pill-success">active</span></td><td data-label="Created">`;
      assertHas(reply.body, row);
      assert.match(reply.body.slice(reply.body.indexOf(row) + row.length), /^<time datetime="[^"]+" title="[^"]+">(just now|\d+ min ago)<\/time><\/td>/);
      for (const id of ['new_username', 'new_role', 'new_password', `role-${viewer.id}`, `password-${viewer.id}`]) {
        assertHas(reply.body, `<label for="${id}">`, id);
        assertHas(reply.body, ` id="${id}" name="`, id);
      }
      assertHas(reply.body, `<button type="submit">Disable<span class="visually-hidden"> ${viewer.username}</span></button>`);
    });

    test('a locked user shows as locked until a time; a disabled one as disabled', async () => {
      const locked = await addUser(db, 'clerk');
      const until = Date.UTC(2099, 0, 2, 3, 4);
      await db.updateTable('staff_user').set({ locked_until: until }).where('id', '=', locked.id).execute();
      const reply = await page(adminCookie);
      assertHas(reply.body, `${locked.username}</th><td data-label="Role">clerk</td><td data-label="Status"><span class="pill pill-warning">locked until Jan 2, 2099, 3:04 AM</span></td>`);
      assert.equal((await asAdmin(`/admin/users/${locked.id}/disable`)).statusCode, 303);
      assertHas((await page(adminCookie)).body, `${locked.username}</th><td data-label="Role">clerk</td><td data-label="Status"><span class="pill pill-neutral">disabled</span></td>`);
    });

    test("an admin creates a user: 303 to the list, the user can sign in, and the audit row names the admin, the address and the request id", async () => {
      const username = uniqueUsername('new');
      const password = goodPassword();
      const reply = await asAdmin('/admin/users', { username: username.toUpperCase(), role: 'clerk', password });
      assert.equal(reply.statusCode, 303);
      assert.equal(reply.headers.location, '/admin/users?done=created');
      assert.match((await page(adminCookie, '/admin/users?done=created')).body, /role="status">The user was created\./);
      await signInWith(app, username, password);
      const [row] = await auditRows('user.created', username);
      assert.ok(row, 'a user.created row');
      assert.equal(row.actor, admin.username);
      assert.equal(row.ip, '127.0.0.1');
      assert.equal(row.request_id, reply.headers['x-request-id']);
      assert.deepEqual(JSON.parse(row.after_json ?? 'null'), { role: 'clerk', disabled: false });
    });

    test('a duplicate user name gets 409 with a message on the form, keeps what was typed, and writes no user.created row', async () => {
      const existing = await addUser(db, 'viewer');
      const password = goodPassword();
      const reply = await asAdmin('/admin/users', { username: existing.username, role: 'admin', password });
      assert.equal(reply.statusCode, 409);
      assertHas(reply.body, `<a href="#new_username">The user name &quot;${existing.username}&quot; is already taken.</a>`);
      assertHas(reply.body, `id="new_username" name="username" value="${existing.username}"`);
      assert.match(reply.body, /<option value="admin" selected>admin<\/option>/);
      assert.ok(!reply.body.includes(password), 'the password is not echoed');
      // Only the one from addUser: the refused insert's transaction wrote nothing.
      assert.equal((await auditRows('user.created', existing.username)).length, 1);
      assert.equal(await roleOf(existing.id), 'viewer');
    });

    test("a weak initial password gets 400 with the policy's message and creates nobody; a bad name or role gets 400 too", async () => {
      const username = uniqueUsername('weak');
      const weak = await asAdmin('/admin/users', { username, role: 'viewer', password: 'password1234' });
      assert.equal(weak.statusCode, 400);
      assert.match(weak.body, /<a href="#new_password">This password is one of the most common ones/);
      assert.equal((await db.selectFrom('staff_user').select('id').where('username', '=', username).execute()).length, 0);
      assert.equal((await auditRows('user.created', username)).length, 0);

      const badName = await asAdmin('/admin/users', { username: 'a b', role: 'viewer', password: goodPassword() });
      assert.equal(badName.statusCode, 400);
      assert.match(badName.body, /<a href="#new_username">A user name must be 3 to 64 characters/);
      const badRole = await asAdmin('/admin/users', { username, role: 'owner', password: goodPassword() });
      assert.equal(badRole.statusCode, 400);
      assert.match(badRole.body, /<a href="#new_role">Please choose a role: admin, clerk, viewer\./);
      assert.match(badRole.body, /<option value="viewer" selected>viewer<\/option>/, 'an unknown role falls back to the least one');
      const empty = await asAdmin('/admin/users', {});
      assert.equal(empty.statusCode, 400);
      assert.match(empty.body, /Please enter a user name\./);
      assert.match(empty.body, /Please enter an initial password\./);
    });

    test("a role change applies at once: the user's sessions end, and the audit row has the role before and after", async () => {
      const clerk = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, clerk.username, clerk.password);
      const reply = await asAdmin(`/admin/users/${clerk.id}/role`, { role: 'viewer' });
      assert.equal(reply.statusCode, 303);
      assert.equal(reply.headers.location, '/admin/users?done=role');
      assert.equal(await roleOf(clerk.id), 'viewer');
      assert.equal(await signedIn(cookie), false, 'the old session is over');
      const [row] = await auditRows('user.role_changed', clerk.username);
      assert.equal(row?.actor, admin.username);
      assert.deepEqual(JSON.parse(row?.before_json ?? 'null'), { role: 'clerk' });
      assert.deepEqual(JSON.parse(row?.after_json ?? 'null'), { role: 'viewer' });
      const bad = await asAdmin(`/admin/users/${clerk.id}/role`, { role: 'root' });
      assert.equal(bad.statusCode, 400);
      assertHas(bad.body, `<a href="#role-${clerk.id}">${clerk.username}: Please choose a role`);
    });

    test("disabling ends the user's sessions and stops their API tokens at once; enabling lets them back in", async () => {
      const user = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, user.username, user.password);
      const token = await addToken(db, user);
      const api = () => app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await api()).statusCode, 200);

      const disabled = await asAdmin(`/admin/users/${user.id}/disable`);
      assert.equal(disabled.statusCode, 303);
      assert.equal(disabled.headers.location, '/admin/users?done=disabled');
      assert.equal(await signedIn(cookie), false);
      assert.equal((await api()).statusCode, 401);
      await assert.rejects(signInWith(app, user.username, user.password));
      assert.equal((await auditRows('user.disabled', user.username)).length, 1);

      const enabled = await asAdmin(`/admin/users/${user.id}/enable`);
      assert.equal(enabled.statusCode, 303);
      assert.equal(enabled.headers.location, '/admin/users?done=enabled');
      await signInWith(app, user.username, user.password);
      assert.equal((await api()).statusCode, 200, 'the token works again with its owner');
      assert.equal((await auditRows('user.enabled', user.username)).length, 1);
    });

    test("a password reset ends the user's sessions; the new password works and the old does not; a weak one is refused on the row", async () => {
      const user = await addUser(db, 'viewer');
      const { cookie } = await signInWith(app, user.username, user.password);
      const weak = await asAdmin(`/admin/users/${user.id}/password`, { password: 'short' });
      assert.equal(weak.statusCode, 400);
      assertHas(weak.body, `<a href="#password-${user.id}">${user.username}: The password must be at least 12 characters long.`);
      assert.equal(await signedIn(cookie), true, 'a refused reset changes nothing');

      const chosen = goodPassword();
      const reply = await asAdmin(`/admin/users/${user.id}/password`, { password: chosen });
      assert.equal(reply.statusCode, 303);
      assert.equal(reply.headers.location, '/admin/users?done=password');
      assert.equal(await signedIn(cookie), false);
      await signInWith(app, user.username, chosen);
      await assert.rejects(signInWith(app, user.username, user.password));
      const rows = await auditRows('user.password_changed', user.username);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor, admin.username);
    });

    test('an unknown user id gets 404; an id that is not a positive whole number gets 400 with a message', async () => {
      for (const action of ['disable', 'enable']) assert.equal((await asAdmin(`/admin/users/987654321/${action}`)).statusCode, 404, action);
      assert.equal((await asAdmin('/admin/users/987654321/role', { role: 'viewer' })).statusCode, 404);
      assert.equal((await asAdmin('/admin/users/987654321/password', { password: goodPassword() })).statusCode, 404);
      for (const id of ['abc', '0', '-1', '2.5', '1e400']) {
        const reply = await asAdmin(`/admin/users/${id}/disable`);
        assert.equal(reply.statusCode, 400, id);
        assert.match(reply.body, /a user id is a positive whole number/, id);
      }
    });

    test('a clerk or viewer gets 403 on every /admin page and form, and nothing changes', async () => {
      const victim = await addUser(db, 'viewer');
      for (const role of ['clerk', 'viewer'] as const) {
        const user = await addUser(db, role);
        const { cookie } = await signInWith(app, user.username, user.password);
        assert.equal((await page(cookie)).statusCode, 403, `${role} GET /admin/users`);
        assert.equal((await page(cookie, '/admin/audit')).statusCode, 403, `${role} GET /admin/audit`);
        assert.equal((await page(cookie, '/admin/audit?from=not-a-date')).statusCode, 403, `${role} GET /admin/audit with a bad date`);
        for (const [url, fields] of [
          ['/admin/users', { username: uniqueUsername('x'), role: 'admin', password: goodPassword() }],
          ['/admin/users', {}],
          [`/admin/users/${victim.id}/role`, { role: 'admin' }],
          [`/admin/users/${victim.id}/disable`, {}],
          [`/admin/users/${victim.id}/password`, { password: goodPassword() }],
        ] as const) {
          const reply = await postStaffForm(app, cookie, url, fields);
          assert.equal(reply.statusCode, 403, `${role} POST ${url}`);
          assert.doesNotMatch(reply.body, /Staff users/, 'no user list for them');
        }
      }
      assert.equal(await roleOf(victim.id), 'viewer');
      await signInWith(app, victim.username, victim.password);
    });

    describe('the last active admin', () => {
      let own: { db: Kysely<Database>; drop: () => Promise<void> };
      let ownApp: App;
      before(async () => {
        own = await ownDatabase(target);
        ownApp = await testApp(own.db, ENV);
      });
      after(async () => {
        await ownApp?.close();
        await own?.drop();
      });

      test('cannot disable or demote themselves: 409 with the message on their row, no change and no audit row', async () => {
        const lone = await addUser(own.db, 'admin');
        const { cookie } = await signInWith(ownApp, lone.username, lone.password);
        const disable = await postStaffForm(ownApp, cookie, `/admin/users/${lone.id}/disable`, {});
        assert.equal(disable.statusCode, 409);
        assertHas(disable.body, `<a href="#disable-${lone.id}">${lone.username}: This is the last active admin: make another user admin first.</a>`);
        assertHas(disable.body, `<p class="field-error" id="disable-${lone.id}">This is the last active admin`);
        const demote = await postStaffForm(ownApp, cookie, `/admin/users/${lone.id}/role`, { role: 'viewer' });
        assert.equal(demote.statusCode, 409);
        assertHas(demote.body, `<a href="#role-${lone.id}">`);
        assert.match(demote.body, /<option value="viewer" selected>viewer<\/option>/, 'the role asked for is shown again');

        const row = await own.db.selectFrom('staff_user').select(['role', 'disabled']).where('id', '=', lone.id).executeTakeFirstOrThrow();
        assert.equal(row.role, 'admin');
        assert.equal(Number(row.disabled), 0);
        const audit = await own.db.selectFrom('audit_event').select('action').where('action', 'in', ['user.role_changed', 'user.disabled']).execute();
        assert.deepEqual(audit, [], 'a refused change leaves no audit row');
        assert.equal((await ownApp.inject({ method: 'GET', url: '/admin/users', headers: { cookie } })).statusCode, 200, 'still signed in, still admin');
      });

      test('once another admin exists, the first may step down', async () => {
        const first = await own.db.selectFrom('staff_user').select(['id', 'username']).where('role', '=', 'admin').executeTakeFirstOrThrow();
        const second = await addUser(own.db, 'admin');
        const { cookie } = await signInWith(ownApp, second.username, second.password);
        const reply = await postStaffForm(ownApp, cookie, `/admin/users/${Number(first.id)}/role`, { role: 'clerk' });
        assert.equal(reply.statusCode, 303);
        const rows = await own.db.selectFrom('audit_event').selectAll().where('action', '=', 'user.role_changed').execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.target, first.username);
        // Now the second is the last one.
        assert.equal((await postStaffForm(ownApp, cookie, `/admin/users/${second.id}/disable`, {})).statusCode, 409);
      });

      test('two admins demoting each other at the same moment: one succeeds, the other is refused, and one admin remains', async () => {
        for (let round = 0; round < 5; round++) {
          const [a, b] = [await addUser(own.db, 'admin'), await addUser(own.db, 'admin')];
          // Exactly these two are the active admins.
          const others = await own.db.selectFrom('staff_user').select('id').where('role', '=', 'admin').where('id', 'not in', [a.id, b.id]).execute();
          for (const other of others) await changeRole(own.db, CLI_ACTOR, Number(other.id), 'clerk');
          const outcomes = await Promise.allSettled([
            changeRole(own.db, { name: a.username }, b.id, 'viewer'),
            changeRole(own.db, { name: b.username }, a.id, 'viewer'),
          ]);
          assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1, `round ${round}`);
          const refused = outcomes.find((outcome) => outcome.status === 'rejected');
          assert.equal((refused?.reason as { code?: string } | undefined)?.code, 'LAST_ADMIN', `round ${round}`);
          const admins = await own.db.selectFrom('staff_user').select('id').where('role', '=', 'admin').where('disabled', '=', 0).execute();
          assert.equal(admins.length, 1, `round ${round}: one admin remains`);
        }
      });
    });
  });
}
