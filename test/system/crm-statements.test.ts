/**
 * `crm statements` as an operator runs it: a process against a SQLite file
 * with accounts imported by `crm import`, one PDF for each account with a
 * balance on the day, the progress on stderr, the summary on stdout, and the
 * exit codes of bad arguments.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { tempDir } from '../support/tmp.js';
import { requireTool } from '../support/tools.js';

const SETTINGS = { SEED_ACCOUNTS: 'false', COMPANY_NAME: 'Globomantics CLI Test', COMPANY_ADDRESS: '9 Harbour Road|Portsmouth' };
const crm = (dbFile: string, args: readonly string[]) => runCrm(dbFile, args, { env: SETTINGS, timeoutMs: 120_000 });
const show = showRun;

/** Paid and due as imported: balances 40.00, 12.50, 0, 1.00, 0 and -15.00 (a credit). */
const ACCOUNTS = ['acctid,name,email,phone,paid,due', 'ACCT1,Alice Smith,,,60.00,100.00', 'ACCT2,Bob Brown,,,0,12.50', 'ACCT3,Carol Settled,,,5,5', 'ACCT4,Zoë Ñúñez,,,1,2', 'ACCT5,Eve Empty,,,0,0', 'ACCT6,Fay Credit,,,20,5'].join('\n');

describe('crm statements', { timeout: 300_000 }, () => {
  test('writes one PDF for each account with a balance on the day, with progress on stderr and the summary on stdout', async (t) => {
    const dir = tempDir(t, 'crm-statements-');
    const db = join(dir, 'crm.db');
    for (const args of [['migrate'], ['import', join(dir, 'accounts.csv')]]) {
      if (args[0] === 'import') writeFileSync(join(dir, 'accounts.csv'), ACCOUNTS);
      const run = await crm(db, args);
      assert.equal(run.status, 0, show(run));
    }
    // The import's opening entries are dated today (UTC, the default CRM_TIME_ZONE).
    const today = dateIn('UTC');
    const out = join(dir, 'statements');
    const run = await crm(db, ['statements', '--as-of', today, '--out', out]);
    assert.equal(run.status, 0, show(run));
    const files = readdirSync(out).sort();
    assert.deepEqual(files, ['ACCT1', 'ACCT2', 'ACCT4', 'ACCT6'].map((acctid) => `statement-${acctid}-${today}.pdf`));
    assert.ok(run.stdout.startsWith(`Wrote 4 statements for ${today.slice(0, 8)}01 to ${today} to ${out}.\n`), run.stdout);
    assert.match(run.stdout, /^accounts examined {2}6$/m);
    assert.match(run.stdout, /^with a balance {5}4$/m);
    assert.match(run.stdout, /^skipped {12}0$/m);
    assert.match(run.stdout, /^rate {15}\d+ statements\/s$/m);
    assert.match(run.stderr, /statements \|.*\| 100% \| 6\/6 accounts \| 4 written/, 'the progress bar, drawn once more at the end');

    if (!requireTool(t, 'pdftotext')) return;
    const text = spawnSync('pdftotext', ['-layout', join(out, `statement-ACCT4-${today}.pdf`), '-'], { encoding: 'utf8' }).stdout;
    assert.match(text, /^Globomantics CLI Test\s+Statement$/m);
    assert.match(text, /^9 Harbour Road$/m);
    assert.match(text, /Zoë Ñúñez/);
    assert.match(text, /Balance due, .*\s1\.00$/m);
    const credit = spawnSync('pdftotext', ['-layout', join(out, `statement-ACCT6-${today}.pdf`), '-'], { encoding: 'utf8' }).stdout;
    assert.match(credit, /Credit balance, .*\s-15\.00$/m);
  });

  test('bad dates and missing options are usage errors (exit 2) that say what is wrong, and write nothing', async (t) => {
    const dir = tempDir(t, 'crm-statements-');
    const db = join(dir, 'crm.db');
    const migrate = await crm(db, ['migrate']);
    assert.equal(migrate.status, 0, show(migrate));
    const out = join(dir, 'out');
    const cases: [string[], RegExp][] = [
      [['--as-of', '2026-02-30', '--out', out], /option '--as-of <date>' argument '2026-02-30' is invalid\. It must be a real calendar day/],
      [['--as-of', addDays(dateIn('UTC'), 2), '--out', out], /--as-of cannot be in the future/],
      [['--as-of', '2026-03-01', '--from', '2026-03-02', '--out', out], /--from must be on or before the end of the period \(2026-03-01\)/],
      [['--as-of', '2026-03-01'], /required option '--out <dir>' not specified/],
    ];
    for (const [args, message] of cases) {
      const run = await crm(db, ['statements', ...args]);
      assert.equal(run.status, 2, show(run));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
    assert.throws(() => readdirSync(out), /ENOENT/, 'nothing was written');
  });
});
