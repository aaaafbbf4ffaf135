/**
 * The aging API on each database: one account's figures and the report over
 * every account as of a day (exact cents, largest total first, keyset pages
 * through next, totals with exact digits), and the refusals naming the field.
 * The accounts' entries are dated in 1987, a year no other suite writes, so
 * as of a day then the report holds this suite's accounts alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccounts } from '../../src/modules/accounts/index.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import type { Problem } from '../support/api-json.js';
import { testApp } from '../support/app.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const actor = { name: 'aging-api-test', ip: '127.0.0.1', requestId: 'req-aging-api' };
const PREFIX = 'AGA';
const AT = Date.parse('1987-12-31T12:00:00Z');
const AS_OF = '1987-06-30';

interface Figures {
  current_cents: number;
  days_1_30_cents: number;
  days_31_60_cents: number;
  days_61_90_cents: number;
  days_over_90_cents: number;
  credit_cents: number;
  total_cents: number;
}
interface Report {
  as_of: string;
  totals: Record<string, number | string>;
  accounts: (Figures & { acctid: string; name: string })[];
  next: string | null;
}
const list = (f: Figures) => [f.current_cents, f.days_1_30_cents, f.days_31_60_cents, f.days_61_90_cents, f.days_over_90_cents, f.credit_cents, f.total_cents];

function problem(reply: LightMyRequestResponse, status: number): Problem {
  assert.equal(reply.statusCode, status, reply.body);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  return reply.json<Problem>();
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the aging API on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db as Kysely<Database>;
    let app: App;
    let token: string;
    const ids: Record<string, string> = {};

    async function removeOurAccounts(): Promise<void> {
      const ours = (await db.selectFrom('account').select('acctid').where('acctid', 'like', `${PREFIX}%`).execute()).map((row) => row.acctid);
      if (ours.length === 0) return;
      for (const table of ['allocation', 'open_item', 'ledger_entry', 'account_search_term', 'account'] as const) await db.deleteFrom(table).where('acctid', 'in', ours).execute();
    }
    const api = (url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

    before(async () => {
      await removeOurAccounts();
      app = await testApp(db, { API_RATE_LIMIT: '0', API_USER_RATE_LIMIT: '0' });
      token = await addToken(db, await addUser(db, 'viewer'));
      await db.transaction().execute(async (trx) => {
        const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'memo' | 'amountCents'> & { amountCents: number }) =>
          recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { at: AT, timeZone: 'UTC' });
        for (const name of ['late', 'fresh', 'credit', 'zero', 'tie']) {
          ids[name] = uniqueAcctId(PREFIX);
          await createAccounts(trx, actor, [{ acctid: ids[name], name: `Aging ${name}` }], AT);
        }
        // Due 02-01 (terms 30), paid 09-01: on 06-30, 149 days late.
        await record(ids.late!, { kind: 'charge', amountCents: 12_345, effectiveOn: '1987-01-02' });
        await record(ids.late!, { kind: 'payment', amountCents: 12_345, effectiveOn: '1987-09-01' });
        // Two invoices: due 07-10 (current) and 06-05 (25 days late), 40.00 paid on 06-20 to the older.
        await record(ids.fresh!, { kind: 'charge', amountCents: 5_000, effectiveOn: '1987-05-06' });
        await record(ids.fresh!, { kind: 'charge', amountCents: 7_000, effectiveOn: '1987-06-10' });
        await record(ids.fresh!, { kind: 'payment', amountCents: 4_000, effectiveOn: '1987-06-20' });
        await record(ids.credit!, { kind: 'payment', amountCents: 999, effectiveOn: '1987-03-03' });
        await record(ids.zero!, { kind: 'charge', amountCents: 100, effectiveOn: '1987-03-03' });
        await record(ids.zero!, { kind: 'payment', amountCents: 100, effectiveOn: '1987-03-04' });
        // The same total as `fresh`: 80.00 due 06-30, current.
        await record(ids.tie!, { kind: 'charge', amountCents: 8_000, effectiveOn: '1987-05-31' });
      });
    });
    after(async () => {
      if (db) await removeOurAccounts();
      await app?.close();
      await db?.destroy();
    });

    test("GET /accounts/{acctid}/aging gives the account's figures as of the day, today by default; 404 for an unknown account", async () => {
      const reply = await api(`/accounts/${ids.late!.toLowerCase()}/aging?as_of=${AS_OF}`);
      assert.equal(reply.statusCode, 200, reply.body);
      assert.deepEqual(reply.json(), { as_of: AS_OF, current_cents: 0, days_1_30_cents: 0, days_31_60_cents: 0, days_61_90_cents: 0, days_over_90_cents: 12_345, credit_cents: 0, total_cents: 12_345 });
      const today = (await api(`/accounts/${ids.fresh!}/aging`)).json<Figures & { as_of: string }>();
      assert.equal(today.as_of, dateIn('UTC'));
      // By today both invoices are over 90 days late: 10.00 of the first and 70.00.
      assert.deepEqual(list(today), [0, 0, 0, 0, 8_000, 0, 8_000]);
      problem(await api(`/accounts/${uniqueAcctId(PREFIX)}/aging`), 404);
    });

    test('GET /aging: totals over every account and the accounts largest total first, in pages linked by next', async () => {
      const pages: Report[] = [];
      let url: string | null = `/aging?as_of=${AS_OF}&limit=2`;
      while (url !== null) {
        const reply = await api(url.replace(/^\/api\/v1/, ''));
        assert.equal(reply.statusCode, 200, reply.body);
        const page: Report = reply.json<Report>();
        pages.push(page);
        url = page.next;
      }
      const [first, second] = [ids.fresh!, ids.tie!].sort().reverse();
      const expected: Record<string, number[]> = {
        [ids.late!]: [0, 0, 0, 0, 12_345, 0, 12_345],
        [ids.fresh!]: [7_000, 1_000, 0, 0, 0, 0, 8_000],
        [ids.tie!]: [8_000, 0, 0, 0, 0, 0, 8_000],
        [ids.credit!]: [0, 0, 0, 0, 0, -999, -999],
      };
      assert.deepEqual(
        pages.map((page) => page.accounts.map((row) => [row.acctid, row.name, ...list(row)])),
        [
          [
            [ids.late, 'Aging late', ...expected[ids.late!]!],
            [first, first === ids.fresh ? 'Aging fresh' : 'Aging tie', ...expected[first!]!],
          ],
          [
            [second, second === ids.fresh ? 'Aging fresh' : 'Aging tie', ...expected[second!]!],
            [ids.credit, 'Aging credit', ...expected[ids.credit!]!],
          ],
        ],
      );
      for (const page of pages) {
        assert.equal(page.as_of, AS_OF);
        assert.deepEqual(page.totals, {
          current_cents: 15_000,
          current_cents_exact: '15000',
          days_1_30_cents: 1_000,
          days_1_30_cents_exact: '1000',
          days_31_60_cents: 0,
          days_31_60_cents_exact: '0',
          days_61_90_cents: 0,
          days_61_90_cents_exact: '0',
          days_over_90_cents: 12_345,
          days_over_90_cents_exact: '12345',
          credit_cents: -999,
          credit_cents_exact: '-999',
          total_cents: 27_346,
          total_cents_exact: '27346',
        });
      }
      assert.match(pages[0]!.next!, /^\/api\/v1\/aging\?as_of=1987-06-30&limit=2&cursor=[\w-]+$/);
    });

    test('bad input is a 400 problem naming the field: a day that does not exist, a future day, garbage, a bad limit or cursor, an unknown parameter', async () => {
      const tomorrow = addDays(dateIn('UTC'), 1);
      for (const [query, field, message] of [
        ['as_of=2026-02-30', 'querystring.as_of', /real calendar day/],
        [`as_of=${tomorrow}`, 'querystring.as_of', /cannot be in the future/],
        ['as_of=yesterday', 'querystring.as_of', /real calendar day/],
        ['as_of=2026-1-5', 'querystring.as_of', /real calendar day/],
        ['limit=0', 'querystring.limit', /at least 1/],
        ['limit=501', 'querystring.limit', /at most 500/],
        ['limit=ten', 'querystring.limit', /must be a number/],
        ['cursor=bm90LWEtY3Vyc29y', 'cursor', /page link is not valid/],
        ['colour=red', 'querystring', /Unknown query parameter "colour"/],
      ] as const) {
        const refused = problem(await api(`/aging?${query}`), 400);
        assert.deepEqual(
          refused.errors?.map((error) => error.field),
          [field],
          query,
        );
        assert.match(refused.detail, message, query);
      }
      const account = problem(await api(`/accounts/${ids.late!}/aging?as_of=${tomorrow}`), 400);
      assert.deepEqual(account.errors?.map((error) => error.field), ['querystring.as_of']);
    });
  });
}
