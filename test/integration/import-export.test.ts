/**
 * Bulk import and export on each database: every bad row reported with its
 * line, all-or-nothing by default, --partial, --dry-run, existing accounts
 * skipped or updated through ledger adjustments (totals still equal the sums
 * of entries), the seed's JSON format, an export that re-imports unchanged,
 * and the admin upload page (its report, and forged or unauthorised uploads
 * refused before anything is imported).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { getAccount } from '../../src/modules/accounts/account.repository.js';
import { ADJUSTMENT_MEMO, exportAccounts, importAccounts, type ExportFormat, type ImportOptions, type ImportReport } from '../../src/modules/import-export/index.js';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import { dateIn } from '../../src/shared/dates.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addUser, signInWith, staffFormToken, type TestUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'import-test', ip: '127.0.0.1', requestId: 'req-import' };
/** The header without payment terms: files written before they existed still import. */
const HEADER = 'acctid,name,email,phone,paid,due';
const TERMS_HEADER = 'acctid,name,email,phone,terms_days,paid,due';
const EXPORT_HEADER = 'acctid,name,email,phone,terms_days,paid,due,balance,status';

function source(text: string, name = 'accounts.csv') {
  const data = Buffer.from(text);
  return { name, size: data.length, open: () => Readable.from([data]) };
}

/** The whole export, read in pages of 3 so paging is exercised. */
async function exportText(db: Kysely<Database>, format: ExportFormat): Promise<string> {
  let text = '';
  for await (const chunk of exportAccounts(db, { format, pageSize: 3 })) text += chunk;
  return text;
}

/** Each account's payment terms, by id, for the accounts whose id starts with `prefix`. */
async function termsOf(db: Kysely<Database>, prefix: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom('account').select(['acctid', 'terms_days']).where('acctid', 'like', `${prefix}%`).execute();
  return Object.fromEntries(rows.map((row) => [row.acctid, Number(row.terms_days)]));
}

/** The CSV export's header and the lines of accounts whose id starts with `prefix` (the database is shared with other tests). */
function csvLinesOf(csv: string, prefix: string): string[] {
  const [header = '', ...lines] = csv.trimEnd().split('\n');
  return [header, ...lines.filter((line) => line.startsWith(prefix))];
}

