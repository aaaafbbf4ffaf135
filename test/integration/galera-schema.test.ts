/**
 * What a Galera cluster requires of the schema (decision 0025), checked on
 * the schema the migrations build: every table has a primary key (Galera
 * certifies and applies rows by key; a table without one cannot be deleted
 * from safely and its rows may differ between nodes), and on MariaDB every
 * table is InnoDB (the only engine Galera replicates). A migration that
 * creates a table without either fails here, on the servers every
 * integration suite uses, before it reaches a cluster.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openOwnDatabase } from '../support/own-database.js';
import { TEST_DATABASES } from '../support/test-databases.js';

for (const target of TEST_DATABASES.slice(1)) {
  // A database of its own: the tables the migrations made, and no other suite's.
  const own = await openOwnDatabase(target, 'schema');
  const mysql = target.url.startsWith('mysql');

  describe(`the migrated schema on ${target.name} suits a Galera cluster`, { skip: own.opened.skip ?? false }, () => {
    after(() => own.cleanUp());

    test('every table has a primary key', async () => {
      const db = own.opened.db!;
      const schema = mysql ? sql`database()` : sql`current_schema()`;
      const { rows } = await sql<{ table_name: string }>`
        select t.table_name as table_name from information_schema.tables t
        where t.table_schema = ${schema} and t.table_type = 'BASE TABLE'
          and not exists (
            select 1 from information_schema.table_constraints c
            where c.table_schema = t.table_schema and c.table_name = t.table_name and c.constraint_type = 'PRIMARY KEY')
        order by t.table_name`.execute(db);
      const { rows: all } = await sql<{ n: number | string }>`select count(*) as n from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE'`.execute(db);
      assert.ok(Number(all[0]!.n) >= 10, `the migrations made the tables (${all[0]!.n} found)`);
      assert.deepEqual(rows.map((row) => row.table_name), [], 'tables without a primary key');
    });

    test('every table is InnoDB (MariaDB/MySQL)', { skip: !mysql && 'storage engines are a MySQL/MariaDB matter' }, async () => {
      const { rows } = await sql<{ table_name: string; engine: string }>`
        select table_name as table_name, engine as engine from information_schema.tables
        where table_schema = database() and table_type = 'BASE TABLE' and engine <> 'InnoDB'`.execute(own.opened.db!);
      assert.deepEqual(rows, [], 'tables Galera would not replicate');
    });
  });
}
