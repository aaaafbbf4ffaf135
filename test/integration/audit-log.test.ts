/** The audit log on each database: the page and GET /api/v1/audit, their filters and paging, and rows that exist exactly when their change does. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely, KyselyPlugin } from 'kysely';
import type { App } from '../../src/app.js';
import { CLI_ACTOR, recordAudit } from '../../src/modules/audit/audit.repository.js';
import { createUser, setDisabled } from '../../src/modules/staff/users.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { addToken, addUser, goodPassword, postStaffForm, signInWith, uniqueUsername } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

interface ApiEvent {
  id: number;
  at: string;
  actor: string;
  ip: string | null;
  requestId: string | null;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
}
interface ApiPage {
  events: ApiEvent[];
  next: string | null;
}

/** Every insert into audit_event fails: what a change does when its audit row cannot be written. */
const failingAuditInserts: KyselyPlugin = {
  transformQuery({ node }) {
    if (node.kind === 'InsertQueryNode' && JSON.stringify(node.into).includes('"audit_event"')) throw new Error('the audit log is unavailable');
    return node;
  },
  transformResult: ({ result }) => Promise.resolve(result),
};

/** The events a page shows, as its rows' times. */
const rowsOf = (body: string) => [...body.matchAll(/<tr><th scope="row"><time datetime="([^"]+)"/g)].map((match) => match[1]!);
const olderLink = (body: string) => /<a href="([^"]+)" rel="next">Older<\/a>/.exec(body)?.[1]?.replaceAll('&amp;', '&');

const at = (iso: string) => Date.parse(iso);

