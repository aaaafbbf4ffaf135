/** A transaction the database rolled back as a deadlock victim runs again; anything else fails at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEADLOCK_ATTEMPTS, isDeadlock, retryOnDeadlock } from '../../src/platform/db/deadlock.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

test('deadlocks are recognised by driver code (mysql2, pg), nothing else is', () => {
  for (const code of ['ER_LOCK_DEADLOCK', '40P01', '40001']) assert.equal(isDeadlock(withCode(code)), true, code);
  for (const error of [withCode('ER_DUP_ENTRY'), withCode('23505'), withCode('SQLITE_BUSY'), new Error('deadlock'), null, 'ER_LOCK_DEADLOCK']) assert.equal(isDeadlock(error), false);
});

test('a deadlocked transaction runs again until it succeeds', async () => {
  let calls = 0;
  const result = await retryOnDeadlock(async () => {
    calls++;
    if (calls < 3) throw withCode('ER_LOCK_DEADLOCK');
    return 'done';
  });
  assert.deepEqual([result, calls], ['done', 3]);
});

test('after the last attempt the deadlock is passed on; other errors are not retried', async () => {
  let calls = 0;
  await assert.rejects(
    retryOnDeadlock(async () => {
      calls++;
      throw withCode('40P01');
    }),
    (error: Error & { code?: string }) => error.code === '40P01',
  );
  assert.equal(calls, DEADLOCK_ATTEMPTS);
  calls = 0;
  await assert.rejects(
    retryOnDeadlock(async () => {
      calls++;
      throw withCode('ER_DUP_ENTRY');
    }),
  );
  assert.equal(calls, 1);
});
