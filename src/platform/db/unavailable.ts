import { isDeadlock } from './deadlock.js';
import { DatabaseTimeoutError } from './deadline-dialect.js';

/**
 * Error codes that mean "the database cannot serve this now" rather than "this
 * query is wrong": the client should retry later (503), not be told it erred.
 */
const UNAVAILABLE_CODES = new Set([
  // Node sockets (mysql2 and pg surface these)
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  // mysql2
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'HANDSHAKE_SSL_ERROR', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
  'ER_QUERY_TIMEOUT', 'ER_STATEMENT_TIMEOUT', 'ER_LOCK_WAIT_TIMEOUT', 'ER_QUERY_INTERRUPTED',
  // PostgreSQL SQLSTATEs: query_canceled (statement_timeout), admin shutdown, cannot connect now, too many connections, lock timeout
  '57014', '57P01', '57P02', '57P03', '53300', '55P03',
  // SQLite
  'SQLITE_BUSY', 'SQLITE_LOCKED',
]);

/**
 * SQLSTATE 70100, "query execution was interrupted": MariaDB's max_statement_time
 * (errno 1969, which mysql2 gives no code) and MySQL's interrupted queries.
 */
const INTERRUPTED_SQL_STATE = '70100';

/**
 * SQLSTATE 08S01, "communication link failure": how a Galera node that is not
 * in the primary component, or still joining (not Synced), refuses a query:
 * errno 1047, "WSREP has not yet prepared node for application use". Another
 * node can serve it now, this one in a moment.
 */
const LINK_FAILURE_SQL_STATE = '08S01';

/** pg reports these without a code. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseTimeoutError) return true;
  // To a visitor a database we may not talk to is one that is down; start-up stops on it at once (isTlsRefused).
  if (isTlsRefused(error)) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const sqlState = (error as Error & { sqlState?: unknown }).sqlState;
  if (sqlState === INTERRUPTED_SQL_STATE || sqlState === LINK_FAILURE_SQL_STATE) return true;
  // A transaction that lost every attempt to deadlocks or (Galera) certification
  // conflicts was rolled back whole: contention, not a wrong request.
  if (isDeadlock(error)) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** Wrong credentials or a missing database: retrying will not help, so start-up stops at once. */
const ACCESS_DENIED_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', '28P01', '28000', '3D000']);

export function isAccessDenied(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ACCESS_DENIED_CODES.has(code);
}

/**
 * With DATABASE_CA_FILE set, the connection was refused before a byte of SQL:
 * the server's certificate does not chain to the CA bundle, is expired or names
 * another host (Node's TLS codes, which mysql2 replaces by HANDSHAKE_SSL_ERROR
 * keeping the message), or the server offers no TLS at all (mysql2's code, pg's
 * message). Retrying will not help, and falling back to plain text is what the
 * setting forbids.
 */
const TLS_REFUSED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'HANDSHAKE_NO_SSL_SUPPORT',
]);
const TLS_REFUSED_MESSAGES = /^The server does not support SSL connections$/;
/** mysql2's code for any failed TLS handshake, a connection reset included: only a certificate's failure is final. */
const CERTIFICATE_MESSAGE = /certificate|altnames/i;

export function isTlsRefused(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isTlsRefused);
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (code === 'HANDSHAKE_SSL_ERROR') return CERTIFICATE_MESSAGE.test(error.message);
  return (typeof code === 'string' && TLS_REFUSED_CODES.has(code)) || TLS_REFUSED_MESSAGES.test(error.message);
}
