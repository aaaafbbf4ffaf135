/**
 * Every route × every kind of caller, and the outcome each must get. A route
 * registered without a row here, or a row without its route, fails the test:
 * a new route cannot slip in without someone deciding who may use it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { createAccount } from '../../src/modules/accounts/accounts.service.js';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { formToken } from '../support/https-client.js';
import { addToken, addUser, cookieHeader, signInWith, type TestUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

type Caller = 'anonymous' | 'viewer' | 'clerk' | 'admin' | 'admin token' | 'viewer token';
const CALLERS: readonly Caller[] = ['anonymous', 'viewer', 'clerk', 'admin', 'admin token', 'viewer token'];

/**
 * ok: let through to the route (whatever it then answers: 200, 303, a 400 for the empty form);
 * sign-in: a page redirects to /login, a form post gets 401;
 * forbidden: 403; token: 401 with a Bearer challenge.
 */
type Outcome = 'ok' | 'sign-in' | 'forbidden' | 'token';

const everyone: Record<Caller, Outcome> = { anonymous: 'ok', viewer: 'ok', clerk: 'ok', admin: 'ok', 'admin token': 'ok', 'viewer token': 'ok' };
const signedIn: Record<Caller, Outcome> = { anonymous: 'sign-in', viewer: 'ok', clerk: 'ok', admin: 'ok', 'admin token': 'sign-in', 'viewer token': 'sign-in' };
const adminsOnly: Record<Caller, Outcome> = { anonymous: 'sign-in', viewer: 'forbidden', clerk: 'forbidden', admin: 'ok', 'admin token': 'sign-in', 'viewer token': 'sign-in' };
const clerksAndAdmins: Record<Caller, Outcome> = { anonymous: 'sign-in', viewer: 'forbidden', clerk: 'ok', admin: 'ok', 'admin token': 'sign-in', 'viewer token': 'sign-in' };
const anyToken: Record<Caller, Outcome> = { anonymous: 'token', viewer: 'token', clerk: 'token', admin: 'token', 'admin token': 'ok', 'viewer token': 'ok' };
const adminToken: Record<Caller, Outcome> = { anonymous: 'token', viewer: 'token', clerk: 'token', admin: 'token', 'admin token': 'ok', 'viewer token': 'forbidden' };
/** Account and payment writes through the API (accounts:write, payments:record): a clerk's or an admin's token; the viewer's is refused. */
const writerToken: Record<Caller, Outcome> = { anonymous: 'token', viewer: 'token', clerk: 'token', admin: 'token', 'admin token': 'ok', 'viewer token': 'forbidden' };

/**
 * Route (as registered) → the outcome for each caller. `:id` is filled with a throw-away user's or token's id,
 * `:acctid` with a throw-away account's id.
 */
const MATRIX: Readonly<Record<string, Record<Caller, Outcome>>> = {
  'GET /static/*': everyone,
  'GET /api/openapi.json': everyone,
  'GET /api/docs': everyone,
  'GET /api/docs/json': everyone,
  'GET /api/docs/config.json': everyone,
  'GET /api/docs/yaml': everyone,
  'GET /api/docs/static/index.html': everyone,
  'GET /api/docs/static/swagger-initializer.js': everyone,
  'GET /api/docs/static/*': everyone,
  'GET /api/docs/static/theme/contrast.css': everyone,
  'GET /api/docs/static/theme/viewport.js': everyone,
  'GET /healthz': everyone,
  'GET /readyz': everyone,
  'GET /login': everyone,
  'POST /login': everyone,
  'GET /': everyone,
  'POST /': everyone,
  // A customer's page from a signed link: anyone holding the link (its token is the authorization).
  'GET /s/:token': everyone,
  'GET /s/:token/statement.pdf': everyone,
  'POST /logout': signedIn,
  'GET /me': signedIn,
  'POST /me/password': signedIn,
  'POST /me/tokens': signedIn,
  'POST /me/tokens/:id/revoke': signedIn,
  'GET /admin/users': adminsOnly,
  'POST /admin/users': adminsOnly,
  'POST /admin/users/:id/role': adminsOnly,
  'POST /admin/users/:id/disable': adminsOnly,
  'POST /admin/users/:id/enable': adminsOnly,
  'POST /admin/users/:id/password': adminsOnly,
  'GET /admin/outbox': adminsOnly,
  'POST /admin/outbox/:id/retry': adminsOnly,
  'POST /admin/outbox/:id/cancel': adminsOnly,
  'POST /admin/outbox/retry-all': adminsOnly,
  'GET /admin/reminders': adminsOnly,
  'POST /accounts/:acctid/messages/reminder': clerksAndAdmins,
  'POST /accounts/:acctid/messages/statement': clerksAndAdmins,
  'POST /admin/reminders': adminsOnly,
  'GET /admin/audit': adminsOnly,
  'GET /admin/import': adminsOnly,
  'POST /admin/import': adminsOnly,
  'GET /admin/export': adminsOnly,
  'GET /dashboard': signedIn,
  'GET /receivables': signedIn,
  'GET /receivables.csv': signedIn,
  'GET /accounts': signedIn,
  'GET /accounts/new': clerksAndAdmins,
  'POST /accounts': clerksAndAdmins,
  'GET /accounts/:acctid': signedIn,
  'POST /accounts/:acctid/customer-link/revoke': clerksAndAdmins,
  'POST /accounts/:acctid/entries': clerksAndAdmins,
  'GET /accounts/:acctid/edit': clerksAndAdmins,
  'POST /accounts/:acctid': clerksAndAdmins,
  'POST /accounts/:acctid/close': clerksAndAdmins,
  'POST /accounts/:acctid/reopen': clerksAndAdmins,
  'GET /accounts/:acctid/statement.pdf': signedIn,
  'GET /api/v1/me': anyToken,
  'GET /api/v1/audit': adminToken,
  'GET /api/v1/summary': anyToken,
  'GET /api/v1/accounts': anyToken,
  'POST /api/v1/accounts': writerToken,
  'GET /api/v1/accounts/:acctid': anyToken,
  'PATCH /api/v1/accounts/:acctid': writerToken,
  'POST /api/v1/accounts/:acctid/close': writerToken,
  'POST /api/v1/accounts/:acctid/reopen': writerToken,
  'GET /api/v1/accounts/:acctid/entries': anyToken,
  'POST /api/v1/accounts/:acctid/entries': writerToken,
  'GET /api/v1/accounts/:acctid/aging': anyToken,
  'GET /api/v1/aging': anyToken,
  'GET /api/v1/accounts/:acctid/statement': anyToken,
};

