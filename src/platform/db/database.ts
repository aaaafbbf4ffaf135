import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect, type Dialect } from 'kysely';
import type { DatabaseTarget } from './database-url.js';
import { DeadlineDialect } from './deadline-dialect.js';
import { FallbackDialect } from './fallback-dialect.js';
import { preparingOnce, ProcessSafeSqliteDialect } from './sqlite-dialect.js';

export interface PoolOptions {
  readonly poolSize: number;
  /** How long one connection attempt may take before it counts as failed. */
  readonly connectTimeoutMs: number;
  /** The database cancels a statement that runs longer (MySQL/MariaDB, PostgreSQL); default 5 s. */
  readonly statementTimeoutMs?: number;
  /** How long a query may wait for a free connection from the pool; default 3 s. */
  readonly acquireTimeoutMs?: number;
  /** Every session refuses writes (a replica's pool: a second guard behind the server's read_only). */
  readonly readOnly?: boolean;
  /**
   * A replica's read pool: where a query goes when this database cannot be
   * reached (its primary), with the same options (src/platform/db/fallback-dialect.ts).
   */
  readonly fallback?: DatabaseTarget;
  /**
   * DATABASE_CA_FILE: the CA bundle (PEM) that must have signed the server's
   * certificate. Set: every connection is TLS, certificate and host name
   * verified, and a server without TLS is refused. Unset: plain connections.
   */
  readonly caFile?: string | null;
}

/** DATABASE_CA_FILE cannot be used: missing, unreadable, or not a PEM certificate. */
export class DatabaseCaFileError extends Error {
  override name = 'DatabaseCaFileError';
}

/** What both drivers are given for TLS: the CA bundle, and a connection refused unless the server's certificate chains to it. */
export interface DatabaseTls {
  readonly ca: string;
  readonly rejectUnauthorized: true;
}

/**
 * Reads the CA bundle once, when the pool is made, so a wrong path stops
 * start-up with its own message rather than surfacing as a failed connection.
 */
