import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { WrappedDialect } from './wrapped-dialect.js';

/** A query waited too long for a connection or for its answer. */
export class DatabaseTimeoutError extends Error {
  override name = 'DatabaseTimeoutError';
  readonly code = 'DB_DEADLINE_EXCEEDED';
}

export interface Deadlines {
  readonly acquireTimeoutMs: number;
  readonly queryTimeoutMs: number;
}

/** `work`, or a DatabaseTimeoutError after `ms`; one promise and one timer per call (this runs on every query). */
function withDeadline<T>(work: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new DatabaseTimeoutError(`${what} took longer than ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        // A result that arrives after the deadline still needs handling (a connection must go back).
        if (settled) return onLate?.(value);
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

class DeadlineConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly queryTimeoutMs: number,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return withDeadline(this.inner.executeQuery<R>(query), this.queryTimeoutMs, 'a database query');
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class DeadlineDriver implements Driver {
  savepoint?: Driver['savepoint'];
  rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(
    private readonly inner: Driver,
    private readonly deadlines: Deadlines,
  ) {
    // Savepoints are optional in Kysely; offer them exactly when the wrapped driver does.
    if (inner.savepoint) {
      const savepoint = inner.savepoint.bind(inner);
      this.savepoint = (connection, name, compile) => savepoint(unwrap(connection), name, compile);
    }
    if (inner.rollbackToSavepoint) {
      const rollback = inner.rollbackToSavepoint.bind(inner);
      this.rollbackToSavepoint = (connection, name, compile) => rollback(unwrap(connection), name, compile);
    }
    if (inner.releaseSavepoint) {
      const release = inner.releaseSavepoint.bind(inner);
      this.releaseSavepoint = (connection, name, compile) => release(unwrap(connection), name, compile);
    }
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await withDeadline(this.inner.acquireConnection(), this.deadlines.acquireTimeoutMs, 'waiting for a database connection', (late) => {
      void this.inner.releaseConnection(late);
    });
    return new DeadlineConnection(connection, this.deadlines.queryTimeoutMs);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(unwrap(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(unwrap(connection));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(unwrap(connection));
    } catch (error) {
      // A connection that died took its transaction with it (the server rolls back what it had): there is nothing to
      // undo, and the error that ended it, which Kysely throws next, says why. The rollback's own "connection is
      // in closed state" would hide that, and a database outage would read as a 500 instead of a 503.
      if (isConnectionLost(error)) return;
      throw error;
    }
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** The driver says the connection itself is gone (mysql2 marks such errors fatal; pg names them in the message). */
function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error as Error & { fatal?: unknown }).fatal === true || /Connection terminated|not queryable/.test(error.message);
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof DeadlineConnection ? connection.inner : connection;
}

/**
 * Wraps any Kysely dialect so no query can wait forever: for a connection
 * from the pool (acquireTimeoutMs) or for an answer (queryTimeoutMs). Kysely
 * and the drivers have neither limit for every database, so it is added here
 * once instead of per driver.
 */
export class DeadlineDialect extends WrappedDialect {
  constructor(
    inner: Dialect,
    private readonly deadlines: Deadlines,
  ) {
    super(inner);
  }

  createDriver(): Driver {
    return new DeadlineDriver(this.inner.createDriver(), this.deadlines);
  }
}