/** A multipart/form-data body as a browser sends it. */
async function multipart(fields: Record<string, string>, file?: { name: string; text: string | Buffer }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file) form.append('file', new Blob([file.text]), file.name);
  const request = new Request('https://localhost/', { method: 'POST', body: form });
  return { 'content-type': request.headers.get('content-type') ?? '', payload: Buffer.from(await request.arrayBuffer()) };
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`import and export on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    const run = (text: string, options: Partial<ImportOptions> = {}, name?: string): Promise<ImportReport> => importAccounts(db, source(text, name), { actor, ...options });
    const idsWith = async (prefix: string) =>
      (await db.selectFrom('account').select('acctid').where('acctid', 'like', `${prefix}%`).orderBy('acctid').execute()).map((row) => row.acctid);

    test('a good CSV imports every row, in batches, with opening ledger entries equal to the totals and one audit event per batch', async () => {
      const p = uniqueAcctId('G');
      const csv = [
        HEADER,
        `${p.toLowerCase()}a,Alice Smith,alice@example.com,+1 555 0100,60.00,100.00`,
        `${p}B,,,,0,12.5`,
        `${p}C,"Bob, ""the builder""",bob@example.com,,10,10`,
        `${p}D,  Dora  ,,,0.00,0.00`,
        `${p}E,Eve,,,1000000000.00,1000000000.00`,
      ].join('\r\n');
      const report = await run(csv, { batchSize: 2 });
      assert.deepEqual(
        { rows: report.rows, imported: report.imported, updated: report.updated, skipped: report.skipped, rejected: report.rejected, written: report.written, errors: report.errors },
        { rows: 5, imported: 5, updated: 0, skipped: 0, rejected: 0, written: true, errors: [] },
      );
      const ids = [`${p}A`, `${p}B`, `${p}C`, `${p}D`, `${p}E`];
      assert.deepEqual(await idsWith(p), ids);
      const alice = await getAccount(db, `${p}A`);
      assert.deepEqual(
        { name: alice?.name, email: alice?.email, phone: alice?.phone, paid: alice?.paidCents, due: alice?.dueCents, balance: alice?.balanceCents },
        { name: 'Alice Smith', email: 'alice@example.com', phone: '+1 555 0100', paid: 6000, due: 10000, balance: 4000 },
      );
      assert.equal((await getAccount(db, `${p}B`))?.name, `${p}B`, 'a blank name is the id');
      assert.equal((await getAccount(db, `${p}C`))?.name, 'Bob, "the builder"');
      assert.equal((await getAccount(db, `${p}D`))?.name, 'Dora');
      const entries = await db.selectFrom('ledger_entry').select(['kind', 'amount_cents', 'memo']).where('acctid', '=', `${p}A`).orderBy('id').execute();
      assert.deepEqual(
        entries.map((entry) => [entry.kind, Number(entry.amount_cents), entry.memo]),
        [
          ['charge', 10000, 'Opening balance'],
          ['payment', 6000, 'Opening balance'],
        ],
      );
      assert.deepEqual(await ledgerMismatches(db, ids), []);
      const batches = await db.selectFrom('audit_event').select('target').where('action', '=', 'account.imported').where('after_json', 'like', `%${p}%`).execute();
      assert.deepEqual(
        batches.map((event) => event.target),
        ['2 accounts', '2 accounts'],
        'one audit event per batch of 2',
      );
      const single = await db.selectFrom('audit_event').select(['action', 'actor']).where('target', '=', `${p}E`).execute();
      assert.deepEqual(single, [{ action: 'account.created', actor: 'import-test' }], 'a batch of one is audited as one account');
      const term = await db.selectFrom('account_search_term').select('acctid').where('term', '=', 'alice').where('acctid', '=', `${p}A`).execute();
      assert.equal(term.length, 1, 'imported accounts are searchable');
    });

    test('rows with many search terms are written in batches small enough for every database (SQLite takes 32,766 parameters a statement)', async () => {
      const p = uniqueAcctId('T').slice(0, 10);
      // 15 id prefixes and 45 name-word prefixes: 60 terms a row, three parameters each.
      const rows = Array.from({ length: 260 }, (_, i) => `${p}${String(i).padStart(5, '0')},Alexandria Bartholomew Constantinople Dmitrievna,,,1,2`);
      const report = await run([HEADER, ...rows].join('\n'));
      assert.deepEqual([report.imported, report.rejected], [260, 0], JSON.stringify(report.errors.slice(0, 3)));
      assert.equal((await idsWith(p)).length, 260);
    });

    test('a file with bad rows reports every one with its line number and reason, and writes nothing', async () => {
      const p = uniqueAcctId('B');
      const csv = [
        HEADER, // 1
        `${p}A,Good,,,1.00,2.00`, // 2
        `${p}B,Bad email,not-an-email,,1,2`, // 3
        `,No id,,,1,2`, // 4
        `${p}C,Negative,,,-1,2`, // 5
        `${p}A,Twice,,,1,2`, // 6
        `${p}D,Short row,,1,2`, // 7
        ``, // 8 (blank lines are skipped)
        `${p}E,"Two`, // 9
        `lines",,,abc,2`, // 10
        `${p}F,Cents,,,0.001,2`, // 11
        `${p}G,Too much,,,1,1000000000.01`, // 12
        `${p}HIJKLMNOPQRSTUV,Long id,,,1,2`, // 13
        `${p}I,Phone,,call me,,2`, // 14
        `${p}J,Fine,,,3,4`, // 15
      ].join('\n');
      const reasons = new Map<number, string>();
      const report = await run(csv, { onRowError: (error) => reasons.set(error.line, error.reason) });
      assert.deepEqual(
        report.errors.map((error) => error.line),
        [3, 4, 5, 6, 7, 9, 11, 12, 13, 14],
      );
      assert.equal(report.rejected, 10);
      assert.equal(report.rows, 12);
      assert.equal(report.written, false);
      assert.deepEqual([report.imported, report.updated, report.skipped], [0, 0, 0]);
      assert.deepEqual(report.planned, { imported: 2, updated: 0, skipped: 0 });
      const reason = (line: number) => report.errors.find((error) => error.line === line)?.reason ?? '';
      assert.match(reason(3), /^email: Please enter an email address/);
      assert.match(reason(4), /^acctid: Please enter an account ID\./);
      assert.equal(report.errors.find((error) => error.line === 4)?.acctid, '');
      assert.match(reason(5), /paid: the amount cannot be negative/);
      assert.equal(reason(6), `Account ${p}A is already on line 2 of this file.`);
      assert.match(reason(7), /The row has 5 values; the header names 6 columns/);
      assert.match(reason(9), /paid: "abc" is not an amount/);
      assert.match(reason(11), /paid: "0\.001" is not an amount/);
      assert.match(reason(12), /due: the amount can be at most 1000000000\.00 USD/);
      assert.match(reason(13), /acctid: Account IDs are at most 15 characters long/);
      assert.match(reason(14), /phone: Please enter a phone number.*paid: the amount is missing/);
      assert.equal(reasons.size, 10, 'onRowError hears each bad row once');
      assert.deepEqual(await idsWith(p), [], 'nothing is written');
    });

    test('a control character in a row is that row\'s reason, like any bad value (PostgreSQL refuses a NUL in text), and the good rows are written', async () => {
      const p = uniqueAcctId('Z');
      const csv = [HEADER, `${p}A,Nul\u0000name,,,1,2`, `${p}B,Bell,,555\u0007 0100,1,2`, `${p}C,Tab\there,,,1,2`, `${p}D,Fine,,,3,4`].join('\n');
      const report = await run(csv, { mode: 'partial' });
      assert.deepEqual(report.errors.map((error) => error.line), [2, 3, 4]);
      const reason = (line: number) => report.errors.find((error) => error.line === line)?.reason ?? '';
      assert.match(reason(2), /^name: This field contains a control character \(U\+0000\)/);
      assert.match(reason(3), /^phone: This field contains a control character \(U\+0007\)/);
      assert.match(reason(4), /^name: This field takes a single line of text/);
      assert.deepEqual(await idsWith(p), [`${p}D`], 'the good row is written, the others are not');
    });

    test('--partial writes the good rows, batch by batch, and reports the bad ones', async () => {
      const p = uniqueAcctId('P');
      const csv = [HEADER, `${p}A,A,,,1,2`, `${p}B,B,bad,,1,2`, `${p}C,C,,,1,2`, `${p}D,D,,,x,2`, `${p}E,E,,,1,2`, `${p}A,A again,,,1,2`].join('\n');
      const report = await run(csv, { mode: 'partial', batchSize: 2 });
      assert.deepEqual(
        report.errors.map((error) => [error.line, error.acctid]),
        [
          [3, `${p}B`],
          [5, `${p}D`],
          [7, `${p}A`],
        ],
      );
      assert.deepEqual([report.imported, report.rejected, report.written], [3, 3, true]);
      assert.deepEqual(await idsWith(p), [`${p}A`, `${p}C`, `${p}E`]);
      assert.deepEqual(await ledgerMismatches(db, [`${p}A`, `${p}C`, `${p}E`]), []);
    });

    test('--dry-run checks and counts, and writes nothing', async () => {
      const p = uniqueAcctId('D');
      await run([HEADER, `${p}A,Existing,,,0,0`].join('\n'));
      const report = await run([HEADER, `${p}A,Existing,,,0,0`, `${p}B,New,,,1,2`, `${p}C,Bad,,,?,2`].join('\n'), { dryRun: true, mode: 'partial' });
      assert.deepEqual(report.planned, { imported: 1, updated: 0, skipped: 1 });
      assert.deepEqual([report.imported, report.updated, report.skipped, report.rejected, report.written], [0, 0, 0, 1, false]);
      assert.deepEqual(await idsWith(p), [`${p}A`]);
    });

    test('existing accounts are skipped and counted, and left as they were', async () => {
      const p = uniqueAcctId('S');
      await run([HEADER, `${p}A,First,a@example.com,,5,10`].join('\n'));
      const report = await run([HEADER, `${p}A,Second,b@example.com,,50,100`, `${p}B,New,,,0,1`].join('\n'));
      assert.deepEqual([report.imported, report.updated, report.skipped, report.rejected], [1, 0, 1, 0]);
      const account = await getAccount(db, `${p}A`);
      assert.deepEqual([account?.name, account?.email, account?.paidCents, account?.dueCents], ['First', 'a@example.com', 500, 1000]);
      const nothing = await run([HEADER, `${p}A,Second,,,50,100`].join('\n'));
      assert.deepEqual([nothing.imported, nothing.skipped, nothing.written], [0, 1, false]);
    });

    test('--update changes details through updateAccount and totals through ledger adjustments; totals still equal the sums; lower totals are refused', async () => {
      const p = uniqueAcctId('U');
      await run([HEADER, `${p}A,Old Name,old@example.com,+1 555 0100,10.00,50.00`, `${p}B,Same,,,1,1`, `${p}C,Keep,c@example.com,,20,20`].join('\n'));
      const csv = [HEADER, `${p}A,New Name,new@example.com,,25.00,80.00`, `${p}B,Same,,,1,1`, `${p}C,,,,20,20`, `${p}D,Brand new,,,0,5`].join('\n');
      const report = await run(csv, { update: true });
      assert.deepEqual([report.imported, report.updated, report.skipped, report.rejected], [1, 2, 1, 0]);
      const a = await getAccount(db, `${p}A`);
      assert.deepEqual([a?.name, a?.email, a?.phone, a?.paidCents, a?.dueCents, a?.balanceCents], ['New Name', 'new@example.com', null, 2500, 8000, 5500]);
      const c = await getAccount(db, `${p}C`);
      assert.deepEqual([c?.name, c?.email], ['Keep', null], 'a blank name keeps the name; a blank email clears it');
      const adjustments = await db.selectFrom('ledger_entry').select(['amount_cents', 'memo', 'actor']).where('acctid', '=', `${p}A`).where('kind', '=', 'adjustment').orderBy('id').execute();
      assert.deepEqual(
        adjustments.map((entry) => [Number(entry.amount_cents), entry.memo, entry.actor]),
        [
          [3000, ADJUSTMENT_MEMO, 'import-test'],
          [-1500, ADJUSTMENT_MEMO, 'import-test'],
        ],
      );
      const search = await db.selectFrom('account_search_term').select('term').where('acctid', '=', `${p}A`).where('term', 'in', ['new', 'old']).execute();
      assert.deepEqual(
        search.map((row) => row.term),
        ['new'],
        'the search terms follow the new name',
      );
      assert.deepEqual(await ledgerMismatches(db, [`${p}A`, `${p}B`, `${p}C`, `${p}D`]), []);

      const lower = await run([HEADER, `${p}A,New Name,new@example.com,,24.99,80.00`, `${p}B,Renamed,,,1,1`].join('\n'), { update: true });
      assert.equal(lower.rejected, 1);
      assert.match(lower.errors[0]?.reason ?? '', /paid 24\.99 USD is less than the 25\.00 USD already paid/);
      assert.equal(lower.errors[0]?.line, 2);
      assert.equal((await getAccount(db, `${p}B`))?.name, 'Same', 'all or nothing: the good row was not written either');
      const partial = await run([HEADER, `${p}A,New Name,new@example.com,,24.99,80.00`, `${p}B,Renamed,,,1,1`].join('\n'), { update: true, mode: 'partial' });
      assert.deepEqual([partial.updated, partial.rejected], [1, 1]);
      assert.equal((await getAccount(db, `${p}B`))?.name, 'Renamed');
      assert.deepEqual(await ledgerMismatches(db, [`${p}A`, `${p}B`]), []);
    });

    test("terms_days: given, or 30 for a new account; a bad value is its row's error with the line; --update changes them like the other details, a blank cell keeps them", async () => {
      const p = uniqueAcctId('K');
      const csv = [
        TERMS_HEADER, // 1
        `${p}A,Given,,,14,1,2`, // 2
        `${p}B,Blank,,,,1,2`, // 3
        `${p}C,Receipt,,,0,1,2`, // 4
      ].join('\n');
      assert.equal((await run(csv)).imported, 3);
      assert.deepEqual(await termsOf(db, p), { [`${p}A`]: 14, [`${p}B`]: 30, [`${p}C`]: 0 });
      assert.equal((await run([HEADER, `${p}D,No column,,,1,2`].join('\n'))).imported, 1);
      assert.equal((await termsOf(db, p))[`${p}D`], 30, 'a file without the column: 30 days');

      const rule = (shown: string) => `terms_days: "${shown}" is not a whole number of days from 0 to 365 (such as 30; 0 means due on receipt).`;
      const bad = [
        TERMS_HEADER, // 1
        `${p}E,Too long,,,366,1,2`, // 2
        `${p}F,Negative,,,-1,1,2`, // 3
        `${p}G,Half,,,1.5,1,2`, // 4
        `${p}H,Words,,,thirty,1,x`, // 5
        `${p}I,Fine,,,60,1,2`, // 6
      ].join('\n');
      const refused = await run(bad);
      assert.deepEqual(
        refused.errors.map((error) => [error.line, error.acctid, error.reason]),
        [
          [2, `${p}E`, rule('366')],
          [3, `${p}F`, rule('-1')],
          [4, `${p}G`, rule('1.5')],
          [5, `${p}H`, `${rule('thirty')} due: "x" is not an amount like 60.00 (at most two decimals).`],
        ],
      );
      assert.deepEqual([refused.written, refused.planned.imported], [false, 1]);
      const json = await run(`[\n{"acctid":"${p}J","paid":1,"due":2,"terms_days":21},\n{"acctid":"${p}K","paid":1,"due":2,"terms_days":2.5},\n{"acctid":"${p}L","paid":1,"due":2,"terms_days":null}\n]`, { mode: 'partial' }, 'terms.json');
      assert.deepEqual(
        json.errors.map((error) => [error.line, error.reason]),
        [[3, rule('2.5')]],
      );
      const terms = await termsOf(db, p);
      assert.deepEqual([terms[`${p}J`], terms[`${p}L`]], [21, 30], 'JSON: a number, or null for the default');

      // Existing accounts: skipped without --update; with it, a change of terms alone is an update, counted and audited.
      const change = [TERMS_HEADER, `${p}A,Given,,,45,1,2`, `${p}B,Blank,,,,1,2`, `${p}C,Receipt,,,0,1,2`].join('\n');
      const skipped = await run(change);
      assert.deepEqual([skipped.skipped, (await termsOf(db, p))[`${p}A`]], [3, 14], 'without --update, left as they were');
      const dry = await run(change, { update: true, dryRun: true });
      assert.deepEqual(dry.planned, { imported: 0, updated: 1, skipped: 2 }, 'the dry run counts a change of terms as an update');
      assert.equal((await termsOf(db, p))[`${p}A`], 14, 'the dry run wrote nothing');
      const updated = await run(change, { update: true });
      assert.deepEqual([updated.imported, updated.updated, updated.skipped, updated.rejected], [0, 1, 2, 0]);
      assert.deepEqual(await termsOf(db, p), { [`${p}A`]: 45, [`${p}B`]: 30, [`${p}C`]: 0, [`${p}D`]: 30, [`${p}J`]: 21, [`${p}L`]: 30 });
      const audit = await db.selectFrom('audit_event').select(['actor', 'before_json', 'after_json']).where('action', '=', 'account.updated').where('target', '=', `${p}A`).execute();
      assert.deepEqual(
        audit.map((event) => [event.actor, JSON.parse(event.before_json ?? 'null') as unknown, JSON.parse(event.after_json ?? 'null') as unknown]),
        [['import-test', { terms_days: 14 }, { terms_days: 45 }]],
      );
      const blankKeeps = await run([TERMS_HEADER, `${p}A,Given,,,,1,2`].join('\n'), { update: true });
      assert.deepEqual([blankKeeps.updated, blankKeeps.skipped, (await termsOf(db, p))[`${p}A`]], [0, 1, 45], 'a blank cell keeps the terms');
      const noColumn = await run([HEADER, `${p}A,Given,,,1,2`].join('\n'), { update: true });
      assert.deepEqual([noColumn.updated, (await termsOf(db, p))[`${p}A`]], [0, 45], 'a file without the column keeps them');
    });

    test('--update dates its adjustments today in the business time zone it is given', async () => {
      // Far east and far west of UTC: at any moment one of them is on another day than UTC.
      for (const timeZone of ['Pacific/Kiritimati', 'Etc/GMT+12']) {
        const p = uniqueAcctId('TZ');
        await run([HEADER, `${p}A,Dated,,,0,10.00`].join('\n'));
        const before = dateIn(timeZone);
        await run([HEADER, `${p}A,Dated,,,0,12.00`].join('\n'), { update: true, timeZone });
        const after = dateIn(timeZone);
        const [adjustment] = await db.selectFrom('ledger_entry').select('effective_on').where('acctid', '=', `${p}A`).where('kind', '=', 'adjustment').execute();
        assert.ok([before, after].includes(adjustment?.effective_on ?? ''), `${timeZone}: ${adjustment?.effective_on} is today there (${before})`);
      }
    });

    test("the seed file's JSON format imports, detected by .json or by a leading [; its bad entries are reported by line", async () => {
      const p = uniqueAcctId('J');
      const json = `[{"acctid":"${p}A","paid":60.00,"due":100.00},\n {"acctid":"${p}B","paid":0,"due":"12.50","name":"Named","email":null}]\n`;
      const report = await run(json, {}, 'seed.json');
      assert.deepEqual([report.format, report.imported, report.rejected], ['json', 2, 0]);
      const a = await getAccount(db, `${p}A`);
      assert.deepEqual([a?.name, a?.paidCents, a?.dueCents], [`${p}A`, 6000, 10000]);
      assert.equal((await getAccount(db, `${p}B`))?.name, 'Named');
      assert.deepEqual(await ledgerMismatches(db, [`${p}A`, `${p}B`]), []);

      const bad = `  \n[\n{"acctid":"${p}C","paid":1,"due":2},\n{"acctid":"${p}D","paid":"x","due":2},\n"text",\n{"acctid":"${p}C","paid":1,"due":2},\n{acctid:1}\n]`;
      const refused = await run(bad, {}, 'upload');
      assert.equal(refused.format, 'json');
      assert.deepEqual(
        refused.errors.map((error) => error.line),
        [4, 5, 6, 7],
      );
      assert.match(refused.errors[1]?.reason ?? '', /This entry is not an object/);
      assert.match(refused.errors[3]?.reason ?? '', /^Line 7 is not valid JSON \(expected an object key\)/, 'text that is not JSON stops the file');
      assert.equal(refused.stopped, true);
      assert.deepEqual(await idsWith(`${p}C`), []);
      const broken = await run(`[{"acctid":"${p}E","paid":1,"due":2}`, { mode: 'partial' }, 'broken.json');
      assert.deepEqual([broken.imported, broken.stopped], [1, true]);
      assert.match(broken.errors[0]?.reason ?? '', /not closed/);
    });

    test('the CSV export re-imports unchanged (text a spreadsheet would run is quoted), and the JSON export carries strings and cents', async () => {
      const p = uniqueAcctId('R');
      const csv = [
        TERMS_HEADER,
        `${p}A,"=SUM(A1:A2)",,+1 555 0100,0,0.10,99.99`,
        `${p}B,"Comma, ""Quote""",x@example.com,,45,5,1`,
        `${p}C,'Leading quote,,,,0,0`,
        `${p}D,@handle,,-123,365,1000000000.00,0`,
        `${p}E,Plain,,,7,1,2`,
      ].join('\n');
      assert.equal((await run(csv)).imported, 5);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('account').set({ closed_at: Date.now() }).where('acctid', '=', `${p}E`).execute();
      });
      const lines = csvLinesOf(await exportText(db, 'csv'), p);
      const exported = `${lines.join('\n')}\n`;
      assert.equal(lines[0], EXPORT_HEADER);
      assert.equal(lines[1], `${p}A,'=SUM(A1:A2),,'+1 555 0100,0,0.10,99.99,99.89,open`);
      assert.equal(lines[3], `${p}C,''Leading quote,,,30,0.00,0.00,0.00,open`, 'a blank terms cell: 30 days');
      assert.equal(lines[4], `${p}D,'@handle,,'-123,365,1000000000.00,0.00,-1000000000.00,open`);
      assert.equal(lines[5], `${p}E,Plain,,,7,1.00,2.00,1.00,closed`);

      // Into a fresh database: the same accounts, the same export (status aside: closing is not imported).
      const fresh = await openTestDatabase({ name: 'SQLite', url: 'sqlite::memory:' });
      try {
        const again = await importAccounts(fresh.db!, source(exported), { actor });
        assert.deepEqual([again.imported, again.rejected], [5, 0], JSON.stringify(again.errors));
        let roundTrip = '';
        for await (const chunk of exportAccounts(fresh.db!, { format: 'csv' })) roundTrip += chunk;
        assert.equal(roundTrip, exported.replace(/,closed\n/, ',open\n'));
        assert.equal((await getAccount(fresh.db!, `${p}A`))?.name, '=SUM(A1:A2)');
        assert.equal((await getAccount(fresh.db!, `${p}C`))?.name, "'Leading quote");
        assert.deepEqual(await termsOf(fresh.db!, p), { [`${p}A`]: 0, [`${p}B`]: 45, [`${p}C`]: 30, [`${p}D`]: 365, [`${p}E`]: 7 }, 'the terms came back');
        assert.deepEqual(await ledgerMismatches(fresh.db!), []);
      } finally {
        await fresh.db?.destroy();
      }

      // The JSON export re-imports too, terms and all.
      const jsonExport = `[${(JSON.parse(await exportText(db, 'json')) as { acctid: string }[])
        .filter((account) => account.acctid.startsWith(p))
        .map((account) => JSON.stringify(account))
        .join(',\n')}]`;
      const fromJson = await openTestDatabase({ name: 'SQLite', url: 'sqlite::memory:' });
      try {
        const again = await importAccounts(fromJson.db!, source(jsonExport, 'accounts.json'), { actor });
        assert.deepEqual([again.format, again.imported, again.rejected], ['json', 5, 0], JSON.stringify(again.errors));
        assert.equal(await exportText(fromJson.db!, 'csv'), exported.replace(/,closed\n/, ',open\n'));
      } finally {
        await fromJson.db?.destroy();
      }

      const json = (JSON.parse(await exportText(db, 'json')) as Record<string, unknown>[]).filter((account) => String(account.acctid).startsWith(p));
      assert.equal(json.length, 5);
      assert.deepEqual(json[0], {
        acctid: `${p}A`,
        name: '=SUM(A1:A2)',
        email: null,
        phone: '+1 555 0100',
        terms_days: 0,
        paid: '0.10',
        due: '99.99',
        balance: '99.89',
        status: 'open',
        paid_cents: 10,
        due_cents: 9999,
        balance_cents: 9989,
      });
      const empty = await openTestDatabase({ name: 'SQLite', url: 'sqlite::memory:' });
      try {
        assert.deepEqual(JSON.parse(await exportText(empty.db!, 'json')), [], 'an empty export is an empty array');
        assert.equal(await exportText(empty.db!, 'csv'), `${EXPORT_HEADER}\n`);
      } finally {
        await empty.db?.destroy();
      }
    });

    describe('the admin page', () => {
      let app: App;
      let admin: TestUser;
      let cookie: string;
      before(async () => {
        app = await testApp(db, { LOGIN_RATE_LIMIT: '0' });
        admin = await addUser(db, 'admin');
        ({ cookie } = await signInWith(app, admin.username, admin.password));
      });
      after(async () => app?.close());

      const upload = async (fields: Record<string, string>, file?: { name: string; text: string | Buffer }, headers: Record<string, string> = {}, who = cookie) => {
        const { payload, 'content-type': type } = await multipart(fields, file);
        return app.inject({ method: 'POST', url: '/admin/import', headers: { cookie: who, 'content-type': type, ...headers }, payload });
      };

      test('GET /admin/import shows the upload form and the export links; the nav has Import / export', async () => {
        const page = await app.inject({ method: 'GET', url: '/admin/import', headers: { cookie } });
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /<form method="post" action="\/admin\/import" enctype="multipart\/form-data">/);
        assert.match(page.body, /<input type="file" id="file" name="file"/);
        for (const name of ['partial', 'update', 'dry_run']) assert.ok(page.body.includes(`type="checkbox" id="${name}" name="${name}"`), name);
        assert.match(page.body, /href="\/admin\/export\?format=csv"/);
        assert.match(page.body, /<a href="\/admin\/import" aria-current="page">Import \/ export<\/a>/);
      });

      test('an upload runs the importer and shows the report: counts, and each bad row with its line and reason', async () => {
        const p = uniqueAcctId('W');
        const token = await staffFormToken(app, cookie, '/admin/import');
        const bad = await upload({ csrf_token: token }, { name: 'accounts.csv', text: [HEADER, `${p}A,Ok,,,1,2`, `${p}B,Bad,bad-email,,<b>1</b>,2`].join('\n') });
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /Nothing was imported: 1 of 2 rows were rejected/);
        assert.ok(bad.body.includes(`<th scope="row" class="num">3</th><td>${p}B</td><td>email: Please enter an email address like name@example.com. paid: &quot;&lt;b&gt;1&lt;/b&gt;&quot; is not an amount`), bad.body);
        assert.ok(!bad.body.includes('<b>1</b>'), 'nothing from the file is shown unescaped');
        assert.deepEqual(await idsWith(p), []);

        const partial = await upload({ csrf_token: token, partial: '1' }, { name: 'accounts.csv', text: [HEADER, `${p}A,Ok,,,1,2`, `${p}B,Bad,bad-email,,1,2`].join('\n') });
        assert.equal(partial.statusCode, 422);
        assert.match(partial.body, /1 accounts were imported and 0 updated; 1 rows were rejected/);
        assert.match(partial.body, /<input type="checkbox" id="partial" name="partial" value="1" aria-describedby="partial-hint" checked>/);
        assert.deepEqual(await idsWith(p), [`${p}A`]);

        const good = await upload({ csrf_token: token, update: '1' }, { name: 'seed', text: `[{"acctid":"${p}A","paid":1,"due":3},{"acctid":"${p}C","paid":0,"due":0}]` });
        assert.equal(good.statusCode, 200);
        assert.match(good.body, /Imported 1 accounts, updated 1, skipped 0 that already exist/);
        const audit = await db.selectFrom('audit_event').select(['actor', 'request_id']).where('action', '=', 'ledger.entry_recorded').where('target', '=', `${p}A`).execute();
        assert.equal(audit[0]?.actor, admin.username, 'the changes are audited as the admin');

        const dry = await upload({ csrf_token: token, dry_run: '1' }, { name: 'seed', text: `[{"acctid":"${p}A","paid":1,"due":3},{"acctid":"${p}D","paid":0,"due":0}]` });
        assert.equal(dry.statusCode, 200);
        assert.match(dry.body, /Dry run, nothing was written: 1 accounts would be imported, 0 updated and 1 skipped/);
        assert.ok(dry.body.includes('<dt>Would import</dt><dd>1</dd><dt>Would update</dt><dd>0</dd><dt>Would skip</dt><dd>1</dd>'), 'the counts say what the dry run would do');
        assert.ok(!dry.body.includes('<dt>Skipped</dt>'), 'not what it did: nothing');

        const none = await upload({ csrf_token: token });
        assert.equal(none.statusCode, 400);
        assert.match(none.body, /Please choose a CSV or JSON file to import/);
      });

      test('a forged upload (no token, a wrong token, another site) is refused with 403 and imports nothing', async () => {
        const p = uniqueAcctId('F');
        const file = { name: 'accounts.csv', text: [HEADER, `${p}A,Forged,,,0,100`].join('\n') };
        const token = await staffFormToken(app, cookie, '/admin/import');
        const noToken = await upload({}, file);
        assert.equal(noToken.statusCode, 403);
        assert.match(noToken.body, /This form could not be verified/);
        const wrongToken = await upload({ csrf_token: `${token.slice(0, -2)}xx` }, file);
        assert.equal(wrongToken.statusCode, 403);
        const crossSite = await upload({ csrf_token: token }, file, { origin: 'https://evil.example' });
        assert.equal(crossSite.statusCode, 403);
        assert.match(crossSite.body, /another origin/);
        assert.deepEqual(await idsWith(p), []);
        const refused = await db.selectFrom('audit_event').select('after_json').where('action', '=', 'form.refused').where('actor', '=', admin.username).execute();
        assert.ok(refused.length >= 2, 'refused uploads are audited');
      });

      test('only admins: a clerk may neither open the page, upload, nor export; a form post is 415 and an oversized file 413', async () => {
        const clerk = await addUser(db, 'clerk');
        const { cookie: clerkCookie } = await signInWith(app, clerk.username, clerk.password);
        const clerkToken = await staffFormToken(app, clerkCookie, '/me');
        assert.equal((await app.inject({ method: 'GET', url: '/admin/import', headers: { cookie: clerkCookie } })).statusCode, 403);
        assert.equal((await app.inject({ method: 'GET', url: '/admin/export?format=csv', headers: { cookie: clerkCookie } })).statusCode, 403);
        const p = uniqueAcctId('C');
        const clerkUpload = await upload({ csrf_token: clerkToken }, { name: 'a.csv', text: [HEADER, `${p}A,X,,,0,1`].join('\n') }, {}, clerkCookie);
        assert.equal(clerkUpload.statusCode, 403);
        assert.match(clerkUpload.body, /Your role \(clerk\) does not allow this/);
        assert.deepEqual(await idsWith(p), []);

        const token = await staffFormToken(app, cookie, '/admin/import');
        const form = await app.inject({ method: 'POST', url: '/admin/import', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf_token=${token}` });
        assert.equal(form.statusCode, 415);
        assert.match(form.body, /multipart\/form-data/);
        if (target.name === 'SQLite') {
          const big = await upload({ csrf_token: token }, { name: 'big.csv', text: Buffer.alloc(21 * 1024 * 1024, 'a') });
          assert.equal(big.statusCode, 413);
          assert.match(big.body, /larger than 20 MiB/);
        }
      });

      test('GET /admin/export downloads every account as an attachment, CSV or JSON', async () => {
        const p = uniqueAcctId('X');
        await run([HEADER, `${p}A,Exported,,,1.50,2.25`].join('\n'));
        const csv = await app.inject({ method: 'GET', url: '/admin/export?format=csv', headers: { cookie } });
        assert.equal(csv.statusCode, 200);
        assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
        assert.match(String(csv.headers['content-disposition']), /^attachment; filename="accounts-\d{4}-\d\d-\d\d\.csv"$/);
        assert.ok(csv.body.startsWith(`${EXPORT_HEADER}\n`));
        assert.ok(csv.body.includes(`\n${p}A,Exported,,,30,1.50,2.25,0.75,open\n`));
        const json = await app.inject({ method: 'GET', url: '/admin/export?format=json', headers: { cookie } });
        assert.equal(json.statusCode, 200);
        assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
        const rows = JSON.parse(json.body) as { acctid: string; balance: string; balance_cents: number }[];
        assert.deepEqual(
          rows.filter((row) => row.acctid === `${p}A`).map((row) => [row.balance, row.balance_cents]),
          [['0.75', 75]],
        );
        assert.equal((await app.inject({ method: 'GET', url: '/admin/export?format=xml', headers: { cookie } })).statusCode, 400);
      });
    });
  });
}