/** The page holds this exact text (markup included). */
function assertHas(body: string, text: string, message = `expected the page to contain ${text}`): void {
  assert.ok(body.includes(text), message);
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`the audit log on ${target.name}`, { skip: opened.skip ?? false }, () => {
    let db: Kysely<Database>;
    let app: App;
    let cookie: string;
    let adminToken: string;
    let viewerToken: string;

    before(async () => {
      db = opened.db!;
      app = await testApp(db, { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
      const admin = await addUser(db, 'admin');
      cookie = (await signInWith(app, admin.username, admin.password)).cookie;
      adminToken = await addToken(db, admin);
      viewerToken = await addToken(db, await addUser(db, 'viewer'));
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    const auditPage = (query = '') => app.inject({ method: 'GET', url: `/admin/audit${query}`, headers: { cookie } });
    const api = (query = '', token = adminToken) => app.inject({ method: 'GET', url: `/api/v1/audit${query}`, headers: { authorization: `Bearer ${token}` } });

    /** Four events of one new actor around the UTC day 2031-03-02, oldest first. */
    async function aroundOneDay(): Promise<string> {
      const actor = uniqueUsername('actor');
      const who = { name: actor, ip: '10.1.2.3', requestId: 'req-abc' };
      await recordAudit(db, who, { action: 'test.before_day', target: 'one' }, at('2031-03-01T23:59:59.999Z'));
      await recordAudit(db, who, { action: 'test.day_start', target: 'two', before: { n: 1 }, after: { n: 2 } }, at('2031-03-02T00:00:00.000Z'));
      await recordAudit(db, who, { action: 'test.day_end', target: 'three' }, at('2031-03-02T23:59:59.999Z'));
      await recordAudit(db, who, { action: 'test.after_day', target: 'four' }, at('2031-03-03T00:00:00.000Z'));
      return actor;
    }

    test('the page shows events newest first: time in UTC, actor, action, target, address, request id and the change as compact JSON', async () => {
      const actor = await aroundOneDay();
      const reply = await auditPage(`?actor=${actor}`);
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.match(reply.body, /<caption>Matching audit events, newest first<\/caption>/);
      assert.deepEqual(rowsOf(reply.body), ['2031-03-03T00:00:00.000Z', '2031-03-02T23:59:59.999Z', '2031-03-02T00:00:00.000Z', '2031-03-01T23:59:59.999Z']);
      assertHas(reply.body, `</time></th><td data-label="Actor">${actor}</td><td data-label="Action">test.day_start</td><td data-label="Target">two</td><td data-label="IP">10.1.2.3</td><td data-label="Request"><span class="request-id">req-abc</span></td><td data-label="Change"><dl class="diff"><dt>n</dt><dd><del>1</del> → <ins>2</ins></dd></dl></td>`);
      for (const id of ['actor', 'action', 'from', 'to']) assertHas(reply.body, `<label for="${id}">`, id);
      assert.match(reply.body, /<form method="get" action="\/admin\/audit">/);
      assert.doesNotMatch(reply.body, /rel="next"/, 'one page only');
    });

    test('filters by actor and by action, keeping the filters in the form', async () => {
      const actor = await aroundOneDay();
      const byAction = await auditPage(`?actor=${actor}&action=test.day_end`);
      assert.deepEqual(rowsOf(byAction.body), ['2031-03-02T23:59:59.999Z']);
      assert.match(byAction.body, /id="action" name="action" value="test.day_end"/);
      const nobody = await auditPage(`?actor=${uniqueUsername('nobody')}`);
      assert.deepEqual(rowsOf(nobody.body), []);
      assert.match(nobody.body, /No events match these filters\./);
    });

    test('from and to are whole UTC days: from includes 00:00 of its day, to includes its day up to the last millisecond', async () => {
      const actor = await aroundOneDay();
      const oneDay = await auditPage(`?actor=${actor}&from=2031-03-02&to=2031-03-02`);
      assert.equal(oneDay.statusCode, 200);
      assert.deepEqual(rowsOf(oneDay.body), ['2031-03-02T23:59:59.999Z', '2031-03-02T00:00:00.000Z']);
      assert.deepEqual(rowsOf((await auditPage(`?actor=${actor}&from=2031-03-03`)).body), ['2031-03-03T00:00:00.000Z']);
      assert.deepEqual(rowsOf((await auditPage(`?actor=${actor}&to=2031-03-01`)).body), ['2031-03-01T23:59:59.999Z']);
      const blanks = await auditPage(`?actor=${actor}&action=&from=&to=`);
      assert.equal(rowsOf(blanks.body).length, 4, 'empty fields filter nothing');
    });

    test('pages 50 events at a time; Older keeps the filters and continues below the last one shown', async () => {
      const actor = uniqueUsername('busy');
      for (let n = 0; n < 55; n++) await recordAudit(db, { name: actor }, { action: 'test.page', target: `n${n}` }, at('2031-05-01T00:00:00Z') + n);
      await recordAudit(db, { name: actor }, { action: 'test.other', target: 'not this one' }, at('2031-05-02T00:00:00Z'));
      const first = await auditPage(`?actor=${actor}&action=test.page&from=2031-05-01`);
      const firstRows = rowsOf(first.body);
      assert.equal(firstRows.length, 50);
      assert.equal(firstRows[0], new Date(at('2031-05-01T00:00:00Z') + 54).toISOString());
      const older = olderLink(first.body);
      assert.ok(older, 'an Older link');
      const params = new URL(older, 'https://x').searchParams;
      assert.equal(params.get('actor'), actor);
      assert.equal(params.get('action'), 'test.page');
      assert.equal(params.get('from'), '2031-05-01');
      assert.match(params.get('before') ?? '', /^\d+$/);

      const second = await auditPage(older.slice('/admin/audit'.length));
      const secondRows = rowsOf(second.body);
      assert.equal(secondRows.length, 5);
      assert.equal(secondRows.at(-1), new Date(at('2031-05-01T00:00:00Z')).toISOString());
      assert.equal(new Set([...firstRows, ...secondRows]).size, 55, 'no event twice, none missed');
      assert.equal(olderLink(second.body), undefined, 'the last page has no Older link');
      assert.match(second.body, /<a href="\/admin\/audit\?actor=[^"]+">Newest<\/a>/);
    });

    test('an invalid date gets 400 with the page, the message beside the field and the filters as typed; so does to before from', async () => {
      for (const [query, field, message] of [
        ['?from=2031-02-30', 'from', /The “from” date must be a real date/],
        ['?to=yesterday', 'to', /The “to” date must be a real date/],
        ['?from=2031-03-05&to=2031-03-01', 'to', /The “to” date is before the “from” date\./],
      ] as const) {
        const reply = await auditPage(`${query}&actor=someone`);
        assert.equal(reply.statusCode, 400, query);
        assert.match(reply.body, /<h1>Audit log<\/h1>/, query);
        assertHas(reply.body, `<a href="#${field}">`, query);
        assertHas(reply.body, `<p class="field-error" id="${field}-error">`, query);
        assert.match(reply.body, message, query);
        assert.match(reply.body, /id="actor" name="actor" value="someone"/, query);
        assert.doesNotMatch(reply.body, /<table>/, 'nothing looked up');
      }
      const badBefore = await auditPage('?before=abc');
      assert.equal(badBefore.statusCode, 400);
      assert.match(badBefore.body, /start again from the newest events/);
    });

    test('what the log holds is shown escaped, never as markup', async () => {
      const actor = uniqueUsername('xss');
      await recordAudit(db, { name: actor, requestId: '<i>id</i>' }, { action: 'test.escape', target: '<script>alert(1)</script>', after: { note: '"><img src=x>' } });
      const reply = await auditPage(`?actor=${actor}`);
      assert.ok(!reply.body.includes('<script>alert(1)'), 'target escaped');
      assert.ok(!reply.body.includes('<img src=x>'), 'JSON escaped');
      assert.ok(!reply.body.includes('<i>id</i>'), 'request id escaped');
      assert.match(reply.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    });

    test('GET /api/v1/audit returns events newest first, with a next link that keeps the filters, until null', async () => {
      const actor = uniqueUsername('api');
      for (let n = 0; n < 45; n++) await recordAudit(db, { name: actor, ip: '10.0.0.9', requestId: `r${n}` }, { action: 'test.api', target: `n${n}`, after: { n } });
      const seen: ApiEvent[] = [];
      let url: string | null = `/api/v1/audit?actor=${actor}&limit=20`;
      const nexts: (string | null)[] = [];
      while (url) {
        const reply: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${adminToken}` } });
        assert.equal(reply.statusCode, 200);
        assert.match(String(reply.headers['content-type']), /^application\/json/);
        const body = reply.json<ApiPage>();
        seen.push(...body.events);
        nexts.push(body.next);
        url = body.next;
      }
      assert.deepEqual(seen.map((event) => event.target), Array.from({ length: 45 }, (_, n) => `n${44 - n}`));
      assert.equal(nexts.length, 3);
      const firstNext = new URL(nexts[0]!, 'https://x');
      assert.equal(firstNext.pathname, '/api/v1/audit');
      assert.equal(firstNext.searchParams.get('actor'), actor);
      assert.equal(firstNext.searchParams.get('limit'), '20');
      assert.equal(Number(firstNext.searchParams.get('before')), seen[19]!.id);
      assert.equal(nexts[2], null);
      const [newest] = seen;
      assert.deepEqual({ ...newest, id: 0, at: '' }, { id: 0, at: '', actor, ip: '10.0.0.9', requestId: 'r44', action: 'test.api', target: 'n44', before: null, after: { n: 44 } });
      assert.match(newest!.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const defaults = (await api(`?actor=${actor}`)).json<ApiPage>();
      assert.equal(defaults.events.length, 45, 'the default limit is 50');
      assert.equal(defaults.next, null);
    });

    test('the API takes ISO 8601 dates (whole UTC days) and date-times (to exclusive)', async () => {
      const actor = await aroundOneDay();
      const targets = async (query: string) => (await api(`?actor=${actor}&${query}`)).json<ApiPage>().events.map((event) => event.target);
      assert.deepEqual(await targets('from=2031-03-02&to=2031-03-02'), ['three', 'two']);
      assert.deepEqual(await targets('from=2031-03-02T00:00:00Z&to=2031-03-03T00:00:00Z'), ['three', 'two']);
      assert.deepEqual(await targets(`from=${encodeURIComponent('2031-03-02T01:00:00+01:00')}&to=2031-03-02T23:59:59.999Z`), ['two']);
      assert.deepEqual(await targets('action=test.after_day'), ['four']);
    });

    test('a bad query gets 400 problem+json saying what is wrong', async () => {
      for (const [query, detail] of [
        ['?from=2031-02-30', /from must be an ISO 8601 date/],
        ['?to=tomorrow', /to must be an ISO 8601 date/],
        ['?from=2031-03-02&to=2031-03-01', /to must be later than from/],
        ['?limit=0', /limit must be a whole number from 1 to 200/],
        ['?limit=201', /limit must be a whole number from 1 to 200/],
        ['?limit=ten', /limit must be a whole number from 1 to 200/],
        ['?before=-5', /must be an event id/],
      ] as const) {
        const reply = await api(query);
        assert.equal(reply.statusCode, 400, query);
        assert.match(String(reply.headers['content-type']), /^application\/problem\+json/, query);
        assert.match(reply.json<{ detail: string }>().detail, detail, query);
      }
    });

    test("a viewer's token gets 403 and no token 401, both problem+json", async () => {
      const forbidden = await api('', viewerToken);
      assert.equal(forbidden.statusCode, 403);
      assert.match(String(forbidden.headers['content-type']), /^application\/problem\+json/);
      assert.doesNotMatch(forbidden.body, /"events"/);
      const anonymous = await app.inject({ method: 'GET', url: '/api/v1/audit' });
      assert.equal(anonymous.statusCode, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
    });

    test('audit rows are written in the same transaction as the change: a failing change leaves no audit row', async () => {
      const existing = await addUser(db, 'viewer');
      await assert.rejects(createUser(db, CLI_ACTOR, { username: existing.username, role: 'admin', password: goodPassword() }), { code: 'USERNAME_TAKEN' });
      const created = await db.selectFrom('audit_event').select('id').where('action', '=', 'user.created').where('target', '=', existing.username).execute();
      assert.equal(created.length, 1, 'only the first creation');

      const user = await addUser(db, 'clerk');
      const { cookie: userCookie } = await signInWith(app, user.username, user.password);
      const weak = await postStaffForm(app, userCookie, '/me/password', { current_password: user.password, new_password: 'short', confirm_password: 'short' });
      assert.equal(weak.statusCode, 400);
      const changed = await db.selectFrom('audit_event').select('id').where('action', '=', 'user.password_changed').where('target', '=', user.username).execute();
      assert.equal(changed.length, 0);
    });

    test('and the other way round: when the audit row cannot be written, the change is not made', async () => {
      const broken = db.withPlugin(failingAuditInserts);
      const username = uniqueUsername('unaudited');
      await assert.rejects(createUser(broken, CLI_ACTOR, { username, role: 'viewer', password: goodPassword() }), /the audit log is unavailable/);
      assert.equal((await db.selectFrom('staff_user').select('id').where('username', '=', username).execute()).length, 0, 'no user without its audit row');

      const user = await addUser(db, 'clerk');
      await assert.rejects(setDisabled(broken, CLI_ACTOR, user.id, true), /the audit log is unavailable/);
      const row = await db.selectFrom('staff_user').select('disabled').where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.disabled), 0, 'still enabled');
    });
  });
}
