/**
 * `crm import` and `crm export` as an operator runs them: a process against
 * a SQLite file, with stderr not a terminal (so progress is plain lines),
 * the report and summary on stdout, --errors FILE, and the exit codes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { runCrm, showRun } from '../support/crm-process.js';
import { ROOT } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const crm = (dbFile: string, args: readonly string[], cwd = ROOT) => runCrm(dbFile, args, { cwd, env: { SEED_ACCOUNTS: 'false' } });
const show = showRun;

async function migrated(dir: string, name = 'crm.db'): Promise<string> {
  const file = join(dir, name);
  const run = await crm(file, ['migrate']);
  assert.equal(run.status, 0, show(run));
  return file;
}

function query<T>(dbFile: string, sql: string): T[] {
  const db = new Sqlite(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const HEADER = 'acctid,name,email,phone,paid,due';
const GOOD = [HEADER, 'ACCT1,Alice Smith,alice@example.com,+1 555 0100,60.00,100.00', 'ACCT2,,,,0,12.50', 'ACCT3,"Bob, ""B""",,,5,5', 'ACCT4,Dora,,,1,2', 'ACCT5,Eve,,,0,0', 'ACCT6,Fay,,,3,3'].join('\n');

describe('crm import and export', { timeout: 300_000 }, () => {
  test('a good file: exit 0, plain progress lines on stderr (not a terminal), the summary on stdout, opening entries written', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    writeFileSync(join(dir, 'good.csv'), GOOD);
    const run = await crm(db, ['import', join(dir, 'good.csv'), '--batch-size', '2', '--progress-interval', '0']);
    assert.equal(run.status, 0, show(run));
    assert.match(run.stdout, /^imported {2}6\nupdated {3}0\nskipped {3}0\nrejected {2}0\ntime {6}\d+\.\d\d s\nrate {6}\d+ rows\/s\n$/);
    const progress = run.stderr.trimEnd().split('\n');
    assert.ok(progress.length >= 4, run.stderr);
    for (const line of progress) assert.match(line, /^(checked|imported) \d+ rows, \d+ rows\/s$/, 'one plain line each, no bar, no escape codes');
    assert.ok(progress.some((line) => /^imported 6 rows, /.test(line)), run.stderr);
    assert.deepEqual(query(db, "select kind, amount_cents from ledger_entry where acctid = 'ACCT1' order by id"), [
      { kind: 'charge', amount_cents: 10000 },
      { kind: 'payment', amount_cents: 6000 },
    ]);

    const again = await crm(db, ['import', join(dir, 'good.csv')]);
    assert.equal(again.status, 0, show(again));
    assert.match(again.stdout, /^imported {2}0\nupdated {3}0\nskipped {3}6\nrejected {2}0\n/);
    assert.equal(again.stderr, '', 'the default interval prints nothing for an import this short');
  });

  test('a dry run counts what it would do, in its sentence and its table alike (never "would skip 6" above "skipped 0")', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    const good = join(dir, 'good.csv');
    writeFileSync(good, GOOD);
    assert.equal((await crm(db, ['import', good])).status, 0);
    const dry = await crm(db, ['import', good, '--dry-run']);
    assert.equal(dry.status, 0, show(dry));
    assert.match(dry.stdout, /^Dry run, nothing was written: 0 would be imported, 0 updated, 6 skipped; 0 rejected\.\nwould import {2}0\nwould update {2}0\nwould skip {4}6\nrejected {6}0\ntime {10}\d/);
    assert.doesNotMatch(dry.stdout, /^(imported|updated|skipped) /m, 'no count of what was done: nothing was');
  });

  test('bad rows: every one listed with its line, --errors FILE as CSV, exit 1, nothing written; --partial writes the good ones; --dry-run writes nothing', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, [HEADER, 'OK1,Fine,,,1,2', 'BAD1,Bad,nope,,1,2', 'OK2,Fine,,,1,2', 'BAD2,Neg,,,-5,2', 'OK1,Again,,,1,2'].join('\n'));
    const errors = join(dir, 'errors.csv');
    const run = await crm(db, ['import', bad, '--errors', errors]);
    assert.equal(run.status, 1, show(run));
    assert.match(run.stdout, /^Rejected rows:\nLINE {2}ACCTID {2}REASON\n3 {5}BAD1 {4}email: Please enter an email address like name@example\.com\.\n5 {5}BAD2 {4}paid: the amount cannot be negative\.\n6 {5}OK1 {5}Account OK1 is already on line 2 of this file\.\n/);
    assert.match(run.stdout, /Nothing was written: 3 of 5 rows were rejected/);
    assert.match(run.stdout, /\nimported {2}0\nupdated {3}0\nskipped {3}0\nrejected {2}3\n/);
    assert.equal(run.stderr, 'crm: 3 rows were rejected; nothing was written\n');
    assert.equal(
      readFileSync(errors, 'utf8'),
      'line,acctid,reason\n3,BAD1,email: Please enter an email address like name@example.com.\n5,BAD2,paid: the amount cannot be negative.\n6,OK1,Account OK1 is already on line 2 of this file.\n',
    );
    assert.deepEqual(query(db, 'select acctid from account'), []);

    const dry = await crm(db, ['import', bad, '--dry-run']);
    assert.equal(dry.status, 1, show(dry));
    assert.match(dry.stdout, /Dry run, nothing was written: 2 would be imported, 0 updated, 0 skipped; 3 rejected\./);
    assert.equal(dry.stderr, 'crm: 3 rows were rejected (dry run: nothing was written)\n');
    assert.deepEqual(query(db, 'select acctid from account'), []);

    const partial = await crm(db, ['import', bad, '--partial']);
    assert.equal(partial.status, 1, show(partial));
    assert.match(partial.stdout, /\nimported {2}2\nupdated {3}0\nskipped {3}0\nrejected {2}3\n/);
    assert.equal(partial.stderr, 'crm: 3 rows were rejected; the good rows were imported (2 new, 0 updated)\n');
    assert.deepEqual(query(db, 'select acctid from account order by acctid'), [{ acctid: 'OK1' }, { acctid: 'OK2' }]);
  });

  test('--update moves totals through "Import adjustment" entries; exit 0', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    writeFileSync(join(dir, 'a.csv'), [HEADER, 'UPD1,Old,,,10,20'].join('\n'));
    writeFileSync(join(dir, 'b.csv'), [HEADER, 'UPD1,New,,,15,30'].join('\n'));
    assert.equal((await crm(db, ['import', join(dir, 'a.csv')])).status, 0);
    const run = await crm(db, ['import', join(dir, 'b.csv'), '--update']);
    assert.equal(run.status, 0, show(run));
    assert.match(run.stdout, /^imported {2}0\nupdated {3}1\n/);
    assert.deepEqual(query(db, "select name, paid_cents, due_cents from account where acctid = 'UPD1'"), [{ name: 'New', paid_cents: 1500, due_cents: 3000 }]);
    assert.deepEqual(query(db, "select amount_cents, memo, actor from ledger_entry where kind = 'adjustment' order by id"), [
      { amount_cents: 1000, memo: 'Import adjustment', actor: 'cli' },
      { amount_cents: -500, memo: 'Import adjustment', actor: 'cli' },
    ]);
  });

  test('export to stdout and --out FILE; the CSV imports into another database unchanged; JSON too', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    writeFileSync(join(dir, 'good.csv'), GOOD);
    assert.equal((await crm(db, ['import', join(dir, 'good.csv')])).status, 0);

    const stdout = await crm(db, ['export']);
    assert.equal(stdout.status, 0, show(stdout));
    assert.match(stdout.stdout, /^acctid,name,email,phone,terms_days,paid,due,balance,status\nACCT1,Alice Smith,alice@example\.com,'\+1 555 0100,30,60\.00,100\.00,40\.00,open\n/);
    assert.match(stdout.stderr, /^Exported 6 accounts as csv in \d+\.\d\d s\.\n$/);

    const out = join(dir, 'accounts.csv');
    const toFile = await crm(db, ['export', '--out', out]);
    assert.equal(toFile.status, 0, show(toFile));
    assert.equal(toFile.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), stdout.stdout);
    assert.equal(existsSync(`${out}.partial`), false);

    const other = await migrated(dir, 'other.db');
    const reimport = await crm(other, ['import', out]);
    assert.equal(reimport.status, 0, show(reimport));
    assert.match(reimport.stdout, /^imported {2}6\n/);
    assert.equal((await crm(other, ['export'])).stdout, stdout.stdout);

    const json = await crm(db, ['export', '--format', 'json', '--out', join(dir, 'accounts.json')]);
    assert.equal(json.status, 0, show(json));
    const rows = JSON.parse(readFileSync(join(dir, 'accounts.json'), 'utf8')) as { acctid: string; paid: string; paid_cents: number }[];
    assert.deepEqual(rows[0], { acctid: 'ACCT1', name: 'Alice Smith', email: 'alice@example.com', phone: '+1 555 0100', terms_days: 30, paid: '60.00', due: '100.00', balance: '40.00', status: 'open', paid_cents: 6000, due_cents: 10000, balance_cents: 4000 });
    const third = await migrated(dir, 'third.db');
    const fromJson = await crm(third, ['import', join(dir, 'accounts.json')]);
    assert.equal(fromJson.status, 0, show(fromJson));
    assert.equal((await crm(third, ['export'])).stdout, stdout.stdout);
  });

  test('usage and failures: a missing file exits 1 saying so; a bad option value exits 2', async (t) => {
    const dir = tempDir(t, 'crm-import-');
    const db = await migrated(dir);
    const missing = await crm(db, ['import', join(dir, 'nope.csv')]);
    assert.equal(missing.status, 1, show(missing));
    assert.match(missing.stderr, /^crm: cannot read .*nope\.csv: ENOENT\n$/);
    const format = await crm(db, ['export', '--format', 'xml']);
    assert.equal(format.status, 2, show(format));
    assert.match(format.stderr, /argument 'xml' is invalid\. Allowed choices are csv, json/);
    const header = join(dir, 'header.csv');
    writeFileSync(header, 'id,amount\nA,1\n');
    const badHeader = await crm(db, ['import', header]);
    assert.equal(badHeader.status, 1, show(badHeader));
    assert.match(badHeader.stdout, /^Rejected rows:\nLINE {2}ACCTID {2}REASON\n1 {5}- {7}The header is not usable: unknown column "id"/);
  });
});
