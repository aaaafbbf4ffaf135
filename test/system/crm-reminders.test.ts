/**
 * `crm reminders run` and `crm statements --email` as an operator runs them: a
 * process against a SQLite file, the summary on stdout, accounts without an
 * e-mail on stderr, a second run queueing nothing, bad dates refused (exit 2).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { recordEntry } from '../../src/modules/ledger/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { tempDir } from '../support/tmp.js';

const SETTINGS = { SEED_ACCOUNTS: 'false', COMPANY_NAME: 'Globomantics CLI Test', COMPANY_ADDRESS: '9 Harbour Road|Portsmouth', SESSION_SECRET: 'cli-test-secret-0123456789abcdef0123456789', PUBLIC_BASE_URL: 'https://crm.example.com' };
const crm = (dbFile: string, args: readonly string[]) => runCrm(dbFile, args, { env: SETTINGS, timeoutMs: 120_000 });

describe('crm reminders run and crm statements --email', { timeout: 300_000 }, () => {
  test('queues a reminder for the overdue account with an address, lists the one without, and queues nothing the second time', async (t) => {
    const dir = tempDir(t, 'crm-reminders-');
    const dbFile = join(dir, 'crm.db');
    writeFileSync(join(dir, 'accounts.csv'), ['acctid,name,email,phone,paid,due', 'ACCT1,Alice Smith,alice@example.com,,0,0', 'ACCT2,Bob Brown,,,0,0', 'ACCT3,Carol Current,carol@example.com,,0,0'].join('\n'));
    for (const args of [['migrate'], ['import', join(dir, 'accounts.csv')]]) {
      const run = await crm(dbFile, args);
      assert.equal(run.status, 0, showRun(run));
    }
    const today = dateIn('UTC');
    const db = createDatabase<Database>(parseDatabaseUrl(`sqlite:${dbFile}`), { poolSize: 1, connectTimeoutMs: 1000 });
    try {
      for (const [acctid, dueOn] of [
        ['ACCT1', addDays(today, -40)],
        ['ACCT2', addDays(today, -40)],
        ['ACCT3', addDays(today, 5)],
      ] as const) {
        await db.transaction().execute((trx) => recordEntry(trx, { name: 'test' }, { acctid, kind: 'charge', amountCents: cents(10_000), memo: '', effectiveOn: addDays(today, -60), dueOn, reference: `INV-${acctid}` }, { timeZone: 'UTC' }));
      }
    } finally {
      await db.destroy();
    }

    const first = await crm(dbFile, ['reminders', 'run']);
    assert.equal(first.status, 0, showRun(first));
    assert.ok(first.stdout.startsWith(`Reminders for ${today}: 1 queued.\n`), first.stdout);
    assert.match(first.stdout, /^accounts examined {2}3$/m);
    assert.match(first.stdout, /^without e-mail {5}1$/m);
    assert.match(first.stderr, /^ACCT2: not reminded: no e-mail address$/m);
    const second = await crm(dbFile, ['reminders', 'run', '--as-of', today]);
    assert.equal(second.status, 0, showRun(second));
    assert.match(second.stdout, /^queued {13}0$/m);
    assert.match(second.stdout, /^already reminded {3}1$/m);

    const mailed = await crm(dbFile, ['statements', '--email', '--as-of', today]);
    assert.equal(mailed.status, 0, showRun(mailed));
    assert.match(mailed.stdout, /^Queued 2 statement e-mails for \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}\.$/m);
    assert.match(mailed.stderr, /^ACCT2: not e-mailed: no e-mail address$/m);

    const bad = await crm(dbFile, ['reminders', 'run', '--as-of', '2026-02-30']);
    assert.equal(bad.status, 2, showRun(bad));
    assert.match(bad.stderr, /It must be a real calendar day, written YYYY-MM-DD/);
    const both = await crm(dbFile, ['statements', '--email', '--out', dir]);
    assert.equal(both.status, 2, showRun(both));
    assert.match(both.stderr, /use either --out \(write PDF files\) or --email \(queue e-mails\), not both/);
  });

  test('without SESSION_SECRET both refuse (exit 1) and queue nothing: the links would be signed with a secret no server has', async (t) => {
    const dbFile = join(tempDir(t, 'crm-reminders-secret-'), 'crm.db');
    const migrate = await crm(dbFile, ['migrate']);
    assert.equal(migrate.status, 0, showRun(migrate));
    const withoutSecret = Object.fromEntries(Object.entries(SETTINGS).filter(([name]) => name !== 'SESSION_SECRET'));
    for (const args of [['reminders', 'run'], ['statements', '--email']]) {
      const run = await runCrm(dbFile, args, { env: withoutSecret, timeoutMs: 120_000 });
      assert.equal(run.status, 1, showRun(run));
      assert.match(run.stderr, /SESSION_SECRET is not set/, showRun(run));
    }
    const db = createDatabase<Database>(parseDatabaseUrl(`sqlite:${dbFile}`), { poolSize: 1, connectTimeoutMs: 1000 });
    try {
      const queued = await db.selectFrom('outbox_message').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(queued.n), 0);
    } finally {
      await db.destroy();
    }
  });
});
