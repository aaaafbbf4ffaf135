/**
 * `crm aging` as an operator runs it: a process against a SQLite file with
 * accounts whose figures were worked out by hand; CSV and JSON on stdout or in
 * a file, the exit codes for a bad or future day.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { tempDir } from '../support/tmp.js';

const crm = (dbFile: string, args: readonly string[]) => runCrm(dbFile, args);
const show = showRun;

const actor = { name: 'aging-cli-test', ip: '127.0.0.1', requestId: 'req-aging-cli' };
const AT = Date.parse('1999-12-31T12:00:00Z');

describe('crm aging', { timeout: 120_000 }, () => {
  test('writes every account with figures as of the day, as CSV or JSON, to stdout or a file; refuses a day that does not exist or is in the future', async (t) => {
    const file = join(tempDir(t, 'crm-aging-'), 'crm.db');
    const db = createDatabase<Database>(parseDatabaseUrl(`sqlite:${file}`), { poolSize: 1, connectTimeoutMs: 3000 });
    try {
      await migrateDatabase(db);
      await db.transaction().execute(async (trx) => {
        const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
          recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' });
        await createAccounts(trx, actor, ['B1', 'A1', 'C1', 'D1'].map((acctid) => ({ acctid, name: acctid === 'C1' ? '=HYPERLINK("x")' : `Customer ${acctid}` })), AT);
        await record('A1', { kind: 'charge', amountCents: 123_456, effectiveOn: '1999-01-02' }); // due 02-01
        await record('A1', { kind: 'payment', amountCents: 23_456, effectiveOn: '1999-09-01' });
        await record('B1', { kind: 'payment', amountCents: 700, effectiveOn: '1999-05-05' });
        await record('C1', { kind: 'charge', amountCents: 5, effectiveOn: '1999-06-20' }); // due 07-20
        await record('D1', { kind: 'charge', amountCents: 100, effectiveOn: '1999-03-01' });
        await record('D1', { kind: 'payment', amountCents: 100, effectiveOn: '1999-03-01' });
      });
    } finally {
      await db.destroy();
    }

    const csv = await crm(file, ['aging', '--as-of', '1999-06-30']);
    assert.equal(csv.status, 0, show(csv));
    assert.equal(
      csv.stdout,
      [
        'acctid,name,current,days_1_30,days_31_60,days_61_90,days_over_90,credit,total',
        // 02-01 to 06-30: 149 days late, paid in part only on 09-01.
        'A1,Customer A1,0.00,0.00,0.00,0.00,1234.56,0.00,1234.56',
        'B1,Customer B1,0.00,0.00,0.00,0.00,0.00,-7.00,-7.00',
        // The formula guard: a name starting with = is written as text.
        `C1,"'=HYPERLINK(""x"")",0.05,0.00,0.00,0.00,0.00,0.00,0.05`,
        '',
      ].join('\n'),
    );
    assert.match(csv.stderr, /Wrote the aging of 3 accounts \(of 4 read\) as csv/);

    const out = join(tempDir(t, 'crm-aging-out-'), 'aging.json');
    const json = await crm(file, ['aging', '--as-of', '1999-09-01', '--format', 'json', '--out', out]);
    assert.equal(json.status, 0, show(json));
    assert.equal(json.stdout, '');
    assert.ok(json.stderr.includes(`Wrote the aging of 3 accounts (of 4 read) as json to ${out}`), json.stderr);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), {
      as_of: '1999-09-01',
      accounts: [
        { acctid: 'A1', name: 'Customer A1', current_cents: 0, days_1_30_cents: 0, days_31_60_cents: 0, days_61_90_cents: 0, days_over_90_cents: 100_000, credit_cents: 0, total_cents: 100_000 },
        { acctid: 'B1', name: 'Customer B1', current_cents: 0, days_1_30_cents: 0, days_31_60_cents: 0, days_61_90_cents: 0, days_over_90_cents: 0, credit_cents: -700, total_cents: -700 },
        // Due 07-20: 43 days late on 09-01.
        { acctid: 'C1', name: '=HYPERLINK("x")', current_cents: 0, days_1_30_cents: 0, days_31_60_cents: 5, days_61_90_cents: 0, days_over_90_cents: 0, credit_cents: 0, total_cents: 5 },
      ],
    });

    // Today by default: the same accounts, A1's invoice long overdue.
    const today = await crm(file, ['aging', '--format', 'json']);
    assert.equal(today.status, 0, show(today));
    const parsed = JSON.parse(today.stdout) as { as_of: string; accounts: { acctid: string; total_cents: number }[] };
    assert.equal(parsed.as_of, dateIn('UTC'));
    assert.deepEqual(parsed.accounts.map((row) => [row.acctid, row.total_cents]), [['A1', 100_000], ['B1', -700], ['C1', 5]]);

    for (const day of ['1999-02-30', 'yesterday', addDays(dateIn('UTC'), 1)]) {
      const refused = await crm(file, ['aging', '--as-of', day]);
      assert.equal(refused.status, 2, show(refused));
      assert.match(refused.stderr, /--as-of/);
      assert.equal(refused.stdout, '');
    }
  });
});
