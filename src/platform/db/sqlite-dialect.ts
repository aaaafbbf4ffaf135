import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { createLRU } from 'lru.min';

/** Starts every transaction with BEGIN IMMEDIATE, taking SQLite's write lock up front. */
class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite does roll back CREATE TABLE; saying so makes the migrator run each migration in a transaction. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite dialect assumes one process: its migration lock is a no-op,
 * migrations run outside a transaction and a plain BEGIN reads before it
 * locks. Two processes on one file (two
 * servers, or the migrate command beside a server) would then both see the
 * schema as missing and both create it. With BEGIN IMMEDIATE the second
 * waits (busy_timeout) until the first commits, then sees the result.
 */
export class ProcessSafeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Distinct SQL texts kept prepared per SQLite connection (a forgotten statement is finalized when collected). */
export const STATEMENTS_KEPT = 500;

/**
 * The database as Kysely's SQLite driver sees it, with each statement
 * prepared once: the driver prepares the SQL again on every query, which
 * was 8 % of an in-process lookup's CPU (decision 31). A prepared
 * statement is reused for the same SQL text (SQLite re-prepares it itself
 * if the schema changed since). The driver runs one query at a time on a
 * connection, a stream included, so a statement is never in use twice.
 * Bounded: SQL texts with a variable number of values (IN lists, multi-row
 * inserts) are many; past STATEMENTS_KEPT the least recently used is dropped.
 */
export function preparingOnce(db: SqliteDatabase, most = STATEMENTS_KEPT): SqliteDatabase {
  const statements = createLRU<string, SqliteStatement>({ max: most });
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}
