import { CompiledQuery, MysqlAdapter, PostgresAdapter, sql, type CreateTableBuilder, type RawBuilder, type Expression, type InsertQueryBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, type Transaction } from 'kysely';

/**
 * The one place that knows which database is behind a Kysely handle. Feature
 * repositories ask for a capability ("insert unless present", "match ignoring
 * case", "lock these rows") and never check the adapter themselves.
 */
export type DialectName = 'mysql' | 'postgres' | 'sqlite';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works for every schema
type AnyDb = Kysely<any> | Transaction<any>;

export function dialectOf(db: AnyDb): DialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof MysqlAdapter) return 'mysql';
  if (adapter instanceof PostgresAdapter) return 'postgres';
  return 'sqlite';
}

/**
 * One multi-row INSERT of `rows` (each gives every column; undefined is NULL),
 * the values bound as parameters. Written here rather than through Kysely's
 * builder, which makes and compiles a node for every value: an import's
 * statements of thousands of rows spent more time in that than the database
 * spent inserting them (decision 29). Table and column names come from code,
 * never from input. Callers keep rows × columns under SQLite's 32,766 bound
 * parameters.
 */
export async function insertRows<T extends string>(db: AnyDb, table: string, columns: readonly T[], rows: readonly Readonly<Partial<Record<T, string | number | null>>>[]): Promise<void> {
  if (rows.length === 0) return;
  const dialect = dialectOf(db);
  const quote = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const parameters = new Array<string | number | null>(rows.length * columns.length);
  let next = 0;
  for (const row of rows) for (const column of columns) parameters[next++] = row[column] ?? null;
  let tuples: string;
  if (dialect === 'postgres') {
    const each = new Array<string>(rows.length);
    for (let i = 0, n = 1; i < rows.length; i++) {
      const marks = new Array<string>(columns.length);
      for (let c = 0; c < columns.length; c++) marks[c] = `$${n++}`;
      each[i] = `(${marks.join(', ')})`;
    }
    tuples = each.join(', ');
  } else {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    tuples = new Array<string>(rows.length).fill(tuple).join(', ');
  }
  await db.executeQuery(CompiledQuery.raw(`insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${tuples}`, parameters));
}

/**
 * INSERT that leaves an existing row (same key) untouched. MySQL has no ON
 * CONFLICT; its INSERT IGNORE also turns other errors into warnings, so
 * callers validate rows first.
 */
export function insertUnlessPresent<DB, TB extends keyof DB & string, O>(
  db: AnyDb,
  insert: InsertQueryBuilder<DB, TB, O>,
  keyColumns: readonly (keyof DB[TB] & string)[],
): InsertQueryBuilder<DB, TB, O> {
  return dialectOf(db) === 'mysql' ? insert.ignore() : insert.onConflict((conflict) => conflict.columns(keyColumns).doNothing());
}

/**
 * `column` contains `fragment`, ignoring case, with LIKE wildcards in the
 * fragment matched literally. PostgreSQL has ILIKE; MySQL/MariaDB and SQLite
 * compare ASCII letters without case through lower().
 */
export function containsIgnoringCase(db: AnyDb, column: Expression<string>, fragment: string): Expression<SqlBool> {
  const pattern = `%${fragment.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  return dialectOf(db) === 'postgres'
    ? sql<SqlBool>`${column} ilike ${pattern} escape '\\'`
    : sql<SqlBool>`lower(${column}) like lower(${pattern}) escape '\\'`;
}

/**
 * SELECT … FOR UPDATE where the database has row locks. SQLite has none; its
 * transactions here start with BEGIN IMMEDIATE (sqlite-dialect.ts), which
 * already holds the whole database's write lock.
 */
export function lockForUpdate<DB, TB extends keyof DB, O>(db: AnyDb, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return dialectOf(db) === 'sqlite' ? query : query.forUpdate();
}

/**
 * SELECT … shared-locked where the database has row locks: it reads the
 * latest committed rows (not the transaction's snapshot) and keeps them from
 * changing. MariaDB knows only the older spelling, LOCK IN SHARE MODE.
 */
export function lockForShare<DB, TB extends keyof DB, O>(db: AnyDb, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  switch (dialectOf(db)) {
    case 'mysql':
      return query.modifyEnd(sql`lock in share mode`);
    case 'postgres':
      return query.forShare();
    case 'sqlite':
      return query;
  }
}

/** Whether rows can be streamed from the server instead of loaded at once (Kysely's .stream()). */
export function canStream(db: AnyDb): boolean {
  // All three drivers stream in Kysely 0.28 (pg needs pg-cursor, which is not installed).
  return dialectOf(db) !== 'postgres';
}

/**
 * For a migration's CREATE TABLE: a 64-bit, database-assigned `id` primary key
 * (MySQL AUTO_INCREMENT, PostgreSQL BIGSERIAL, SQLite's INTEGER PRIMARY KEY
 * row id), and on MySQL/MariaDB a utf8mb4 binary table, since a latin1
 * server default would turn non-ASCII text into collation errors.
 */
export function tableDefaults(db: AnyDb) {
  const dialect = dialectOf(db);
  return {
    withId<TB extends string, C extends string>(this: void, table: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C | 'id'> {
      if (dialect === 'mysql') return table.addColumn('id', 'bigint', (column) => column.primaryKey().autoIncrement());
      return table.addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (column) => column.primaryKey());
    },
    utf8<TB extends string, C extends string>(this: void, table: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C> {
      return dialect === 'mysql' ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`) : table;
    },
  };
}