export function databaseTls(caFile: string): DatabaseTls {
  let ca: string;
  try {
    // The operator's DATABASE_CA_FILE.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    ca = readFileSync(caFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new DatabaseCaFileError(`DATABASE_CA_FILE ${caFile} cannot be read (${code}): point it at the database provider's CA bundle (PEM)`, { cause: error });
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new DatabaseCaFileError(`DATABASE_CA_FILE ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----): point it at the database provider's CA bundle`);
  }
  return Object.freeze({ ca, rejectUnauthorized: true });
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 3000;

/**
 * One pool per process, whichever database the URL names. Only the driver in
 * use is loaded (on first query), which keeps each replica's memory down.
 * Every query is bounded: waiting for a connection, and running (the server's
 * statement timeout, with a client-side deadline behind it for a database
 * that stops answering altogether).
 */
export function createDatabase<DB>(target: DatabaseTarget, options: PoolOptions): Kysely<DB> {
  const dialect = boundedDialect(target, options);
  // Reads only: the fallback's sessions are read-only like the replica's.
  return new Kysely<DB>({ dialect: options.fallback ? new FallbackDialect(dialect, boundedDialect(options.fallback, options)) : dialect });
}

function boundedDialect(target: DatabaseTarget, options: PoolOptions): Dialect {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const tls = options.caFile && target.kind !== 'sqlite' ? databaseTls(options.caFile) : undefined;
  return new DeadlineDialect(createDialect(target, options.poolSize, options.connectTimeoutMs, statementTimeoutMs, tls, options.readOnly ?? false), {
    acquireTimeoutMs: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
    // The server cancels first and says why; ours only fires if the server itself is stuck.
    queryTimeoutMs: statementTimeoutMs + 1000,
  });
}

function createDialect(target: DatabaseTarget, poolSize: number, connectTimeoutMs: number, statementTimeoutMs: number, tls: DatabaseTls | undefined, readOnly: boolean): Dialect {
  switch (target.kind) {
    case 'mysql':
      return new MysqlDialect({
        pool: async () => {
          const { createPool } = await import('mysql2');
          const pool = createPool({
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
            // mysql2 checks the host name only when asked (pg always does).
            ...(tls ? { ssl: { ...tls, verifyIdentity: true } } : {}),
          });
          pool.on('connection', (connection) => {
            // MariaDB counts seconds in max_statement_time, MySQL milliseconds in
            // max_execution_time (SELECTs only); each refuses the other's variable.
            connection.query(`SET SESSION max_statement_time = ${statementTimeoutMs / 1000}`, (mariadbError) => {
              if (mariadbError) connection.query(`SET SESSION max_execution_time = ${statementTimeoutMs}`, () => undefined);
            });
            // Queued before the first query on the connection, like the timeout above.
            if (readOnly) connection.query('SET SESSION TRANSACTION READ ONLY', () => undefined);
          });
          return pool;
        },
      });
    case 'postgres':
      return new PostgresDialect({
        pool: async () => {
          const { default: pg } = await import('pg');
          const pool = new pg.Pool({
            host: target.host,
            port: target.port,
            user: target.user,
            password: target.password,
            database: target.database,
            max: poolSize,
            connectionTimeoutMillis: connectTimeoutMs,
            statement_timeout: statementTimeoutMs,
            ...(tls ? { ssl: { ...tls } } : {}),
            ...(readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
          });
          // A connection that dies (the server killed or restarted) emits 'error', which with no listener ends the
          // process. The pool drops an idle one; a query on a checked-out one fails with the error (a 503).
          pool.on('error', () => undefined);
          pool.on('connect', (client) => client.on('error', () => undefined));
          return pool;
        },
      });
    case 'sqlite':
      return new ProcessSafeSqliteDialect({ database: async () => preparingOnce(await openSqlite(target.file)) });
  }
}

/**
 * better-sqlite3 is compiled for one Node.js ABI. Loaded by another Node, it
 * fails with "compiled against a different Node.js version using
 * NODE_MODULE_VERSION 137 … requires 115", which would otherwise read as a
 * database that cannot be reached. Says what it is and the command that fixes it.
 */
export class NativeAddonMismatchError extends Error {
  override name = 'NativeAddonMismatchError';
}

export function nativeAddonMismatch(error: unknown, nodeVersion = process.version): NativeAddonMismatchError | undefined {
  if (!(error instanceof Error)) return undefined;
  const versions = [...error.message.matchAll(/NODE_MODULE_VERSION (\d+)/g)].map((match) => match[1]);
  if (versions.length < 2) return undefined;
  const [builtFor, running] = versions;
  return new NativeAddonMismatchError(
    `not a database problem: better-sqlite3, the SQLite driver, was compiled for another Node.js (ABI ${builtFor}) ` +
      `than the one running, ${nodeVersion} (ABI ${running}). Rebuild it for this Node with: npm rebuild better-sqlite3`,
    { cause: error },
  );
}

async function openSqlite(file: string) {
  const memory = file === ':memory:';
  // The path comes from the operator's DATABASE_URL.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  let sqlite;
  try {
    const { default: SqliteDatabase } = await import('better-sqlite3');
    sqlite = new SqliteDatabase(file);
  } catch (error) {
    throw nativeAddonMismatch(error) ?? error;
  }
  // Another process (a migration run, a second server) may hold a lock briefly:
  // wait for it, and set this first, since switching to WAL takes a lock too.
  sqlite.pragma('busy_timeout = 5000');
  if (!memory) sqlite.pragma('journal_mode = WAL');
  // SQLite's SUM stops with "integer overflow" past 2^63 (about a thousand accounts at the per-account cap):
  // exact_sum adds in JavaScript's bigint and answers digits, as exactSum expects (dialect.ts).
  sqlite.aggregate('exact_sum', {
    start: () => null,
    step: (total: bigint | null, value: unknown) => (value === null ? total : (total ?? 0n) + BigInt(value as number | bigint | string)),
    // Null over no rows (or only nulls), like SUM.
    result: (total: bigint | null) => (total === null ? null : total.toString()),
  });
  return sqlite;
}
