/**
 * The customer link on each database, through inject: the page opens without
 * a session and shows that account only; a changed, revoked or expired link
 * shows nothing of any account (404, 410); no-store and noindex; every
 * opening audited; the statement PDF; the per-address limit; revoking.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { customerLinkFor, isRevoked, linksRevokedAt, revokeCustomerLinks } from '../../src/modules/customer-link/index.js';
import { recordEntry, type NewEntry } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { addDays, dateIn } from '../../src/shared/dates.js';
import { cents } from '../../src/shared/money.js';
import { TEST_SECRET, testApp } from '../support/app.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const DAY = 86_400_000;
const COMPANY = { COMPANY_NAME: 'Linkshire Supplies', COMPANY_ADDRESS: '1 Main Street|Springfield', PUBLIC_BASE_URL: 'https://billing.example.com', LOGIN_RATE_LIMIT: '0', STAFF_RATE_LIMIT: '0' };

/** The path of a link (inject takes paths). */
function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** Opens a link as a customer would: no cookie, no session. */
function linkFor(acctid: string, { now = Date.now(), days = 30, secret = TEST_SECRET } = {}): string {
  return pathOf(customerLinkFor({ secret, baseUrl: 'https://crm.example.com', acctid, now, days }));
}

const actor = { name: 'customer-link-test', ip: '127.0.0.1', requestId: 'req-customer-link' };

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the customer link on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { ...COMPANY, LOOKUP_RATE_LIMIT: '0' });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const open = (path: string, on = app) => on.inject({ method: 'GET', url: path, remoteAddress: '192.0.2.10' });
    const record = (acctid: string, entry: Omit<NewEntry, 'acctid' | 'amountCents' | 'memo'> & { amountCents: number }) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { memo: '', ...entry, acctid, amountCents: cents(entry.amountCents) }, { timeZone: 'UTC' }));
    const auditOf = (acctid: string, action: string) =>
      db.selectFrom('audit_event').select(['actor', 'ip', 'request_id', 'after_json']).where('target', '=', acctid).where('action', '=', action).orderBy('id').execute();

    function assertShowsNothing(body: string, ...secrets: string[]): void {
      for (const text of secrets) assert.ok(!body.includes(text), `the page must not show ${text}`);
    }

    function assertPrivate(reply: { headers: Record<string, unknown> }): void {
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.equal(reply.headers['x-robots-tag'], 'noindex');
    }

    async function account(name = 'Linked Customer'): Promise<string> {
      const acctid = uniqueAcctId('LNK');
      await db.transaction().execute((trx) => createAccount(trx, actor, { acctid, name }));
      return acctid;
    }

    test('revoking refuses every link made until then, is audited, and never moves back in time', async () => {
      const acctid = await account();
      assert.equal(await linksRevokedAt(db, acctid), null);
      const at = Date.now();
      await db.transaction().execute((trx) => revokeCustomerLinks(trx, actor, acctid, at));
      assert.equal(await linksRevokedAt(db, acctid), at);
      assert.ok(isRevoked(at - 1000, await linksRevokedAt(db, acctid)));
      assert.ok(!isRevoked(at + 1, await linksRevokedAt(db, acctid)));
      // A second revocation from a clock that is behind keeps the later time.
      await db.transaction().execute((trx) => revokeCustomerLinks(trx, { ...actor, name: 'second' }, acctid, at - 5000));
      assert.equal(await linksRevokedAt(db, acctid), at);
      const audit = await db.selectFrom('audit_event').select(['actor', 'action', 'target', 'after_json']).where('target', '=', acctid).where('action', '=', 'customer_link.revoked').orderBy('id').execute();
      assert.deepEqual(
        audit.map((row) => [row.actor, row.action, row.target, JSON.parse(row.after_json ?? 'null') as unknown]),
        [
          [actor.name, 'customer_link.revoked', acctid, { links_made_until: new Date(at).toISOString() }],
          ['second', 'customer_link.revoked', acctid, { links_made_until: new Date(at).toISOString() }],
        ],
      );
    });

    test('a link opens its account without a session: name, id, balance, open invoices with days late, the aging box and the statement', async () => {
      const today = dateIn('UTC');
      const acctid = await account('Ada Customer & Co');
      const other = await account('Someone Else Entirely');
      await record(acctid, { kind: 'charge', amountCents: 12_000, effectiveOn: addDays(today, -70), dueOn: addDays(today, -40), reference: 'INV-LATE' });
      await record(acctid, { kind: 'charge', amountCents: 5_050, effectiveOn: today, dueOn: addDays(today, 30), reference: 'INV-NEW' });
      await record(acctid, { kind: 'payment', amountCents: 2_000, effectiveOn: today });
      await record(other, { kind: 'charge', amountCents: 99_900, effectiveOn: today, reference: 'INV-OTHER' });

      const link = linkFor(acctid);
      assert.match(link, /^\/s\/v1\./);
      const reply = await open(link);
      assert.equal(reply.statusCode, 200);
      assert.match(String(reply.headers['content-type']), /^text\/html/);
      assertPrivate(reply);
      assert.equal(reply.cookies.length, 0, 'no session or cookie is needed or made');
      const body = reply.body;
      assert.ok(body.includes('<meta name="robots" content="noindex">'));
      assert.ok(body.includes('<h1>Ada Customer &amp; Co</h1>'), 'the name, escaped');
      assert.ok(body.includes(`Account ${acctid}`));
      assert.ok(body.includes('<strong>150.50 USD</strong>'), 'the balance: 120.00 + 50.50 - 20.00');
      assert.ok(body.includes('<strong class="late-amount">100.00 USD</strong>'), 'overdue: what is left of the late invoice');
      assert.ok(body.includes('<th scope="row">INV-LATE</th>') && body.includes('40 days late'));
      assert.ok(body.includes('<th scope="row">INV-NEW</th>') && body.includes('Due in 30 days'));
      assert.match(body, /<dt>31–60 days<span class="visually-hidden">[^<]*<\/span><\/dt><dd class="late-amount">100\.00<\/dd>/);
      assert.match(body, /<dt>Current<span class="visually-hidden">[^<]*<\/span><\/dt><dd>50\.50<\/dd>/);
      assert.ok(body.includes(`href="${link}/statement.pdf"`));
      assert.ok(body.includes('Linkshire Supplies') && body.includes('1 Main Street'), "the company's name and address");
      assert.ok(!body.includes('Sign out') && !body.includes('aria-label="Main"'), 'no staff navigation');
      assertShowsNothing(body, other, 'Someone Else Entirely', 'INV-OTHER', '999.00');

      const [opening] = await auditOf(acctid, 'customer_link.opened');
      assert.equal(opening?.actor, 'customer');
      assert.equal(opening?.ip, '192.0.2.10');
      assert.match(opening?.request_id ?? '', /^[0-9a-f-]{36}$/, 'the request id');
    });

    test('the statement PDF downloads through the link, audited', async () => {
      const acctid = await account('Pdf Customer');
      await record(acctid, { kind: 'charge', amountCents: 4_200, effectiveOn: dateIn('UTC'), reference: 'INV-PDF' });
      const reply = await open(`${linkFor(acctid)}/statement.pdf`);
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.headers['content-type'], 'application/pdf');
      assert.equal(reply.headers['content-disposition'], `attachment; filename="statement-${acctid}-${dateIn('UTC')}.pdf"`);
      assertPrivate(reply);
      assert.equal(reply.rawPayload.subarray(0, 5).toString(), '%PDF-');
      assert.equal((await auditOf(acctid, 'customer_link.statement_downloaded')).length, 1);
    });

    test('a changed character, another secret, or a made-up token: 404 naming no account', async () => {
      const acctid = await account('Tamper Target');
      const link = linkFor(acctid);
      const last = link.at(-1) === 'A' ? 'B' : 'A';
      const attempts = [
        `${link.slice(0, -1)}${last}`,
        link.replace('/s/v1.', '/s/v1.A'),
        linkFor(acctid, { secret: 'another-secret-0123456789abcdef-0123456' }),
        '/s/ACCT100',
        `/s/${'x'.repeat(99)}`,
        `${link.slice(0, -1)}${last}/statement.pdf`,
      ];
      for (const path of attempts) {
        const reply = await open(path);
        assert.equal(reply.statusCode, 404, path);
        assertPrivate(reply);
        assert.ok(reply.body.includes('This link does not work'), path);
        assert.ok(reply.body.includes('<meta name="robots" content="noindex">'));
        assertShowsNothing(reply.body, acctid, 'Tamper Target');
      }
      assert.equal((await auditOf(acctid, 'customer_link.opened')).length, 0);
    });

    test('a HEAD (a link checker) is answered like the page but is not audited as an opening', async () => {
      const acctid = await account('Checked Link');
      const link = linkFor(acctid);
      for (const path of [link, `${link}/statement.pdf`]) {
        const reply = await app.inject({ method: 'HEAD', url: path, remoteAddress: '192.0.2.10' });
        assert.equal(reply.statusCode, 200, path);
        assertPrivate(reply);
      }
      assert.equal((await auditOf(acctid, 'customer_link.opened')).length, 0);
      assert.equal((await auditOf(acctid, 'customer_link.statement_downloaded')).length, 0);
      assert.equal((await open(link)).statusCode, 200);
      assert.equal((await auditOf(acctid, 'customer_link.opened')).length, 1);
    });

    test('the longest account id makes a link the router takes', async () => {
      const acctid = `L${uniqueAcctId('').padEnd(14, '0')}`.slice(0, 15);
      await db.transaction().execute((trx) => createAccount(trx, actor, { acctid, name: 'Long Id' }));
      assert.equal(acctid.length, 15);
      assert.equal((await open(linkFor(acctid))).statusCode, 200);
    });

    test('an expired link: 410 with a kind message and nothing of the account, audited', async () => {
      const acctid = await account('Expired Customer');
      const reply = await open(linkFor(acctid, { now: Date.now() - 31 * DAY, days: 30 }));
      assert.equal(reply.statusCode, 410);
      assertPrivate(reply);
      assert.ok(reply.body.includes('This link has expired'));
      assertShowsNothing(reply.body, acctid, 'Expired Customer');
      assert.deepEqual((await auditOf(acctid, 'customer_link.refused')).map((row) => JSON.parse(row.after_json ?? '{}') as unknown), [{ reason: 'expired', opening: 'page' }]);
      assert.equal((await open(linkFor(acctid, { now: Date.now() - 29 * DAY, days: 30 }))).statusCode, 200, 'within its days it opens');
    });

    test('a revoked link shows the same 404 as a forged one; a link made afterwards opens', async () => {
      const acctid = await account('Revoked Customer');
      const link = linkFor(acctid, { now: Date.now() - 1000 });
      assert.equal((await open(link)).statusCode, 200);
      await db.transaction().execute((trx) => revokeCustomerLinks(trx, actor, acctid, Date.now()));
      for (const path of [link, `${link}/statement.pdf`]) {
        const reply = await open(path);
        assert.equal(reply.statusCode, 404, path);
        assertPrivate(reply);
        assert.ok(reply.body.includes('This link does not work'));
        assertShowsNothing(reply.body, acctid, 'Revoked Customer');
      }
      assert.deepEqual(
        (await auditOf(acctid, 'customer_link.refused')).map((row) => JSON.parse(row.after_json ?? '{}') as unknown),
        [
          { reason: 'revoked', opening: 'page' },
          { reason: 'revoked', opening: 'statement' },
        ],
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal((await open(linkFor(acctid))).statusCode, 200);
    });

    test('openings are limited per address: 429 with Retry-After, still private', async () => {
      const limited = await testApp(db, { ...COMPANY, LOOKUP_RATE_LIMIT: '2' });
      try {
        const acctid = await account('Limited Customer');
        const link = linkFor(acctid);
        assert.equal((await open(link, limited)).statusCode, 200);
        assert.equal((await open(link, limited)).statusCode, 200);
        const refused = await open(link, limited);
        assert.equal(refused.statusCode, 429);
        assert.ok(Number(refused.headers['retry-after']) > 0);
        assertPrivate(refused);
        assertShowsNothing(refused.body, acctid, 'Limited Customer');
        const elsewhere = await limited.inject({ method: 'GET', url: link, remoteAddress: '192.0.2.99' });
        assert.equal(elsewhere.statusCode, 200, 'another address has its own count');
        assert.equal((await auditOf(acctid, 'customer_link.opened')).length, 3);
      } finally {
        await limited.close();
      }
    });

    test('the public lookup at / stays as it is', async () => {
      const reply = await app.inject({ method: 'GET', url: '/' });
      assert.equal(reply.statusCode, 200);
      assert.ok(reply.body.includes('<h1>Account lookup</h1>'));
      assert.ok(!reply.body.includes('noindex'));
      assert.equal(reply.headers['x-robots-tag'], undefined);
    });

    test("the account page shows clerks a link to copy that opens the customer's page, and a revoke button; viewers see neither", async () => {
      const acctid = await account('Staff Shown Customer');
      const clerk = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, clerk.username, clerk.password);
      const page = await app.inject({ method: 'GET', url: `/accounts/${acctid}`, headers: { cookie } });
      assert.equal(page.statusCode, 200);
      const shown = /<input type="text" id="customer-link" value="([^"]+)" readonly/.exec(page.body)?.[1];
      assert.ok(shown?.startsWith('https://billing.example.com/s/v1.'), `a link under PUBLIC_BASE_URL, got ${shown}`);
      assert.ok(page.body.includes(`action="/accounts/${acctid}/customer-link/revoke"`));
      const customer = await open(pathOf(shown ?? ''));
      assert.equal(customer.statusCode, 200);
      assert.ok(customer.body.includes('Staff Shown Customer'));

      const viewer = await addUser(db, 'viewer');
      const viewerPage = await app.inject({ method: 'GET', url: `/accounts/${acctid}`, headers: { cookie: (await signInWith(app, viewer.username, viewer.password)).cookie } });
      assert.equal(viewerPage.statusCode, 200);
      assert.ok(!viewerPage.body.includes('customer-link'), 'no link, no revoke for a viewer');
    });

    test('a clerk revokes from the account page: every earlier link shows nothing, audited with the clerk, the page says so and shows a new link', async () => {
      const acctid = await account('Staff Revoked Customer');
      const earlier = linkFor(acctid, { now: Date.now() - 1000 });
      const clerk = await addUser(db, 'clerk');
      const { cookie } = await signInWith(app, clerk.username, clerk.password);
      const revoked = await postStaffForm(app, cookie, `/accounts/${acctid}/customer-link/revoke`, {});
      assert.equal(revoked.statusCode, 303);
      assert.equal(revoked.headers.location, `/accounts/${acctid}?done=links-revoked#customer-link-heading`);
      assert.equal((await open(earlier)).statusCode, 404);
      const [audit] = await auditOf(acctid, 'customer_link.revoked');
      assert.equal(audit?.actor, clerk.username);
      const page = await app.inject({ method: 'GET', url: `/accounts/${acctid}?done=links-revoked`, headers: { cookie } });
      assert.ok(page.body.includes('Every customer link of this account made until now was revoked.'));
      assert.ok(page.body.includes('Links were last revoked'));
      const fresh = /id="customer-link" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      assert.equal((await open(pathOf(fresh))).statusCode, 200, 'the link shown after revoking works');
      const missing = await postStaffForm(app, cookie, `/accounts/${uniqueAcctId('NONE')}/customer-link/revoke`, {});
      assert.equal(missing.statusCode, 404);
    });
  });
}
