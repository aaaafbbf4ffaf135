/**
 * The account search at the service, on each database: every sort in both
 * directions walks its matches in order, page by page, whether a word's few
 * matches are sorted whole or a common word is read along an index; pages
 * that stop at the read bound continue where they stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { accountSearchQuery, searchAccounts, type ScanBounds } from '../../src/modules/accounts/account-search.js';
import { createAccounts, setAccountClosed, updateAccount } from '../../src/modules/accounts/accounts.service.js';
import { recordEntry } from '../../src/modules/ledger/ledger.service.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';
import { cents } from '../../src/shared/money.js';

const actor = { name: 'search-test', ip: '127.0.0.1', requestId: 'req-search' };
/** The matches sorted whole (the usual way for a rare word). */
const WHOLE: ScanBounds = {};
/** The word counted as common: read along the index of the sort, its matches never sorted. */
const IN_ORDER: ScanBounds = { sortWholeUpTo: 0 };

/** A word of letters no other test's names hold. */
function uniqueWord(): string {
  return `q${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

interface Walked {
  readonly ids: string[];
  readonly pages: { size: number; stoppedEarly: boolean }[];
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`account search on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    before(() => {
      db = opened.db!;
    });
    after(async () => db?.destroy());

    /** Every page of a search, following nextCursor to the end. */
    async function walk(query: Record<string, string>, bounds: ScanBounds): Promise<Walked> {
      const walked: Walked = { ids: [], pages: [] };
      let cursor: string | undefined;
      do {
        const search = accountSearchQuery.parse({ ...query, ...(cursor === undefined ? {} : { cursor }) });
        const page = await searchAccounts(db, search, bounds);
        walked.ids.push(...page.accounts.map((account) => account.acctid));
        walked.pages.push({ size: page.accounts.length, stoppedEarly: page.stoppedEarly });
        cursor = page.nextCursor ?? undefined;
        assert.ok(walked.pages.length < 10_000, 'the walk ends');
      } while (cursor !== undefined);
      return walked;
    }

    /** Seven accounts named `<word> <name>` with these balances (two share a name, two a balance: ties go by id). */
    async function accountsOf(word: string) {
      const made = [
        { name: 'Müller', balance: 500 },
        { name: 'adams', balance: -250 },
        { name: 'Zoë', balance: 0 },
        { name: 'Émile', balance: 500 },
        { name: 'brown', balance: 12_000 },
        { name: 'Müller', balance: -9_000 },
        { name: 'carter', balance: 1 },
      ].map(({ name, balance }) => ({ acctid: uniqueAcctId('S'), name: `${word} ${name}`, balance }));
      await db.transaction().execute((trx) =>
        createAccounts(
          trx,
          actor,
          made.map(({ acctid, name, balance }) => ({ acctid, name, openingDueCents: cents(Math.max(balance, 0)), openingPaidCents: cents(Math.max(-balance, 0)) })),
        ),
      );
      return made;
    }

    const sortName = (name: string) => name.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
    const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

    test('each sort, in either direction, pages through every match once and in order, sorted whole or read along an index', async () => {
      const word = uniqueWord();
      const made = await accountsOf(word);
      const orders = {
        acctid: [...made].sort((a, b) => byId(a.acctid, b.acctid)),
        name: [...made].sort((a, b) => byId(sortName(a.name), sortName(b.name)) || byId(a.acctid, b.acctid)),
        balance: [...made].sort((a, b) => a.balance - b.balance || byId(a.acctid, b.acctid)),
      };
      for (const bounds of [WHOLE, IN_ORDER]) {
        for (const [sort, ascending] of Object.entries(orders)) {
          const expected = ascending.map((account) => account.acctid);
          for (const dir of ['asc', 'desc'] as const) {
            const walked = await walk({ q: word, sort, dir, limit: '2' }, bounds);
            const what = `${sort} ${dir}, ${bounds === WHOLE ? 'sorted whole' : 'in index order'}`;
            assert.deepEqual(walked.ids, dir === 'asc' ? expected : [...expected].reverse(), what);
            assert.ok(walked.pages.every((page) => !page.stoppedEarly && page.size <= 2), `${what}: full pages`);
            assert.deepEqual(walked.pages.map((page) => page.size).slice(0, 3), [2, 2, 2], `${what}: full pages`);
          }
        }
      }
    });

    test('filters and further words keep the order; balance filters read by balance are a range', async () => {
      const word = uniqueWord();
      const made = await accountsOf(word);
      const closed = made[6]!.acctid;
      await db.transaction().execute((trx) => setAccountClosed(trx, actor, closed, true));
      const ids = (pick: (account: (typeof made)[number]) => boolean, order: (typeof made)[number][]) => order.filter(pick).map((account) => account.acctid);
      const byBalance = [...made].sort((a, b) => a.balance - b.balance || byId(a.acctid, b.acctid));
      const byName = [...made].sort((a, b) => byId(sortName(a.name), sortName(b.name)) || byId(a.acctid, b.acctid));
      for (const bounds of [WHOLE, IN_ORDER]) {
        assert.deepEqual((await walk({ q: word, filter: 'owing', sort: 'balance', limit: '2' }, bounds)).ids, ids((a) => a.balance > 0, byBalance));
        assert.deepEqual((await walk({ q: word, filter: 'overpaid', sort: 'balance', dir: 'desc', limit: '1' }, bounds)).ids, ids((a) => a.balance < 0, byBalance).reverse());
        assert.deepEqual((await walk({ q: word, filter: 'settled', sort: 'name', limit: '2' }, bounds)).ids, ids((a) => a.balance === 0, byName));
        assert.deepEqual((await walk({ q: word, filter: 'open', sort: 'name', dir: 'desc', limit: '2' }, bounds)).ids, ids((a) => a.acctid !== closed, byName).reverse());
        assert.deepEqual((await walk({ q: `${word} mull`, sort: 'balance', limit: '1' }, bounds)).ids, ids((a) => a.name.endsWith('Müller'), byBalance));
        assert.deepEqual((await walk({ q: `mull ${word}`, sort: 'name', limit: '1' }, bounds)).ids, ids((a) => a.name.endsWith('Müller'), byName));
      }
    });

    test('a page stops at the read bound with a cursor where it stopped: the walk finds exactly the matches, in order', async () => {
      const word = uniqueWord();
      const made = await accountsOf(word);
      const closed = [made[1]!.acctid, made[5]!.acctid].sort(byId);
      for (const acctid of closed) await db.transaction().execute((trx) => setAccountClosed(trx, actor, acctid, true));
      const walked = await walk({ q: word, filter: 'closed', limit: '1' }, { sortWholeUpTo: 0, readUpTo: 2 });
      assert.deepEqual(walked.ids, closed);
      assert.ok(walked.pages.some((page) => page.stoppedEarly && page.size === 0), 'some pages read their bound and found nothing');
      const found = await walk({ q: word, filter: 'closed', limit: '1' }, WHOLE);
      assert.deepEqual(found.ids, closed, 'sorted whole: the same accounts');
      assert.ok(found.pages.every((page) => !page.stoppedEarly));
    });

    test('name order follows a rename, balance order follows the ledger, when read along an index', async () => {
      const word = uniqueWord();
      const made = await accountsOf(word);
      const adams = made[1]!.acctid;
      await db.transaction().execute((trx) => updateAccount(trx, actor, adams, { name: `${word} Zz Last` }));
      const byName = await walk({ q: word, sort: 'name', limit: '3' }, IN_ORDER);
      assert.equal(byName.ids.at(-1), adams, 'renamed last');
      const zoe = made[2]!.acctid;
      await db.transaction().execute((trx) => recordEntry(trx, actor, { acctid: zoe, kind: 'charge', amountCents: cents(99_999), memo: '' }));
      const byBalance = await walk({ q: word, sort: 'balance', dir: 'desc', limit: '3' }, IN_ORDER);
      assert.equal(byBalance.ids[0], zoe, 'charged most: first by balance, largest first');
    });
  });
}
