/**
 * The aged receivables page and its CSV on each database, as a signed-in
 * viewer: the figures of a past day for accounts worked out by hand (entries
 * dated in 1979, a year no other suite writes, so the report holds these
 * accounts alone), pages by keyset, the CSV of every account with the
 * formula guard, and bad input shown in the form again with a 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { cents } from '../../src/shared/money.js';
import { testApp } from '../support/app.js';
import { addUser, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'receivables-page-test', ip: '127.0.0.1', requestId: 'req-receivables-page' };
const PREFIX = 'AGP';
const AT = Date.parse('1979-12-31T12:00:00Z');
const AS_OF = '1979-06-30';

/** The accounts table's rows: id, then the seven figures as shown. */
function tableRows(body: string): string[][] {
  const rows = [...body.matchAll(/<tr><th scope="row"><a href="\/accounts\/([^"]+)">[^<]*<\/a>.*?<\/th>(.*?)<\/tr>/g)];
  const text = (cell: string) => cell.replace(/<[^>]*>/g, '');
  return rows.map(([, acctid, cells]) => [decodeURIComponent(acctid!), ...cells!.split('</td>').filter((cell) => cell.startsWith('<td')).map(text)]);
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the aged receivables page on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db as Kysely<Database>;
    let app: App;
    let cookie: string;
    const ids: Record<string, string> = {};

    async function removeOurAccounts(): Promise<void> {
      const ours = (await db.selectFrom('account').select('acctid').where('acctid', 'like', `${PREFIX}%`).execute()).map((row) => row.acctid);
      if (ours.length === 0) return;
      for (const table of ['allocation', 'open_item', 'ledger_entry', 'account_search_term', 'account'] as const) await db.deleteFrom(table).where('acctid', 'in', ours).execute();
    }
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });

    before(async () => {
      await removeOurAccounts();
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0' });
      const viewer = await addUser(db, 'viewer');
      cookie = (await signInWith(app, viewer.username, viewer.password)).cookie;
      await db.transaction().execute(async (trx) => {
        const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
          recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' });
        for (const [key, name] of [
          ['old', 'Old & <Late>'],
          ['formula', '=SUM(A1)'],
          ['credit', 'In Credit'],
        ] as const) {
          ids[key] = uniqueAcctId(PREFIX);
          await createAccounts(trx, actor, [{ acctid: ids[key], name }], AT);
        }
        await record(ids.old!, { kind: 'charge', amountCents: 123_456_78, effectiveOn: '1979-01-10' }); // due 02-09: 141 days late
        await record(ids.old!, { kind: 'payment', amountCents: 123_456_78, effectiveOn: '1979-07-01' });
        await record(ids.formula!, { kind: 'charge', amountCents: 2_000, effectiveOn: '1979-05-20' }); // due 06-19: 11 days late
        await record(ids.formula!, { kind: 'charge', amountCents: 999, effectiveOn: '1979-06-15' }); // due 07-15: current
        await record(ids.credit!, { kind: 'payment', amountCents: 5_050, effectiveOn: '1979-04-04' });
      });
    });
    after(async () => {
      if (db) await removeOurAccounts();
      await app?.close();
      await db?.destroy();
    });

    test('a past day: the definition, the totals as an image and a table, the accounts largest total first, the CSV link', async () => {
      const reply = await get(`/receivables?as_of=${AS_OF}`);
      assert.equal(reply.statusCode, 200, reply.body);
      const body = reply.body;
      assert.match(body, /Aging sorts what each account owed on the as-of date by how many days its invoices were past their due date/);
      assert.match(body, /<svg class="chart aging-chart" role="img" aria-labelledby="aging-chart-title" aria-describedby="aging-chart-desc"/);
      assert.match(body, /<title id="aging-chart-title">Receivables by days past due on 1979-06-30<\/title>/);
      assert.match(body, /<h2 id="totals-heading">Every account: 123,436.27 USD<\/h2>/);
      assert.match(body, /Over 90 days <span class="account-name">[^<]*<\/span><\/th><td class="num">123,456.78<\/td>/);
      assert.match(body, /Credit <span class="account-name">[^<]*<\/span><\/th><td class="num">-50.50<\/td>/);
      assert.deepEqual(tableRows(body), [
        [ids.old, '0.00', '0.00', '0.00', '0.00', '123,456.78', '0.00', '123,456.78'],
        [ids.formula, '9.99', '20.00', '0.00', '0.00', '0.00', '0.00', '29.99'],
        [ids.credit, '0.00', '0.00', '0.00', '0.00', '0.00', '-50.50', '-50.50'],
      ]);
      assert.match(body, /Old &amp; &lt;Late&gt;/);
      assert.match(body, /href="\/receivables.csv\?as_of=1979-06-30"/);
      assert.match(body, /<input type="date" id="as_of" name="as_of" value="1979-06-30"/);
    });

    test('pages by keyset: Next, then First page', async () => {
      const first = await get(`/receivables?as_of=${AS_OF}&limit=2`);
      assert.deepEqual(tableRows(first.body).map(([acctid]) => acctid), [ids.old, ids.formula]);
      const next = /<a href="([^"]+)" rel="next">Next<\/a>/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
      assert.ok(next, 'a Next link');
      const second = await get(next);
      assert.deepEqual(tableRows(second.body).map(([acctid]) => acctid), [ids.credit]);
      assert.match(second.body, /<a href="\/receivables\?as_of=1979-06-30&amp;limit=2" rel="first">First page<\/a>/);
      assert.match(second.body, /<span class="pager-disabled">Next<\/span>/);
    });

    test('the CSV has every account with figures that day, names guarded against formulas', async () => {
      const reply = await get(`/receivables.csv?as_of=${AS_OF}`);
      assert.equal(reply.statusCode, 200, reply.body);
      assert.match(String(reply.headers['content-type']), /^text\/csv/);
      assert.equal(reply.headers['content-disposition'], 'attachment; filename="aging-1979-06-30.csv"');
      const [old, formula, credit] = [ids.old!, ids.formula!, ids.credit!];
      const expected = [
        [old, 'Old & <Late>', '0.00', '0.00', '0.00', '0.00', '123456.78', '0.00', '123456.78'],
        [formula, "'=SUM(A1)", '9.99', '20.00', '0.00', '0.00', '0.00', '0.00', '29.99'],
        [credit, 'In Credit', '0.00', '0.00', '0.00', '0.00', '0.00', '-50.50', '-50.50'],
      ].sort(([a], [b]) => (a! < b! ? -1 : 1));
      assert.equal(reply.body, ['acctid,name,current,days_1_30,days_31_60,days_61_90,days_over_90,credit,total', ...expected.map((row) => row.join(','))].join('\n') + '\n');
    });

    test('a day that does not exist, a future day or a bad page link: the page again with the message, 400', async () => {
      for (const [query, message] of [
        ['as_of=1979-02-29', /real calendar day/],
        ['as_of=2999-01-01', /cannot be in the future/],
        ['as_of=soon', /real calendar day/],
        ['cursor=broken', /page link is not valid/],
        ['limit=9999', /at most 500/],
      ] as const) {
        const reply = await get(`/receivables?${query}`);
        assert.equal(reply.statusCode, 400, query);
        assert.match(reply.body, message, query);
        assert.match(reply.body, /<div class="error-summary" role="alert">/, query);
        assert.match(reply.body, /<form method="get" action="\/receivables">/, query);
      }
      const refused = await get('/receivables?as_of=1979-02-29');
      assert.match(refused.body, /<input type="date" id="as_of" name="as_of" value="1979-02-29" aria-invalid="true"/);
      const csv = await get('/receivables.csv?as_of=1979-13-01');
      assert.equal(csv.statusCode, 400);
    });
  });
}
