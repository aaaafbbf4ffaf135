/**
 * Customer statements on each database: the JSON figures of a hand-computed
 * case (entries recorded out of date order, a back-dated payment, an opening
 * balance from before the period, aging and open invoices as of its last
 * day), refused periods, the PDF read the way a person reads it (pdftotext
 * for the words and figures, pdftoppm for a picture of page 1), a long
 * statement over several pages, names outside the PDF fonts, and the staff
 * pages' statement form.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import { STATEMENT_MAX_ENTRIES, writeStatements } from '../../src/modules/statements/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import type { Problem } from '../support/api-json.js';
import { testApp } from '../support/app.js';
import { SCREENSHOT_DIR } from '../support/browser.js';
import { addToken, addUser, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { tempDir } from '../support/tmp.js';
import { requireTool } from '../support/tools.js';

const ENV = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0', API_USER_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0', CRM_TIME_ZONE: 'UTC', COMPANY_NAME: 'Globomantics Test Co.', COMPANY_ADDRESS: '1 Main Street|Springfield, IL 62701' };
const actor = { name: 'statements-test', ip: '127.0.0.1', requestId: 'req-statements' };
/** The hand-computed case's entries are recorded "on" this day, whatever today is. */
const RECORDED_AT = Date.parse('2026-06-30T12:00:00Z');
const NAME = 'Zoë Ñúñez-Müller & Søn — Łódź 北京';

function assertProblem(reply: LightMyRequestResponse, status: number, field?: string, message?: RegExp): Problem {
  assert.equal(reply.statusCode, status, reply.body);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  const problem = reply.json<Problem>();
  if (field !== undefined) {
    const named = problem.errors?.find((error) => error.field === field);
    assert.ok(named, `the problem names ${field}: ${reply.body}`);
    if (message) assert.match(named.message, message);
  }
  return problem;
}

