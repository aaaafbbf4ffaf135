import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely';

/** A dialect that changes only how connections are had (its driver) and leaves SQL to the dialect it wraps. */
export abstract class WrappedDialect implements Dialect {
  constructor(protected readonly inner: Dialect) {}

  abstract createDriver(): Driver;

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}