/**
 * `column` starts with `prefix`, as a range on its index: [prefix, prefix with
 * its last character incremented). Exact for columns compared bytewise
 * (MySQL *_bin, PostgreSQL COLLATE "C", SQLite's default), where UTF-8 byte
 * order is code point order; no LIKE, so `_` and `%` need no escaping.
 */
export function startsWith(column: string, prefix: string): Expression<SqlBool> {
  const characters = [...prefix];
  const last = characters.pop()?.codePointAt(0);
  if (last === undefined) throw new Error('startsWith needs a non-empty prefix');
  let next = last + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip the surrogates: they are not characters
  const upper = characters.join('') + String.fromCodePoint(next);
  return sql<SqlBool>`(${sql.ref(column)} >= ${prefix} and ${sql.ref(column)} < ${upper})`;
}

/**
 * Keyset pagination: rows strictly after (or before, descending) the last row
 * shown, in the order (sortColumn, idColumn). PostgreSQL and SQLite compare
 * row values on the index; MySQL/MariaDB plan the OR form as index ranges.
 */
export function keysetAfter(db: AnyDb, sortColumn: string, idColumn: string, last: readonly [sortValue: string | number, id: string], descending: boolean): Expression<SqlBool> {
  const [value, id] = last;
  const op = sql.raw(descending ? '<' : '>');
  if (sortColumn === idColumn) return sql<SqlBool>`${sql.ref(idColumn)} ${op} ${id}`;
  if (dialectOf(db) === 'mysql') {
    return sql<SqlBool>`(${sql.ref(sortColumn)} ${op} ${value} or (${sql.ref(sortColumn)} = ${value} and ${sql.ref(idColumn)} ${op} ${id}))`;
  }
  return sql<SqlBool>`(${sql.ref(sortColumn)}, ${sql.ref(idColumn)}) ${op} (${value}, ${id})`;
}

/**
 * SUM(column) as a string of digits (null over no rows), so a sum past 2^53
 * reaches JavaScript exactly: the drivers would give a number (better-sqlite3,
 * losing digits) or a DECIMAL/NUMERIC string. Read it with BigInt().
 */
export function exactSum(db: AnyDb, column: string): RawBuilder<string | null> {
  return exactSumOf(db, sql.ref(column));
}

/** exactSum of an expression (a CASE, a difference of columns) rather than a column. */
export function exactSumOf(db: AnyDb, expression: Expression<unknown>): RawBuilder<string | null> {
  const total = sql`sum(${expression})`;
  switch (dialectOf(db)) {
    case 'mysql':
      return sql<string | null>`cast(${total} as char)`;
    case 'postgres':
      return sql<string | null>`${total}::text`;
    case 'sqlite':
      // exact_sum: registered on every connection (database.ts), since SUM stops with an error past 2^63.
      return sql<string | null>`exact_sum(${expression})`;
  }
}

/**
 * GROUP BY `column` plus one more row, its column null, aggregating every
 * group (the grand total), so a report gets its rows and its totals from one
 * grouping: WITH ROLLUP on MySQL/MariaDB, ROLLUP () on PostgreSQL. SQLite
 * has no ROLLUP: null, and the caller sums separately.
 */
export function groupByWithTotal(db: AnyDb, column: string): RawBuilder<unknown> | null {
  switch (dialectOf(db)) {
    case 'mysql':
      return sql`group by ${sql.ref(column)} with rollup`;
    case 'postgres':
      return sql`group by rollup (${sql.ref(column)})`;
    case 'sqlite':
      return null;
  }
}

/**
 * Ends a derived table's query so the planner computes it once instead of
 * merging it into the query around it: merged, an expression the outer query
 * names several times (say, an item's open amount with a correlated
 * subquery, in each bucket's SUM) is evaluated once per mention. A LIMIT
 * that keeps every row (MySQL/MariaDB: the documented "all rows" LIMIT;
 * SQLite: -1) or OFFSET 0 (PostgreSQL) is each planner's fence.
 */
export function computedOnce(db: AnyDb): RawBuilder<unknown> {
  switch (dialectOf(db)) {
    case 'mysql':
      return sql`limit 18446744073709551615`;
    case 'postgres':
      return sql`offset 0`;
    case 'sqlite':
      return sql`limit -1`;
  }
}
