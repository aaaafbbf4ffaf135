import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

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
