/**
 * Which database errors are outages (503 with Retry-After) rather than faults
 * (500): a Galera node that is not ready, and a transaction that lost every
 * attempt to deadlocks or certification conflicts, as mysql2 reports them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseUnavailable } from '../../src/platform/db/unavailable.js';
import { toPublicError } from '../../src/platform/http/errors.js';

/** An error shaped as mysql2 throws it for a server's refusal. */
const mysqlError = (code: string, errno: number, sqlState: string, message: string) => Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message });

const NOT_READY = mysqlError('ER_UNKNOWN_COM_ERROR', 1047, '08S01', 'WSREP has not yet prepared node for application use');
const CONFLICT = mysqlError('ER_LOCK_DEADLOCK', 1213, '40001', 'Deadlock found when trying to get lock; try restarting transaction');

test('a Galera node outside the primary component or not yet synced (1047, SQLSTATE 08S01) is an outage: 503 with Retry-After', () => {
  assert.equal(isDatabaseUnavailable(NOT_READY), true);
  const answer = toPublicError(NOT_READY);
  assert.equal(answer.statusCode, 503);
  assert.equal(answer.headers['retry-after'], '5');
  assert.doesNotMatch(answer.message, /WSREP|1047/, 'the database message stays in the log');
});

test('a deadlock or certification conflict that outlasted its retries is a 503 with Retry-After, not a 500', () => {
  assert.equal(isDatabaseUnavailable(CONFLICT), true);
  assert.equal(isDatabaseUnavailable(Object.assign(new Error('could not serialize access'), { code: '40001' })), true);
  const answer = toPublicError(CONFLICT);
  assert.deepEqual([answer.statusCode, answer.headers['retry-after']], [503, '5']);
});

test('a wrong query or a broken constraint is still not an outage', () => {
  assert.equal(isDatabaseUnavailable(mysqlError('ER_DUP_ENTRY', 1062, '23000', "Duplicate entry 'x' for key 'PRIMARY'")), false);
  assert.equal(isDatabaseUnavailable(mysqlError('ER_PARSE_ERROR', 1064, '42000', 'You have an error in your SQL syntax')), false);
  assert.equal(toPublicError(mysqlError('ER_NO_SUCH_TABLE', 1146, '42S02', "Table 'x' doesn't exist")).statusCode, 500);
});
