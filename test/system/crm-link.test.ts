/**
 * `crm link` as support runs it: a process against a SQLite file prints a
 * link that the app (built on the same file and secret) opens for that
 * account; --revoke makes it show nothing; bad ids and a missing secret fail
 * with a reason.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { tempDir } from '../support/tmp.js';

const SECRET = 'crm-link-test-secret-4f9a1c2e7b3d5a6f8e0c';

/** `crm ARGS` with the settings an operator's .env would hold. */
const crm = (dbFile: string, args: readonly string[], env: Record<string, string> = { SESSION_SECRET: SECRET }) =>
  runCrm(dbFile, args, { env: { SEED_ACCOUNTS: 'false', PUBLIC_BASE_URL: 'https://billing.example.com/', ...env }, timeoutMs: 120_000 });
const show = showRun;

describe('crm link', { timeout: 300_000 }, () => {
  test('prints a link the app opens for that account; --revoke makes it show nothing', async (t) => {
    const dir = tempDir(t, 'crm-link-');
    const file = join(dir, 'crm.db');
    writeFileSync(join(dir, 'accounts.csv'), 'acctid,name,email,phone,paid,due\nACCT1,Alice Linked,,,0,42.00\nACCT2,Bob Other,,,0,7.00\n');
    for (const args of [['migrate'], ['import', join(dir, 'accounts.csv')]]) {
      const run = await crm(file, args);
      assert.equal(run.status, 0, show(run));
    }

    const printed = await crm(file, ['link', 'acct1']);
    assert.equal(printed.status, 0, show(printed));
    assert.match(printed.stdout, /^https:\/\/billing\.example\.com\/s\/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\n$/, 'the link alone on stdout');
    assert.match(printed.stderr, /^Customer link for ACCT1 \(Alice Linked\), works until \d{4}-\d\d-\d\d \d\d:\d\d UTC unless revoked/);
    const path = new URL(printed.stdout.trim()).pathname;

    const db = createDatabase<Database>(parseDatabaseUrl(`sqlite:${file}`), { poolSize: 1, connectTimeoutMs: 3000 });
    const app = await testApp(db, { SESSION_SECRET: SECRET });
    t.after(async () => {
      await app.close();
      await db.destroy();
    });
    const opened = await app.inject({ method: 'GET', url: path });
    assert.equal(opened.statusCode, 200);
    assert.ok(opened.body.includes('<h1>Alice Linked</h1>') && opened.body.includes('42.00 USD'));
    assert.ok(!opened.body.includes('Bob Other'));
    const issued = await db.selectFrom('audit_event').select(['actor', 'target']).where('action', '=', 'customer_link.issued').execute();
    assert.deepEqual(issued, [{ actor: 'cli', target: 'ACCT1' }]);

    const revoked = await crm(file, ['link', 'ACCT1', '--revoke']);
    assert.equal(revoked.status, 0, show(revoked));
    assert.equal(revoked.stdout, '');
    assert.match(revoked.stderr, /Every customer link of ACCT1 \(Alice Linked\) made until now was revoked/);
    assert.equal((await app.inject({ method: 'GET', url: path })).statusCode, 404);
  });

  test('a bad id is a usage error, an unknown account a failure, and without SESSION_SECRET no link is printed', async (t) => {
    const file = join(tempDir(t, 'crm-link-'), 'crm.db');
    assert.equal((await crm(file, ['migrate'])).status, 0);
    const bad = await crm(file, ['link', 'no spaces!']);
    assert.equal(bad.status, 2, show(bad));
    assert.match(bad.stderr, /letters, digits/);
    const unknown = await crm(file, ['link', 'ACCT404']);
    assert.equal(unknown.status, 1, show(unknown));
    assert.match(unknown.stderr, /^crm: There is no account ACCT404\.$/m);
    const noSecret = await crm(file, ['link', 'ACCT404'], {});
    assert.equal(noSecret.status, 1, show(noSecret));
    assert.equal(noSecret.stdout, '');
    assert.match(noSecret.stderr, /^crm: SESSION_SECRET is not set/m);
  });
});
