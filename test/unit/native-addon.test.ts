/**
 * better-sqlite3 loaded by a Node.js other than the one it was compiled for:
 * the start-up failure says that, and the command that fixes it, at once,
 * instead of "could not reach the sqlite file" after every retry.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kysely, SqliteDialect } from 'kysely';
import { nativeAddonMismatch } from '../../src/platform/db/database.js';
import { waitForDatabase } from '../../src/platform/db/wait-for-database.js';

// What Node 20 says when it loads the addon npm ci built under Node 24.
const DLOPEN_ERROR = Object.assign(
  new Error(
    "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\n" +
      'was compiled against a different Node.js version using\nNODE_MODULE_VERSION 137. This version of Node.js requires\n' +
      'NODE_MODULE_VERSION 115. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).',
  ),
  { code: 'ERR_DLOPEN_FAILED' },
);

test('an ABI mismatch says it is not a database problem, which Node runs, and the one command that fixes it', () => {
  const problem = nativeAddonMismatch(DLOPEN_ERROR, 'v20.20.2');
  assert.ok(problem);
  assert.equal(
    problem.message,
    'not a database problem: better-sqlite3, the SQLite driver, was compiled for another Node.js (ABI 137) ' +
      'than the one running, v20.20.2 (ABI 115). Rebuild it for this Node with: npm rebuild better-sqlite3',
  );
  assert.equal(nativeAddonMismatch(new Error('SQLITE_CANTOPEN: unable to open database file')), undefined);
});

test('start-up stops at the first attempt with that message, not "could not reach" after every retry', async () => {
  let opens = 0;
  const db = new Kysely<Record<string, never>>({
    dialect: new SqliteDialect({
      database: () => {
        opens++;
        throw nativeAddonMismatch(DLOPEN_ERROR) ?? DLOPEN_ERROR;
      },
    }),
  });
  try {
    await assert.rejects(waitForDatabase(db, 'sqlite file var/crm.db', { attempts: 5, maxDelayMs: 10 }), (error: Error) => {
      assert.match(error.message, /^not a database problem: .*npm rebuild better-sqlite3$/);
      return true;
    });
    assert.equal(opens, 1);
  } finally {
    await db.destroy().catch(() => undefined);
  }
});
