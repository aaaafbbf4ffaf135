import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect, type Dialect } from 'kysely';
import type { DatabaseTarget } from './database-url.js';
import type { Database } from '../../schema.js';
import { ProcessSafeSqliteDialect } from './sqlite-dialect.js';

export interface PoolOptions {
  readonly poolSize: number;
  /** How long one connection attempt may take before it counts as failed. */
  readonly connectTimeoutMs: number;
}

/**
 * One pool per process, whichever database the URL names. Only the driver in
 * use is loaded (on first query), which keeps each replica's memory down.
 */
export function createDatabase(target: DatabaseTarget, options: PoolOptions): Kysely<Database> {
  return new Kysely<Database>({ dialect: createDialect(target, options) });
}

function createDialect(target: DatabaseTarget, { poolSize, connectTimeoutMs }: PoolOptions): Dialect {
  switch (target.kind) {
    case 'mysql':
      return new MysqlDialect({
        pool: async () => {
          const { createPool } = await import('mysql2');
          return createPool({
            host: target.host,
            port: target.port,
            user: target.user,
            password: target.password,
            database: target.database,
            connectionLimit: poolSize,
            connectTimeout: connectTimeoutMs,
            charset: 'utf8mb4',
            timezone: 'Z',
            // BIGINT cents arrive as numbers while they are safe integers.
            supportBigNumbers: true,
          });
        },
      });
    case 'postgres':
      return new PostgresDialect({
        pool: async () => {
          const { default: pg } = await import('pg');
          return new pg.Pool({
            host: target.host,
            port: target.port,
            user: target.user,
            password: target.password,
            database: target.database,
            max: poolSize,
            connectionTimeoutMillis: connectTimeoutMs,
          });
        },
      });
    case 'sqlite':
      return new ProcessSafeSqliteDialect({ database: () => openSqlite(target.file) });
  }
}

async function openSqlite(file: string) {
  const { default: SqliteDatabase } = await import('better-sqlite3');
  const memory = file === ':memory:';
  // The path comes from the operator's DATABASE_URL.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  // Another process (a migration run, a second server) may hold a lock briefly:
  // wait for it, and set this first, since switching to WAL takes a lock too.
  sqlite.pragma('busy_timeout = 5000');
  if (!memory) sqlite.pragma('journal_mode = WAL');
  return sqlite;
}
