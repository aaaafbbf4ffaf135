import assert from 'node:assert/strict';
import { test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { preparingOnce, ProcessSafeSqliteDialect } from '../../src/platform/db/sqlite-dialect.js';

interface Db {
  item: { id: number; name: string };
}

/** A Kysely on an in-memory SQLite whose prepare() calls are counted. */
function countingDatabase(most?: number) {
  const sqlite = new SqliteDatabase(':memory:');
  const prepared: string[] = [];
  const counting = { prepare: (text: string) => (prepared.push(text), sqlite.prepare(text)), close: () => sqlite.close() };
  const db = new Kysely<Db>({ dialect: new ProcessSafeSqliteDialect({ database: preparingOnce(counting, most) }) });
  return { db, prepared };
}

test('a query run again on SQLite uses the statement prepared the first time, with its own values', async () => {
  const { db, prepared } = countingDatabase();
  try {
    await db.schema.createTable('item').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    for (const [id, name] of [[1, 'one'], [2, 'two'], [3, 'three']] as const) await db.insertInto('item').values({ id, name }).execute();
    const byId = (id: number) => db.selectFrom('item').select('name').where('id', '=', id).executeTakeFirst();
    assert.deepEqual(await byId(1), { name: 'one' });
    assert.deepEqual(await byId(3), { name: 'three' });
    assert.equal(await byId(4), undefined);
    const selects = prepared.filter((text) => text.startsWith('select'));
    assert.equal(selects.length, 1, 'one select prepared for three runs');
    assert.equal(prepared.filter((text) => text.startsWith('insert')).length, 1, 'one insert prepared for three rows');
  } finally {
    await db.destroy();
  }
});

test('a stream and the queries after it share the connection safely, and statements past the bound are prepared again', async () => {
  const { db, prepared } = countingDatabase(2);
  try {
    await db.schema.createTable('item').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    await db.insertInto('item').values([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]).execute();
    const all = () => db.selectFrom('item').select('id').orderBy('id');
    const streamed: number[] = [];
    for await (const row of all().stream()) streamed.push(row.id);
    assert.deepEqual(streamed, [1, 2]);
    assert.deepEqual(await all().execute(), [{ id: 1 }, { id: 2 }], 'the streamed statement is free again');
    // Two other texts push the first out of a memory of two: it is prepared again, and still right.
    await sql`select 1`.execute(db);
    await sql`select 2`.execute(db);
    const before = prepared.length;
    assert.deepEqual(await all().execute(), [{ id: 1 }, { id: 2 }]);
    assert.equal(prepared.length, before + 1);
  } finally {
    await db.destroy();
  }
});

test('a statement prepared before the schema changed still answers after it', async () => {
  const { db } = countingDatabase();
  try {
    await db.schema.createTable('item').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    await db.insertInto('item').values({ id: 1, name: 'a' }).execute();
    const names = () => db.selectFrom('item').selectAll().execute();
    assert.deepEqual(await names(), [{ id: 1, name: 'a' }]);
    await sql`alter table item add column note text`.execute(db);
    assert.deepEqual(await names(), [{ id: 1, name: 'a', note: null }]);
  } finally {
    await db.destroy();
  }
});
