/** Sums over many accounts stay exact past 2^53 and past 2^63, where SQLite's SUM stops with "integer overflow". */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { exactSum } from '../../src/platform/db/dialect.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

const CAP = BigInt(Number.MAX_SAFE_INTEGER);

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`exact sums on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db!;
    const table = `exact_sum_${process.pid}`;
    after(async () => {
      await db.schema.dropTable(table).ifExists().execute();
      await db.destroy();
    });

    test('1,100 values at 2^53 − 1 sum to their exact total (past 2^63), and no rows sum to null', async () => {
      await db.schema.createTable(table).addColumn('cents', 'bigint', (column) => column.notNull()).execute();
      const sum = async () => (await sql<{ total: string | null }>`select ${exactSum(db, 'cents')} as total from ${sql.table(table)}`.execute(db)).rows[0]?.total;
      assert.equal(await sum(), null);
      const rows = Array.from({ length: 1_100 }, () => ({ cents: Number.MAX_SAFE_INTEGER }));
      for (let start = 0; start < rows.length; start += 500) await db.insertInto(table as never).values(rows.slice(start, start + 500)).execute();
      await db.insertInto(table as never).values({ cents: -5 }).execute();
      const total = 1_100n * CAP - 5n;
      assert.ok(total > 2n ** 63n, 'the total is past what a 64-bit integer holds');
      assert.equal(await sum(), String(total));
    });
  });
}