/** A file that exists behind each static route, so the request reaches it. */
const STATIC_FILE: Readonly<Record<string, string>> = { 'GET /static/*': 'crm.css', 'GET /api/docs/static/*': 'swagger-ui.css' };

const FORM = 'application/x-www-form-urlencoded';

function outcomeOf(status: number, location: string | undefined, wwwAuthenticate: string | undefined): Outcome | `status ${number}` {
  // Sent to sign in (with the page to come back to); signing out also lands on /login, with ?signed_out.
  if (status === 303 && (location === '/login' || location?.startsWith('/login?next='))) return 'sign-in';
  if (status === 401) return wwwAuthenticate?.startsWith('Bearer') ? 'token' : 'sign-in';
  if (status === 403) return 'forbidden';
  if (status < 500) return 'ok';
  return `status ${status}`;
}

describe('authorization matrix', () => {
  let db: Kysely<Database>;
  let app: App;
  const users = {} as Record<'viewer' | 'clerk' | 'admin', TestUser>;
  const tokens = {} as Record<'admin token' | 'viewer token', string>;
  let victim: TestUser;
  const victimAccount = uniqueAcctId('M');

  before(async () => {
    const opened = await openTestDatabase(TEST_DATABASES[0]!);
    db = opened.db!;
    app = await testApp(db, { LOGIN_RATE_LIMIT: '0', LOOKUP_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
    for (const role of ['viewer', 'clerk', 'admin'] as const) users[role] = await addUser(db, role);
    tokens['admin token'] = await addToken(db, users.admin);
    tokens['viewer token'] = await addToken(db, users.viewer);
    victim = await addUser(db, 'viewer');
    await db.transaction().execute((trx) => createAccount(trx, CLI_ACTOR, { acctid: victimAccount, name: 'Matrix Account' }));
  });
  after(async () => {
    await app?.close();
    await db?.destroy();
  });

  /** The request a caller makes: its own cookie or token, and the form token its scope expects. */
  async function call(caller: Caller, method: string, url: string, publicScope: boolean) {
    const publicForm = await app.inject({ method: 'GET', url: '/login' });
    const cookies = [cookieHeader(publicForm.cookies)];
    let csrf = formToken(publicForm.body) ?? '';
    const headers: Record<string, string> = {};
    if (caller === 'viewer' || caller === 'clerk' || caller === 'admin') {
      // A fresh session per request: signing out or disabling in one cell cannot spoil the next.
      const { cookie } = await signInWith(app, users[caller].username, users[caller].password);
      cookies.push(cookie);
      if (!publicScope) csrf = formToken((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).body) ?? '';
    }
    if (caller === 'admin token' || caller === 'viewer token') headers.authorization = `Bearer ${tokens[caller]}`;
    headers.cookie = cookies.join('; ');
    if (method === 'GET') return app.inject({ method, url, headers });
    // The API takes JSON only: an empty object reaches the permission check (a form would get 415 first).
    if (url.startsWith('/api/')) return app.inject({ method: method as 'POST' | 'PATCH', url, headers: { ...headers, 'content-type': 'application/json' }, payload: '{}' });
    return app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': FORM }, payload: new URLSearchParams({ csrf_token: csrf }).toString() });
  }

  test('every registered route has a row in the matrix, and every row a route', () => {
    const registered = app.routeSummaries.map(({ method, url }) => `${method} ${url}`).sort();
    assert.deepEqual(registered, Object.keys(MATRIX).sort());
  });

  test('each caller gets the outcome its row says, on every route', async () => {
    const failures: string[] = [];
    let cells = 0;
    for (const [route, expected] of Object.entries(MATRIX)) {
      const [method = '', pattern = ''] = route.split(' ');
      const url = pattern.replace('*', STATIC_FILE[route] ?? '').replace(':id', String(victim.id)).replace(':acctid', victimAccount);
      const access = app.routeSummaries.find((r) => r.method === method && r.url === pattern)?.access;
      for (const caller of CALLERS) {
        const reply = await call(caller, method, url, access === 'public' || access === undefined);
        const got = outcomeOf(reply.statusCode, reply.headers.location, String(reply.headers['www-authenticate'] ?? ''));
        cells++;
        if (got !== expected[caller]) failures.push(`${route} as ${caller}: expected ${expected[caller]}, got ${got} (${reply.statusCode})`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(cells, Object.keys(MATRIX).length * CALLERS.length);
  });
});
