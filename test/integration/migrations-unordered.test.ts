/**
 * A database that applied a later-dated migration before an earlier-dated
 * one arrived (features landing in another order than their dates) still
 * migrates: the missing one is applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { migrations } from '../../src/migrations/index.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

test('a migration dated before one already applied is applied when it arrives', async () => {
  const db = createDatabase({ kind: 'sqlite', file: ':memory:' }, { poolSize: 1, connectTimeoutMs: 1000 });
  try {
    const names = Object.keys(migrations);
    const late = names.at(-2)!;
    const without = Object.fromEntries(Object.entries(migrations).filter(([name]) => name !== late));
    await migrateToLatest(db, without);
    assert.deepEqual(await migrateToLatest(db, migrations), [late]);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    assert.deepEqual(applied.rows.map((row) => row.name), names);
  } finally {
    await db.destroy();
  }
});