/** The PDF's text as `pdftotext -layout` lays it out (one page, or all). */
function pdfLayoutText(t: TestContext, pdf: Buffer, page?: number): string | undefined {
  if (!requireTool(t, 'pdftotext')) return undefined;
  const file = join(tempDir(t, 'crm-statement-'), 'statement.pdf');
  writeFileSync(file, pdf);
  const pages = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  const run = spawnSync('pdftotext', ['-layout', ...pages, file, '-'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

function pdfPages(t: TestContext, pdf: Buffer): number | undefined {
  if (!requireTool(t, 'pdfinfo')) return undefined;
  const file = join(tempDir(t, 'crm-statement-'), 'statement.pdf');
  writeFileSync(file, pdf);
  const run = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Number(/^Pages:\s+(\d+)$/m.exec(run.stdout)?.[1]);
}

/** Page 1 as a PNG in test-results/screenshots/NAME-page-1.png, the way a person would look at it. */
function savePageOne(t: TestContext, pdf: Buffer, name: string): void {
  if (!requireTool(t, 'pdftoppm')) return;
  const file = join(tempDir(t, 'crm-statement-'), 'statement.pdf');
  writeFileSync(file, pdf);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const run = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, join(SCREENSHOT_DIR, `${name}-page-1`)], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
}

// Every database is opened before any suite starts: drawing PDFs blocks the event loop long enough to time out a connection being made meanwhile.
const databases = [];
for (const target of TEST_DATABASES) databases.push({ target, opened: await openTestDatabase(target) });

for (const { target, opened } of databases) {
  describe(`statements on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let token: string;
    let cookie: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, ENV);
      const viewer = await addUser(db, 'viewer');
      token = await addToken(db, viewer);
      ({ cookie } = await signInWith(app, viewer.username, viewer.password));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    async function newAccount(name = 'Statement Customer'): Promise<string> {
      const acctid = uniqueAcctId('S');
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid, paidCents: cents(0), dueCents: cents(0) }]));
      await db.updateTable('account').set({ name, terms_days: 30 }).where('acctid', '=', acctid).execute();
      return acctid;
    }
    const record = async (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number; memo?: string }) =>
      (await db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: RECORDED_AT, timeZone: 'UTC' }))).id;
    const api = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });

    /**
     * The hand-computed case, entries in the order they are recorded (terms 30 days):
     *   A charge 1,234.56 on 03-10 (INV-1, due 04-09); B payment 34.56 on 04-15 (pays A: 1,200.00 left)
     *   C charge 500.00 on 05-20 (INV-2, due 05-20); D payment 300.00 on 05-25 (pays A: 900.00 left)
     *   E charge 200.00 on 05-05 (INV-3, due 06-04), recorded after C and D though dated before them
     *   F payment 1,000.00 on 05-02, back-dated: pays A's 900.00, then 100.00 of C (due before E)
     *   H charge 1,234.56 on 06-15 (INV-4, due 07-15); I credit 15.00 on 06-20 (pays C: 385.00 left)
     *   G charge 70.00 on 06-28 (INV-5): after the period
     * Period 05-01 to 06-25: opening = A + B = 1,200.00; by date: F, E, C, D, H, I.
     */
    async function handComputedAccount() {
      const acctid = await newAccount(NAME);
      const ids: Record<string, number> = {};
      ids.A = await record(acctid, { kind: 'charge', amountCents: 123_456, effectiveOn: '2026-03-10', reference: 'INV-1' });
      ids.B = await record(acctid, { kind: 'payment', amountCents: 3_456, effectiveOn: '2026-04-15', reference: 'CHQ-1' });
      ids.C = await record(acctid, { kind: 'charge', amountCents: 50_000, effectiveOn: '2026-05-20', dueOn: '2026-05-20', reference: 'INV-2', memo: 'Support, May' });
      ids.D = await record(acctid, { kind: 'payment', amountCents: 30_000, effectiveOn: '2026-05-25', reference: 'CHQ-2' });
      ids.E = await record(acctid, { kind: 'charge', amountCents: 20_000, effectiveOn: '2026-05-05', reference: 'INV-3' });
      ids.F = await record(acctid, { kind: 'payment', amountCents: 100_000, effectiveOn: '2026-05-02', reference: 'WIRE-7', memo: 'Wire transfer' });
      ids.H = await record(acctid, { kind: 'charge', amountCents: 123_456, effectiveOn: '2026-06-15', reference: 'INV-4' });
      ids.I = await record(acctid, { kind: 'adjustment', amountCents: -1_500, effectiveOn: '2026-06-20', memo: 'Goodwill credit' });
      ids.G = await record(acctid, { kind: 'charge', amountCents: 7_000, effectiveOn: '2026-06-28', reference: 'INV-5' });
      return { acctid, ids: ids as Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I', number> };
    }

    test('the JSON statement: opening balance from before the period, entries by date with their running balance, closing balance, aging and open invoices as of the last day', async () => {
      const { acctid, ids } = await handComputedAccount();
      const reply = await api(`/api/v1/accounts/${acctid.toLowerCase()}/statement?from=2026-05-01&to=2026-06-25`);
      assert.equal(reply.statusCode, 200, reply.body);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.equal(reply.headers['cache-control'], 'no-store');
      const statement = reply.json<Record<string, unknown>>();
      assert.deepEqual(statement, {
        account: { acctid, name: NAME },
        from: '2026-05-01',
        to: '2026-06-25',
        opening_balance_cents: 120_000,
        entries: [
          { id: ids.F, kind: 'payment', effective_on: '2026-05-02', due_on: null, reference: 'WIRE-7', memo: 'Wire transfer', amount_cents: 100_000, balance_after_cents: 20_000 },
          { id: ids.E, kind: 'charge', effective_on: '2026-05-05', due_on: '2026-06-04', reference: 'INV-3', memo: '', amount_cents: 20_000, balance_after_cents: 40_000 },
          { id: ids.C, kind: 'charge', effective_on: '2026-05-20', due_on: '2026-05-20', reference: 'INV-2', memo: 'Support, May', amount_cents: 50_000, balance_after_cents: 90_000 },
          { id: ids.D, kind: 'payment', effective_on: '2026-05-25', due_on: null, reference: 'CHQ-2', memo: '', amount_cents: 30_000, balance_after_cents: 60_000 },
          { id: ids.H, kind: 'charge', effective_on: '2026-06-15', due_on: '2026-07-15', reference: 'INV-4', memo: '', amount_cents: 123_456, balance_after_cents: 183_456 },
          { id: ids.I, kind: 'adjustment', effective_on: '2026-06-20', due_on: null, reference: null, memo: 'Goodwill credit', amount_cents: -1_500, balance_after_cents: 181_956 },
        ],
        closing_balance_cents: 181_956,
        aging: { current_cents: 123_456, days_1_30_cents: 20_000, days_31_60_cents: 38_500, days_61_90_cents: 0, days_over_90_cents: 0, credit_cents: 0, total_cents: 181_956 },
        open_invoices: [
          { id: ids.C, reference: 'INV-2', effective_on: '2026-05-20', due_on: '2026-05-20', amount_cents: 50_000, open_cents: 38_500, days_late: 36 },
          { id: ids.E, reference: 'INV-3', effective_on: '2026-05-05', due_on: '2026-06-04', amount_cents: 20_000, open_cents: 20_000, days_late: 21 },
          { id: ids.H, reference: 'INV-4', effective_on: '2026-06-15', due_on: '2026-07-15', amount_cents: 123_456, open_cents: 123_456, days_late: -20 },
        ],
      });
      // The ledger's own running balance is in the order entries were recorded: C left 1,700.00 there, 900.00 in date order.
      const ledger = (await api(`/api/v1/accounts/${acctid}/entries?limit=200`)).json<{ entries: { id: number; balance_after_cents: number }[] }>();
      assert.equal(ledger.entries.find(({ id }) => id === ids.C)?.balance_after_cents, 170_000);
    });

    test('an earlier period counts the back-dated payment from its own date, and ages as things stood then; a period with no entries opens and closes alike', async () => {
      const { acctid } = await handComputedAccount();
      const early = (await api(`/api/v1/accounts/${acctid}/statement?from=2026-04-01&to=2026-05-03`)).json<{ opening_balance_cents: number; closing_balance_cents: number; entries: { balance_after_cents: number }[]; aging: Record<string, number> }>();
      // 04-01: A alone (1,234.56); then B (-34.56) and F (-1,000.00).
      assert.equal(early.opening_balance_cents, 123_456);
      assert.deepEqual(early.entries.map(({ balance_after_cents: balance }) => balance), [120_000, 20_000]);
      assert.equal(early.closing_balance_cents, 20_000);
      // On 05-03: of A (due 04-09, 24 days late) B and F had paid 934.56, D (05-25) not yet: 300.00 open.
      // F's other 100.00 went to C, dated 05-20: on 05-03 it was unapplied credit.
      assert.deepEqual(early.aging, { current_cents: 0, days_1_30_cents: 30_000, days_31_60_cents: 0, days_61_90_cents: 0, days_over_90_cents: 0, credit_cents: -10_000, total_cents: 20_000 });
      const quiet = (await api(`/api/v1/accounts/${acctid}/statement?from=2026-04-20&to=2026-04-30`)).json<{ opening_balance_cents: number; closing_balance_cents: number; entries: unknown[] }>();
      assert.deepEqual([quiet.opening_balance_cents, quiet.entries.length, quiet.closing_balance_cents], [120_000, 0, 120_000]);
    });

    test('without from and to: from the first of this month to today, in the business time zone', async () => {
      const acctid = await newAccount();
      const today = dateIn('UTC');
      const reply = await api(`/api/v1/accounts/${acctid}/statement`);
      assert.equal(reply.statusCode, 200, reply.body);
      const { from, to } = reply.json<{ from: string; to: string }>();
      assert.equal(to, today);
      assert.equal(from, `${today.slice(0, 8)}01`);
      const onlyTo = (await api(`/api/v1/accounts/${acctid}/statement?to=2026-02-14`)).json<{ from: string; to: string }>();
      assert.deepEqual([onlyTo.from, onlyTo.to], ['2026-02-01', '2026-02-14']);
    });

    test('refused periods are 400 problems naming the parameter: a day that does not exist, a future end, a start after the end, an unknown parameter', async () => {
      const acctid = await newAccount();
      const future = addDays(dateIn('UTC'), 2);
      assertProblem(await api(`/api/v1/accounts/${acctid}/statement?from=2026-02-30&to=2026-03-31`), 400, 'querystring.from', /real calendar day/);
      assertProblem(await api(`/api/v1/accounts/${acctid}/statement?to=2026-13-01`), 400, 'querystring.to', /real calendar day/);
      assertProblem(await api(`/api/v1/accounts/${acctid}/statement?from=2026-01-01&to=${future}`), 400, 'querystring.to', /cannot be in the future/);
      assertProblem(await api(`/api/v1/accounts/${acctid}/statement?from=2026-03-02&to=2026-03-01`), 400, 'querystring.from', /on or before the end of the period \(2026-03-01\)/);
      assertProblem(await api(`/api/v1/accounts/${acctid}/statement?from=${future}`), 400, 'querystring.from', /on or before the end/);
      const unknown = assertProblem(await api(`/api/v1/accounts/${acctid}/statement?as_of=2026-01-01`), 400);
      assert.match(unknown.detail, /Unknown query parameter "as_of": this request takes only from, to/);
      assertProblem(await api(`/api/v1/accounts/${uniqueAcctId('NONE')}/statement`), 404);
      const refused = assertProblem(await api(`/api/v1/accounts/${acctid}/statement`, 'text/html'), 406);
      assert.equal(refused.code, 'NOT_ACCEPTABLE');
    });

    test(`a period with more than ${STATEMENT_MAX_ENTRIES} entries is a 422 naming from: one request never loads unbounded history`, async () => {
      const acctid = await newAccount();
      const rows = Array.from({ length: STATEMENT_MAX_ENTRIES + 1 }, (_, i) => ({
        acctid,
        kind: 'charge',
        amount_cents: 100 + i,
        balance_after_cents: 0,
        memo: '',
        effective_on: '2026-03-15',
        due_on: '2026-04-14',
        actor: 'statements-test',
        created_at: RECORDED_AT,
      }));
      for (let start = 0; start < rows.length; start += 500) await db.insertInto('ledger_entry').values(rows.slice(start, start + 500)).execute();
      const problem = assertProblem(await api(`/api/v1/accounts/${acctid}/statement?from=2026-03-01&to=2026-03-31`), 422, 'querystring.from', /more than 1,000 entries/);
      assert.equal(problem.code, 'STATEMENT_TOO_LONG');
      // A period beside it is fine.
      assert.equal((await api(`/api/v1/accounts/${acctid}/statement?from=2026-04-01&to=2026-04-30`)).statusCode, 200);
    });

    test('Accept: application/pdf gives the statement as a PDF a person can read: company, customer, period, every figure written 1,234.56', async (t) => {
      const { acctid } = await handComputedAccount();
      const reply = await api(`/api/v1/accounts/${acctid}/statement?from=2026-05-01&to=2026-06-25`, 'application/pdf');
      assert.equal(reply.statusCode, 200, reply.body);
      assert.equal(reply.headers['content-type'], 'application/pdf');
      assert.equal(reply.headers['content-disposition'], `attachment; filename="statement-${acctid}-2026-06-25.pdf"`);
      assert.equal(reply.headers['cache-control'], 'no-store');
      const pdf = reply.rawPayload;
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const text = pdfLayoutText(t, pdf);
      if (text === undefined) return;
      const line = (pattern: RegExp) => assert.match(text, pattern, text);
      line(/^Globomantics Test Co\.\s+Statement$/m);
      line(/^1 Main Street$/m);
      line(/^Springfield, IL 62701\s/m);
      line(/Statement date\s+Jun 25, 2026/);
      line(/Account\s+S[0-9A-F]{10}$/m);
      assert.ok(text.includes(acctid));
      line(/Period\s+May 1, 2026 – Jun 25, 2026/);
      // The name as the standard fonts show it: Latin-1 kept, the rest transliterated.
      line(/Zoë Ñúñez-Müller & Søn — Lódz BeiJing/);
      line(/Opening balance, May 1, 2026\s+1,200\.00/);
      line(/Charges\s+1,934\.56/);
      line(/Payments and credits\s+-1,315\.00/);
      line(/Balance due, Jun 25, 2026\s+1,819\.56/);
      line(/Amounts in USD/);
      // The entries in date order with their running balance.
      line(/May 1, 2026\s+Opening balance\s+1,200\.00/);
      line(/May 2, 2026\s+Payment\s+WIRE-7\s+Wire transfer\s+1,000\.00\s+200\.00/);
      line(/May 5, 2026\s+Invoice\s+INV-3\s+Jun 4, 2026\s+200\.00\s+400\.00/);
      line(/May 20, 2026\s+Invoice\s+INV-2\s+Support, May\s+May 20, 2026\s+500\.00\s+900\.00/);
      line(/May 25, 2026\s+Payment\s+CHQ-2\s+300\.00\s+600\.00/);
      line(/Jun 15, 2026\s+Invoice\s+INV-4\s+Jul 15, 2026\s+1,234\.56\s+1,834\.56/);
      line(/Jun 20, 2026\s+Credit\s+Goodwill credit\s+15\.00\s+1,819\.56/);
      line(/Jun 25, 2026\s+Closing balance\s+1,819\.56/);
      // The aging box: the buckets' names, then their amounts.
      line(/Aging as of Jun 25, 2026/);
      line(/Current\s+1–30 days\s+31–60 days\s+61–90 days\s+Over 90 days\s+Credit\s+Total/);
      line(/1,234\.56\s+200\.00\s+385\.00\s+0\.00\s+0\.00\s+0\.00\s+1,819\.56/);
      line(/Open invoices as of Jun 25, 2026/);
      line(/INV-2\s+May 20, 2026\s+May 20, 2026\s+36\s+500\.00\s+385\.00/);
      line(/INV-3\s+May 5, 2026\s+Jun 4, 2026\s+21\s+200\.00\s+200\.00/);
      line(/INV-4\s+Jun 15, 2026\s+Jul 15, 2026\s+not yet due\s+1,234\.56\s+1,234\.56/);
      line(/Total open\s+1,819\.56/);
      line(/Page 1 of 1/);
      assert.doesNotMatch(text, /INV-5/, 'an entry after the period is not on it');
      if (target === TEST_DATABASES[0]) savePageOne(t, pdf, 'statement');
    });

    test('a long statement runs over several pages, each table header repeated, every page numbered', async (t) => {
      const acctid = await newAccount('Long History Ltd');
      for (let day = 1; day <= 28; day += 1) {
        const date = `2026-04-${String(day).padStart(2, '0')}`;
        await record(acctid, { kind: 'charge', amountCents: 10_000 + day, effectiveOn: date, reference: `INV-${day}` });
        await record(acctid, { kind: 'charge', amountCents: 5_000 + day, effectiveOn: date, reference: `INV-${day}B` });
        if (day % 2 === 0) await record(acctid, { kind: 'payment', amountCents: 12_000, effectiveOn: date, memo: `Payment ${day}` });
      }
      const reply = await api(`/api/v1/accounts/${acctid}/statement?from=2026-04-01&to=2026-04-30`, 'application/pdf');
      assert.equal(reply.statusCode, 200);
      const pages = pdfPages(t, reply.rawPayload);
      if (pages === undefined) return;
      assert.ok(pages >= 3, `${pages} pages`);
      const second = pdfLayoutText(t, reply.rawPayload, 2) ?? '';
      assert.match(second, /Statement for .* · Apr 1, 2026 – Apr 30, 2026/);
      assert.match(second, /Account activity \(continued\)/);
      assert.match(second, /Date\s+Type\s+Reference\s+Description\s+Due\s+Charges\s+Credits\s+Balance/);
      assert.ok(second.includes(`Page 2 of ${pages}`), second);
      const all = pdfLayoutText(t, reply.rawPayload) ?? '';
      // 56 invoices and 14 payments of 120.00: 56 × 75.00 + (1 + … + 28) × 2 − 14 × 120.00 = 2,520.00 + 8.12.
      assert.match(all, /Apr 30, 2026\s+Closing balance\s+2,528\.12/);
    });

    test('names outside the PDF fonts do not break the PDF: accents stay, other scripts and emoji are transliterated', async (t) => {
      const acctid = await newAccount('Ærø 東京 Дима 😀 Œuvre');
      await record(acctid, { kind: 'charge', amountCents: 1_000, effectiveOn: '2026-06-01', memo: 'Ремонт – naïve €' });
      const reply = await api(`/api/v1/accounts/${acctid}/statement?from=2026-06-01&to=2026-06-30`, 'application/pdf');
      assert.equal(reply.statusCode, 200);
      const text = pdfLayoutText(t, reply.rawPayload);
      if (text === undefined) return;
      assert.match(text, /Ærø DongJing Dima :grinning: Œuvre/, text);
      assert.match(text, /Remont – naïve €/);
    });

    test('staff get the PDF from the account page\'s statement form; dates it cannot use show the form again with the message beside the field', async (t) => {
      const { acctid } = await handComputedAccount();
      const page = await app.inject({ method: 'GET', url: `/accounts/${acctid}`, headers: { cookie } });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(`<form method="get" action="/accounts/${acctid}/statement.pdf">`), 'the account page has the statement form');
      assert.match(page.body, /<input type="date" id="from" name="from"/);
      assert.match(page.body, /<button type="submit">Statement \(PDF\)<\/button>/);

      const pdf = await app.inject({ method: 'GET', url: `/accounts/${acctid}/statement.pdf?from=2026-05-01&to=2026-06-25`, headers: { cookie } });
      assert.equal(pdf.statusCode, 200);
      assert.equal(pdf.headers['content-type'], 'application/pdf');
      assert.equal(pdf.headers['content-disposition'], `attachment; filename="statement-${acctid}-2026-06-25.pdf"`);
      assert.equal(pdf.headers['cache-control'], 'no-store');
      const text = pdfLayoutText(t, pdf.rawPayload);
      if (text !== undefined) assert.match(text, /Balance due, Jun 25, 2026\s+1,819\.56/);

      // The form's empty fields take the defaults.
      const defaults = await app.inject({ method: 'GET', url: `/accounts/${acctid}/statement.pdf?from=&to=`, headers: { cookie } });
      assert.equal(defaults.statusCode, 200);
      assert.equal(defaults.headers['content-disposition'], `attachment; filename="statement-${acctid}-${dateIn('UTC')}.pdf"`);

      const refused = await app.inject({ method: 'GET', url: `/accounts/${acctid}/statement.pdf?from=2026-02-30&to=${addDays(dateIn('UTC'), 2)}`, headers: { cookie } });
      assert.equal(refused.statusCode, 400);
      assert.match(String(refused.headers['content-type']), /^text\/html/);
      assert.match(refused.body, /<h1>Statement for [A-Z0-9]+<\/h1>/);
      assert.match(refused.body, /<p class="field-error" id="from-error">From must be a real calendar day, written YYYY-MM-DD/);
      assert.match(refused.body, /<p class="field-error" id="to-error">To cannot be in the future/);
      assert.ok(refused.body.includes('value="2026-02-30"'), 'the date as typed is shown again');
      assert.match(refused.body, /<a href="#from">/, 'the error summary links to the field');

      const after = await app.inject({ method: 'GET', url: `/accounts/${acctid}/statement.pdf?from=2026-06-02&to=2026-06-01`, headers: { cookie } });
      assert.equal(after.statusCode, 400);
      assert.match(after.body, /From must be on or before the end of the period \(2026-06-01\)/);

      const unknown = await app.inject({ method: 'GET', url: `/accounts/${uniqueAcctId('NONE')}/statement.pdf`, headers: { cookie } });
      assert.equal(unknown.statusCode, 404);
      const anonymous = await app.inject({ method: 'GET', url: `/accounts/${acctid}/statement.pdf` });
      assert.notEqual(anonymous.statusCode, 200, 'signed-out visitors get no statement');
    });
  });
}

describe('the batch writer behind crm statements, on a SQLite database of its own', () => {
  for (const workers of [0, 1]) {
    test(`one PDF per account with a balance on the day (${workers === 0 ? 'drawn in this thread' : 'drawn by a worker thread'}); an account whose period is too long is skipped and reported`, async (t) => {
      const opened = await openTestDatabase(TEST_DATABASES[0]!);
      const db = opened.db!;
      t.after(() => db.destroy());
      const balances: [string, number][] = [['B1', 4_000], ['B2', 0], ['B3', -1_500], ['B4', 250]];
      await db.transaction().execute((trx) => seedWithLedger(trx, balances.map(([acctid, balance]) => ({ acctid, dueCents: cents(Math.max(balance, 0) + 1_000), paidCents: cents(Math.max(-balance, 0) + 1_000) }))));
      // B5 has a balance and more entries in the period than a statement lists.
      await db.transaction().execute((trx) => seedWithLedger(trx, [{ acctid: 'B5', dueCents: cents(0), paidCents: cents(0) }]));
      const today = dateIn('UTC');
      const rows = Array.from({ length: STATEMENT_MAX_ENTRIES + 1 }, () => ({ acctid: 'B5', kind: 'charge', amount_cents: 100, balance_after_cents: 0, memo: '', effective_on: today, due_on: today, actor: 'test', created_at: Date.now() }));
      for (let start = 0; start < rows.length; start += 500) await db.insertInto('ledger_entry').values(rows.slice(start, start + 500)).execute();

      const outDir = join(tempDir(t, 'crm-statements-'), 'out');
      const progress: number[] = [];
      const report = await writeStatements(db, {
        period: { from: `${today.slice(0, 8)}01`, to: today },
        outDir,
        company: { name: 'Batch Co', addressLines: [] },
        display: { locale: 'en-US', timeZone: 'UTC' },
        workers,
        onProgress: ({ examined }) => progress.push(examined),
      });
      assert.deepEqual(readdirSync(outDir).sort(), ['B1', 'B3', 'B4'].map((acctid) => `statement-${acctid}-${today}.pdf`));
      assert.equal(readFileSync(join(outDir, `statement-B1-${today}.pdf`)).subarray(0, 5).toString('latin1'), '%PDF-');
      assert.deepEqual([report.examined, report.written], [5, 3]);
      assert.deepEqual(report.skipped.map(({ acctid }) => acctid), ['B5']);
      assert.match(report.skipped[0]!.reason, /more than 1,000 entries/);
      assert.equal(progress.at(-1), 5);
      const text = pdfLayoutText(t, readFileSync(join(outDir, `statement-B3-${today}.pdf`)));
      if (text !== undefined) assert.match(text, /Credit balance, .*\s-15\.00$/m);
    });
  }
});
