/**
 * A replica's read pool falls back to its primary when the replica cannot
 * be reached (src/platform/db/fallback-dialect.ts). The "replica" here is a
 * MariaDB URL on a port nothing listens on; the fallback an in-memory SQLite
 * (any database answers `select 1`). The real thing, a replica killed under
 * the app, is test/integration/replication.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a read on a replica that refuses connections is answered by the fallback', async () => {
  const replica = parseDatabaseUrl(`mysql://crm@127.0.0.1:${await closedPort()}/crm`);
  const db = createDatabase(replica, { poolSize: 1, connectTimeoutMs: 1000, fallback: parseDatabaseUrl('sqlite::memory:') });
  try {
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    assert.equal(Number(rows[0]!.one), 1);
  } finally {
    await db.destroy();
  }
});

test('without a fallback the same read fails as an outage', async () => {
  const db = createDatabase(parseDatabaseUrl(`mysql://crm@127.0.0.1:${await closedPort()}/crm`), { poolSize: 1, connectTimeoutMs: 1000 });
  try {
    await assert.rejects(sql`select 1 as one`.execute(db), /ECONNREFUSED/);
  } finally {
    await db.destroy();
  }
});
