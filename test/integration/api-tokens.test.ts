/** Bearer tokens on /api/v1: who they act as, when they stop working, and their rate limit. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createToken, hashToken, revokeToken } from '../../src/modules/staff/tokens.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, signInWith, TEST_TOKEN_POLICY } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

const me = (app: App, authorization?: string, cookie?: string) =>
  app.inject({ method: 'GET', url: '/api/v1/me', headers: { ...(authorization ? { authorization } : {}), ...(cookie ? { cookie } : {}) } });

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`API tokens on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    before(async () => {
      db = opened.db!;
      app = await testApp(db, { API_RATE_LIMIT: '0', LOGIN_RATE_LIMIT: '0' });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    test('a token acts as its owner, with the owner’s role: GET /api/v1/me names them', async () => {
      const clerk = await addUser(db, 'clerk');
      const token = await addToken(db, clerk);
      const reply = await me(app, `Bearer ${token}`);
      assert.equal(reply.statusCode, 200);
      assert.deepEqual(reply.json(), { username: clerk.username, role: 'clerk' });
      assert.equal(reply.headers['set-cookie'], undefined, 'the API sets no cookies');
    });

    test('the token is crm_-prefixed, and only its SHA-256 is stored', async () => {
      const user = await addUser(db, 'viewer');
      const token = await addToken(db, user);
      assert.match(token, /^crm_[A-Za-z0-9_-]{43}$/);
      const rows = await db.selectFrom('api_token').selectAll().where('user_id', '=', user.id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, hashToken(token));
      assert.ok(!JSON.stringify(rows).includes(token.slice(4)), 'no column holds the token');
      const audit = await db.selectFrom('audit_event').selectAll().where('action', '=', 'token.created').where('target', 'like', `% of ${user.username}`).execute();
      assert.equal(audit.length, 1);
      assert.ok(!JSON.stringify(audit).includes(token.slice(4)), 'the audit row does not hold it either');
    });

    test('no token, a malformed one or an unknown one gets 401 problem+json with a Bearer challenge', async () => {
      for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer crm_short', `Bearer crm_${'A'.repeat(43)}`]) {
        const reply = await me(app, authorization);
        assert.equal(reply.statusCode, 401, String(authorization));
        assert.match(String(reply.headers['content-type']), /application\/problem\+json/);
        assert.match(String(reply.headers['www-authenticate']), /^Bearer realm="globomantics-crm"/);
      }
    });

    test('a session cookie does not open the API: it answers bearer tokens only', async () => {
      const user = await addUser(db, 'admin');
      const { cookie } = await signInWith(app, user.username, user.password);
      assert.equal((await me(app, undefined, cookie)).statusCode, 401);
    });

    test('a revoked token, an expired token and a disabled owner’s token stop working at once', async () => {
      const user = await addUser(db, 'viewer');
      const revoked = await createToken(db, CLI_ACTOR, { userId: user.id, username: user.username, label: 'revoked', expiresAt: null }, TEST_TOKEN_POLICY);
      const expiring = await createToken(db, CLI_ACTOR, { userId: user.id, username: user.username, label: 'expiring', expiresAt: Date.now() + 60_000 }, TEST_TOKEN_POLICY);
      const plain = await addToken(db, user);
      for (const token of [revoked.token, expiring.token, plain]) assert.equal((await me(app, `Bearer ${token}`)).statusCode, 200);

      await revokeToken(db, CLI_ACTOR, revoked.info.id);
      await db.updateTable('api_token').set({ expires_at: Date.now() - 1 }).where('id', '=', expiring.info.id).execute();
      assert.equal((await me(app, `Bearer ${revoked.token}`)).statusCode, 401);
      assert.equal((await me(app, `Bearer ${expiring.token}`)).statusCode, 401);
      assert.equal((await me(app, `Bearer ${plain}`)).statusCode, 200);

      await db.updateTable('staff_user').set({ disabled: 1 }).where('id', '=', user.id).execute();
      assert.equal((await me(app, `Bearer ${plain}`)).statusCode, 401);
    });

    test('a token records when it was last used', async () => {
      const user = await addUser(db, 'viewer');
      const token = await addToken(db, user);
      const usedAt = async () => (await db.selectFrom('api_token').select('last_used_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow()).last_used_at;
      assert.equal(await usedAt(), null);
      const before = Date.now();
      await me(app, `Bearer ${token}`);
      assert.ok(Number(await usedAt()) >= before);
    });
  });
}

describe('the API rate limit', () => {
  test('API_RATE_LIMIT counts per token: the 4th call in a minute gets 429, another token is unaffected', async () => {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    const app = await testApp(db!, { API_RATE_LIMIT: '3' });
    try {
      const user = await addUser(db!, 'viewer');
      const [first, second] = [await addToken(db!, user), await addToken(db!, user)];
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await me(app, `Bearer ${first}`)).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await me(app, `Bearer ${first}`);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
      assert.match(limited.json<{ detail: string }>().detail, /Too many requests with this token/);
      assert.equal((await me(app, `Bearer ${second}`)).statusCode, 200);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });

  test("API_USER_RATE_LIMIT counts all of a user's tokens together: more tokens do not buy more calls, another user is unaffected", async () => {
    const { db } = await openTestDatabase(TEST_DATABASES[0]!);
    const app = await testApp(db!, { API_RATE_LIMIT: '3', API_USER_RATE_LIMIT: '4' });
    try {
      const user = await addUser(db!, 'viewer');
      const tokens = [await addToken(db!, user), await addToken(db!, user), await addToken(db!, user)];
      const statuses = [];
      for (const token of [...tokens, ...tokens]) statuses.push((await me(app, `Bearer ${token}`)).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
      const limited = await me(app, `Bearer ${tokens[2]!}`);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
      assert.match(limited.json<{ detail: string }>().detail, /Too many requests from your account/);
      const other = await addUser(db!, 'viewer');
      assert.equal((await me(app, `Bearer ${await addToken(db!, other)}`)).statusCode, 200);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });
});
