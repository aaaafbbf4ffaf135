/** A database that hangs or goes away: visitors get 503 with Retry-After in bounded time, and service resumes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { insertAccountIfMissing } from '../../src/modules/accounts/account.repository.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { isDatabaseUnavailable } from '../../src/platform/db/unavailable.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { openForm, postLookup } from '../support/inject.js';
import { startStallableProxy, type StallableProxy } from '../support/tcp-proxy.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

// SQLite is a file in the process: it cannot hang on the network or go away.
for (const target of TEST_DATABASES.filter((database) => !database.url.startsWith('sqlite'))) {
  const opened = await openTestDatabase(target);
  describe(`when ${target.name} hangs or goes away`, { skip: opened.skip ?? false }, () => {
    let proxy: StallableProxy;
    let db: Kysely<Database>;
    let app: App;
    const acctid = uniqueAcctId();

    before(async () => {
      await insertAccountIfMissing(opened.db!, { acctid, paidCents: cents(100), dueCents: cents(250) });
      await opened.db!.destroy();
      const direct = parseDatabaseUrl(target.url);
      if (direct.kind === 'sqlite') throw new Error('unreachable');
      proxy = await startStallableProxy(direct.host, direct.port);
      db = createDatabase<Database>({ ...direct, host: '127.0.0.1', port: proxy.port }, {
        poolSize: 2,
        connectTimeoutMs: 1000,
        statementTimeoutMs: 500,
        acquireTimeoutMs: 500,
      });
      app = await testApp(db);
    });
    after(async () => {
      await app?.close();
      await db?.destroy().catch(() => undefined);
      await proxy?.close();
    });

    test('a lookup against a hung database gets 503 with Retry-After within 3 s, and works again once it answers', async () => {
      const form = await openForm(app);
      assert.match((await postLookup(app, { ...form, acctid })).body, /Account balance: 1\.50 USD/);

      proxy.stall();
      const started = Date.now();
      const reply = await postLookup(app, { ...form, acctid });
      const elapsed = Date.now() - started;
      assert.equal(reply.statusCode, 503);
      assert.match(String(reply.headers['retry-after']), /^\d+$/);
      assert.match(reply.body, /try again in \d+ seconds/);
      assert.doesNotMatch(reply.body, /Account balance|timeout|ETIMEDOUT|mysql|postgres/i);
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);

      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);

      proxy.resume();
      let recovered = false;
      for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
        const again = await postLookup(app, { ...(await openForm(app)), acctid });
        recovered = again.statusCode === 200 && /Account balance: 1\.50 USD/.test(again.body);
        if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(recovered, 'lookups work again once the database answers');
    });

    test('a transaction whose connection dies mid-way fails as the outage it is (503), not with the rollback’s own error', async () => {
      const failure = await db
        .transaction()
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
          proxy.cut();
          await sql`select 1`.execute(trx);
        })
        .then(
          () => new Error('the transaction committed on a dead connection'),
          (error: unknown) => error,
        );
      assert.ok(isDatabaseUnavailable(failure), `the error says the database went away: ${String(failure)}`);
      // The pool's other connection was cut too; it may fail one query before the pool drops it.
      for (let attempt = 1; ; attempt++) {
        try {
          await sql`select 1`.execute(db);
          break;
        } catch (error) {
          if (attempt === 3 || !isDatabaseUnavailable(error)) throw error;
        }
      }
    });

    test('a lookup against a database that refuses connections gets 503 with Retry-After, not 500', async () => {
      const form = await openForm(app);
      await proxy.close();
      await db.destroy();
      const direct = parseDatabaseUrl(target.url);
      if (direct.kind === 'sqlite') throw new Error('unreachable');
      db = createDatabase<Database>({ ...direct, host: '127.0.0.1', port: proxy.port }, { poolSize: 2, connectTimeoutMs: 1000, acquireTimeoutMs: 500 });
      await app.close();
      app = await testApp(db);
      const started = Date.now();
      const reply = await postLookup(app, { ...form, acctid });
      assert.equal(reply.statusCode, 503, reply.body.slice(0, 300));
      assert.ok(reply.headers['retry-after']);
      assert.ok(Date.now() - started < 3000);
    });
  });
}
