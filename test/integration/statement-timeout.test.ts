/**
 * A statement the database server itself cuts off at DB_STATEMENT_TIMEOUT_MS
 * (MariaDB's max_statement_time, PostgreSQL's statement_timeout) is the
 * database being busy, not the request being wrong: 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { migrationDeps } from '../../src/cli/migrate.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { PUBLIC } from '../../src/platform/http/scopes.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

const STATEMENT_TIMEOUT_MS = 300;

// SQLite has no statement timeout of its own.
for (const target of TEST_DATABASES.filter((database) => !database.url.startsWith('sqlite'))) {
  const opened = await openTestDatabase(target);
  describe(`a statement ${target.name} cuts off`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    const sleepPastTheTimeout = target.url.startsWith('postgres') ? sql`SELECT pg_sleep(2)` : sql`SELECT SLEEP(2)`;

    before(async () => {
      await opened.db!.destroy();
      // The client-side deadline (statement timeout + 1 s) is later: the server's cut comes first.
      db = createDatabase<Database>(parseDatabaseUrl(target.url), { poolSize: 2, connectTimeoutMs: 3000, statementTimeoutMs: STATEMENT_TIMEOUT_MS });
      app = await testApp(db);
      app.get('/slow-statement', { config: { access: PUBLIC } }, async () => {
        await sleepPastTheTimeout.execute(db);
        return 'finished';
      });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    test('is answered 503 with Retry-After, not 500', async () => {
      const started = Date.now();
      const reply = await app.inject({ method: 'GET', url: '/slow-statement' });
      const elapsed = Date.now() - started;
      assert.equal(reply.statusCode, 503, reply.body.slice(0, 300));
      assert.match(String(reply.headers['retry-after']), /^\d+$/);
      assert.ok(elapsed < 1000 + STATEMENT_TIMEOUT_MS, `the server's own cut, not the client-side deadline: took ${elapsed} ms`);
      const again = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      assert.equal(Number(again.rows[0]?.one), 1, 'the connection serves the next statement');
    });

    test("crm migrate's connection lets a statement outlast the request limit (a table rebuild at scale)", async () => {
      const config = loadConfig({ DATABASE_URL: target.url, DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), DB_MIGRATE_STATEMENT_TIMEOUT_MS: '5000', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
      const deps = migrationDeps(config);
      try {
        await sleepPastTheTimeout.execute(deps.db);
      } finally {
        await deps.close();
      }
    });
  });
}
