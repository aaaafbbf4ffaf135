import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { WrappedDialect } from './wrapped-dialect.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** A connection and the driver it came from (the replica's, or the fallback's). */
class OwnedConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(
    readonly inner: DatabaseConnection,
    readonly owner: Driver,
    private readonly fallback: Driver | undefined,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (error) {
      // The replica went away after this connection was handed out (killed between two health checks): one
      // query outside a transaction is read again on the fallback; inside one, the transaction's error stands.
      if (!this.fallback || this.inTransaction || !isDatabaseUnavailable(error)) throw error;
      const connection = await this.fallback.acquireConnection();
      try {
        return await connection.executeQuery<R>(query);
      } finally {
        await this.fallback.releaseConnection(connection);
      }
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

function owned(connection: DatabaseConnection): OwnedConnection {
  if (!(connection instanceof OwnedConnection)) throw new Error('a connection from another driver was handed to the fallback driver');
  return connection;
}

class FallbackDriver implements Driver {
  savepoint?: Driver['savepoint'];
  rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(
    private readonly inner: Driver,
    private readonly fallback: Driver,
  ) {
    // Both drivers are of one engine (a replica runs its primary's), so they agree on savepoints.
    if (inner.savepoint) this.savepoint = (c, name, compile) => owned(c).owner.savepoint!(owned(c).inner, name, compile);
    if (inner.rollbackToSavepoint) this.rollbackToSavepoint = (c, name, compile) => owned(c).owner.rollbackToSavepoint!(owned(c).inner, name, compile);
    if (inner.releaseSavepoint) this.releaseSavepoint = (c, name, compile) => owned(c).owner.releaseSavepoint!(owned(c).inner, name, compile);
  }

  async init(): Promise<void> {
    // Neither pool connects before its first query.
    await Promise.all([this.inner.init(), this.fallback.init()]);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new OwnedConnection(await this.inner.acquireConnection(), this.inner, this.fallback);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return new OwnedConnection(await this.fallback.acquireConnection(), this.fallback, undefined);
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const { owner, inner } = owned(connection);
    await owner.beginTransaction(inner, settings);
    owned(connection).inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    owned(connection).inTransaction = false;
    await owned(connection).owner.commitTransaction(owned(connection).inner);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    owned(connection).inTransaction = false;
    await owned(connection).owner.rollbackTransaction(owned(connection).inner);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return owned(connection).owner.releaseConnection(owned(connection).inner);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.inner.destroy(), this.fallback.destroy()]);
  }
}

/**
 * A replica's pool for reads that falls back to another database (its
 * primary) when the replica cannot be reached: a connection that cannot be
 * made, or one that dies under a query outside a transaction. A replica
 * killed between two health checks then costs a failed connection attempt,
 * not an error to the reader. The fallback pool opens connections only when
 * used.
 */
export class FallbackDialect extends WrappedDialect {
  constructor(
    inner: Dialect,
    private readonly fallback: Dialect,
  ) {
    super(inner);
  }

  createDriver(): Driver {
    return new FallbackDriver(this.inner.createDriver(), this.fallback.createDriver());
  }
}
