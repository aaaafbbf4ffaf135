/** The lookup's hardening that needs no particular database: expiry, caching, logs, readiness. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, mock, test } from 'node:test';
import { pino } from 'pino';
import { createDatabase } from '../../src/platform/db/database.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { formToken } from '../support/https-client.js';
import { openForm, postLookup } from '../support/inject.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

const sqlite = TEST_DATABASES[0]!;

describe('the lookup page', () => {
  test('a form token older than two hours is refused; a fresh one works', async () => {
    const { db } = await openTestDatabase(sqlite);
    const app = await testApp(db!);
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const form = await openForm(app);
      assert.equal((await postLookup(app, { ...form, acctid: 'ACCT100' })).statusCode, 200);
      mock.timers.tick(2 * 60 * 60 * 1000 + 1000);
      const stale = await postLookup(app, { ...form, acctid: 'ACCT100' });
      assert.equal(stale.statusCode, 403);
      assert.match(stale.body, /expired/);
      assert.equal((await postLookup(app, { ...(await openForm(app)), acctid: 'ACCT100' })).statusCode, 200);
    } finally {
      mock.timers.reset();
      await app.close();
      await db!.destroy();
    }
  });

  test('the result page reuses a young token and issues a fresh one after an hour, so an active visitor never hits expiry', async () => {
    const { db } = await openTestDatabase(sqlite);
    const app = await testApp(db!);
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const form = await openForm(app);
      const soon = await postLookup(app, { ...form, acctid: 'ACCT100' });
      assert.equal(formToken(soon.body), form.token);
      mock.timers.tick(61 * 60 * 1000);
      const later = await postLookup(app, { ...form, acctid: 'ACCT100' });
      assert.equal(later.statusCode, 200);
      const renewed = formToken(later.body);
      assert.ok(renewed && renewed !== form.token);
      mock.timers.tick(61 * 60 * 1000);
      // Two hours after the first page, the renewed token still works.
      assert.equal((await postLookup(app, { cookie: form.cookie, token: renewed, acctid: 'ACCT100' })).statusCode, 200);
    } finally {
      mock.timers.reset();
      await app.close();
      await db!.destroy();
    }
  });

  test('a visitor posting the form again is accepted without its cookie and token being hashed again', async () => {
    const { db } = await openTestDatabase(sqlite);
    const app = await testApp(db!);
    const hmacs = mock.method(crypto, 'createHmac');
    const hashes = mock.method(crypto, 'createHash');
    try {
      const form = await openForm(app);
      const counts = () => [hmacs.mock.callCount(), hashes.mock.callCount()];
      const before = counts();
      assert.equal((await postLookup(app, { ...form, acctid: 'ACCT100' })).statusCode, 200);
      const afterFirst = counts();
      assert.ok(afterFirst[1]! > before[1]!, 'the first post has its token hashed');
      const again = await postLookup(app, { ...form, acctid: 'ACCT100' });
      assert.equal(again.statusCode, 200);
      assert.match(again.body, /<h1>Account lookup<\/h1>/);
      assert.deepEqual(counts(), afterFirst, 'the same cookie and token again: no HMAC, no hash');
    } finally {
      mock.restoreAll();
      await app.close();
      await db!.destroy();
    }
  });

  test('an accepted token is still refused with another visitor\'s cookie, and an altered one with its own', async () => {
    const { db } = await openTestDatabase(sqlite);
    const app = await testApp(db!);
    try {
      const mine = await openForm(app);
      const theirs = await openForm(app);
      for (const form of [mine, theirs]) assert.equal((await postLookup(app, { ...form, acctid: 'ACCT100' })).statusCode, 200);
      assert.equal((await postLookup(app, { cookie: theirs.cookie, token: mine.token, acctid: 'ACCT100' })).statusCode, 403);
      assert.equal((await postLookup(app, { cookie: mine.cookie, token: `${mine.token}x`, acctid: 'ACCT100' })).statusCode, 403);
      assert.equal((await postLookup(app, { cookie: mine.cookie, token: mine.token, acctid: 'ACCT100' })).statusCode, 200);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });

  test('pages with a form token or a balance are not stored by browsers or proxies', async () => {
    const { db } = await openTestDatabase(sqlite);
    const app = await testApp(db!);
    try {
      const page = await app.inject({ method: 'GET', url: '/' });
      assert.equal(page.headers['cache-control'], 'no-store');
      const result = await postLookup(app, { ...(await openForm(app)), acctid: 'ACCT100' });
      assert.equal(result.headers['cache-control'], 'no-store');
      const css = await app.inject({ method: 'GET', url: '/static/crm.css' });
      assert.match(String(css.headers['cache-control']), /max-age=3600/);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });

  test('a 16 KB path is logged and echoed only in part', async () => {
    const { db } = await openTestDatabase(sqlite);
    const lines: string[] = [];
    const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const app = await testApp(db!, {}, logger);
    try {
      const path = `/${'x'.repeat(16 * 1024)}`;
      const reply = await app.inject({ method: 'GET', url: path });
      assert.equal(reply.statusCode, 404);
      assert.ok(reply.body.length < 4096, `page of ${reply.body.length} bytes`);
      const logged = lines.find((line) => line.includes('request completed')) ?? '';
      assert.ok(logged.length > 0 && logged.length < 1024, `log line of ${logged.length} bytes`);
    } finally {
      await app.close();
      await db!.destroy();
    }
  });

  test('X-Forwarded-For counts for the rate limit only from a trusted proxy', async () => {
    const { db } = await openTestDatabase(sqlite);
    const lookups = async (env: Record<string, string>) => {
      const app = await testApp(db!, { LOOKUP_RATE_LIMIT: '1', ...env });
      try {
        const form = await openForm(app);
        const statuses: number[] = [];
        for (const client of ['203.0.113.1', '203.0.113.2']) {
          const reply = await app.inject({
            method: 'POST',
            url: '/',
            remoteAddress: '10.0.0.5',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, 'x-forwarded-for': client },
            payload: new URLSearchParams({ acctid: 'ACCT100', csrf_token: form.token }).toString(),
          });
          statuses.push(reply.statusCode);
        }
        return statuses;
      } finally {
        await app.close();
      }
    };
    try {
      // Untrusted: both come from the proxy's own address, so the second is over the limit.
      assert.deepEqual(await lookups({}), [200, 429]);
      // Trusted proxy: two different clients, one lookup each.
      assert.deepEqual(await lookups({ TRUST_PROXY: '10.0.0.0/8' }), [200, 200]);
    } finally {
      await db!.destroy();
    }
  });

  test('/readyz says not ready while the schema lacks a migration', async () => {
    const db = createDatabase<Database>({ kind: 'sqlite', file: ':memory:' }, { poolSize: 1, connectTimeoutMs: 1000 });
    const app = await testApp(db);
    try {
      const reply = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(reply.statusCode, 503);
      assert.match(reply.json<{ reason: string }>().reason, /schema is behind: \d+ migrations?/);
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});
