/**
 * Forged requests against signing in and out, and the lockout.
 *
 * POST /login: every forgery carries the user's right password, so a forgery
 * that got through would start a session; each is refused (403 for the CSRF
 * and origin checks, 415 for a body that is not a urlencoded form, before the
 * CSRF check), sets no session cookie, and the user has no session after all
 * of them. POST /logout: without the session's own token (or cross-site) it is
 * refused and the session goes on. The lockout: after LOGIN_LOCKOUT_THRESHOLD
 * wrong passwords even the right one is refused with the same page, and the
 * audit log says the account was locked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { SIGN_IN_FAILED } from '../../src/modules/staff/login.views.js';
import type { Database } from '../../src/schema.js';
import { Browser, formToken, setCookies, type Reply } from '../support/https-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { startServer } from '../support/server-process.js';
import { addUser, type TestUser } from '../support/staff.js';
import { leakIn, refusalProblem, serverDatabase } from './support.js';

const SESSION_COOKIE = '__Host-crm-session';
const FORM = 'application/x-www-form-urlencoded';
const LOCKOUT_THRESHOLD = 3;
const LOCKOUT_SECONDS = 60;

let server: ServerProcess;
let db: Kysely<Database>;
before(async () => {
  server = await startServer({
    // The lookup is a staff page: GET / is where a signed-in browser reads its session's form token.
    CRM_PUBLIC_LOOKUP: 'false',
    LOGIN_RATE_LIMIT: '100000',
    LOGIN_LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD),
    LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
  });
  db = await serverDatabase(server);
});
after(async () => {
  await db?.destroy();
  await server?.cleanup();
});

const browser = () => new Browser(server.baseUrl, server.caFile);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const sessionCookieIn = (reply: Reply) => setCookies(reply).find((cookie) => cookie.name === SESSION_COOKIE && cookie.value !== '');
const sessionsOf = async (user: TestUser) => (await db.selectFrom('staff_session').select('id_hash').where('user_id', '=', user.id).execute()).length;
const auditCount = async (action: string, target: string) =>
  (await db.selectFrom('audit_event').select('id').where('action', '=', action).where('target', '=', target).execute()).length;

/** The page with what differs per request and per visitor (the form token, the echoed user name) blanked. */
function normalized(body: string): string {
  return body.replace(/(name="csrf_token" value=")[^"]*"/g, '$1TOKEN"').replace(/(name="username" value=")[^"]*"/g, '$1NAME"');
}

function assertRefusal(reply: Reply, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: expected ${status}, got ${reply.status}: ${reply.body.slice(0, 300)}`);
  assert.equal(sessionCookieIn(reply), undefined, `${what}: a session cookie was set`);
  assert.equal(refusalProblem(String(reply.headers['content-type'] ?? ''), reply.body), undefined, `${what}: the refusal explains itself`);
  assert.equal(leakIn(reply.body), undefined, `${what}: ${String(leakIn(reply.body))}`);
}

interface Forgery {
  readonly name: string;
  readonly status: 403 | 415;
  readonly send: (user: TestUser) => Promise<Reply>;
}

/** A visitor who has opened the sign-in page: its CSRF cookie is set and `token` is its form's token. */
async function visitor() {
  const visiting = browser();
  const { token } = await visiting.openLoginPage();
  return { browser: visiting, token };
}

const post = (from: Browser, contentType: string, body: string, headers: Record<string, string> = {}) =>
  from.request('/login', { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });

const credentials = (user: TestUser) => ({ username: user.username, password: user.password });

const loginForgeries: readonly Forgery[] = [
  {
    name: 'no token',
    status: 403,
    send: async (user) => {
      const { browser: from } = await visitor();
      return post(from, FORM, form(credentials(user)));
    },
  },
  {
    name: 'a wrong token',
    status: 403,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: `${token.slice(0, -4)}AAAA` }));
    },
  },
  {
    name: "another visitor's token (login CSRF: the attacker's own page's token)",
    status: 403,
    send: async (user) => {
      const { browser: from } = await visitor();
      const { token: theirs } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: theirs }));
    },
  },
  {
    name: 'a token without its cookie',
    status: 403,
    send: async (user) => {
      const { token } = await visitor();
      return post(browser(), FORM, form({ ...credentials(user), csrf_token: token }));
    },
  },
  {
    name: 'a cross-site Origin (with a valid cookie and token)',
    status: 403,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: token }), { origin: 'https://evil.example' });
    },
  },
  {
    name: 'Origin: null (a sandboxed frame)',
    status: 403,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: token }), { origin: 'null' });
    },
  },
  {
    name: 'a cross-site Referer',
    status: 403,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: token }), { referer: 'https://evil.example/login.html' });
    },
  },
  {
    name: 'Sec-Fetch-Site: cross-site',
    status: 403,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, FORM, form({ ...credentials(user), csrf_token: token }), { 'sec-fetch-site': 'cross-site' });
    },
  },
  {
    name: 'a JSON body with a valid cookie and token',
    status: 415,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, 'application/json', JSON.stringify({ ...credentials(user), csrf_token: token }));
    },
  },
  {
    name: 'a JSON body without a token (415, not 403: the type is checked first)',
    status: 415,
    send: async (user) => {
      const { browser: from } = await visitor();
      return post(from, 'application/json', JSON.stringify(credentials(user)));
    },
  },
  {
    name: 'a text/plain body (a cross-site form with enctype=text/plain) with a valid cookie and token',
    status: 415,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      return post(from, 'text/plain', form({ ...credentials(user), csrf_token: token }));
    },
  },
  {
    name: 'a multipart/form-data body with a valid cookie and token',
    status: 415,
    send: async (user) => {
      const { browser: from, token } = await visitor();
      const boundary = '----crmattack';
      const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const body = `${part('username', user.username)}${part('password', user.password)}${part('csrf_token', token)}--${boundary}--\r\n`;
      return post(from, `multipart/form-data; boundary=${boundary}`, body);
    },
  },
];

describe('forged requests against POST /login (each with the right password)', () => {
  let user: TestUser;
  let refusedBefore: number;
  before(async () => {
    user = await addUser(db, 'viewer');
    refusedBefore = await auditCount('form.refused', 'POST /login');
  });

  for (const forgery of loginForgeries) {
    test(`${forgery.name}: ${forgery.status} and no session`, async () => {
      const reply = await forgery.send(user);
      assertRefusal(reply, forgery.status, forgery.name);
      if (forgery.status === 415) assert.match(reply.body, /x-www-form-urlencoded/, 'the 415 says which type the form takes');
    });
  }

  test('after all of them the user has no session, every 403 is in the audit log as a refused form, and the real form still signs in', async () => {
    assert.equal(await sessionsOf(user), 0, 'a forgery started a session');
    assert.equal(await auditCount('session.signed_in', user.username), 0);
    const forbidden = loginForgeries.filter((forgery) => forgery.status === 403).length;
    assert.equal(await auditCount('form.refused', 'POST /login'), refusedBefore + forbidden, 'each 403 is audited as form.refused');

    const control = await browser().signIn(user.username, user.password);
    assert.equal(control.status, 303, control.body.slice(0, 300));
    assert.ok(sessionCookieIn(control), 'the control sign-in gets a session');
  });
});

describe('forged requests against POST /logout', () => {
  let user: TestUser;
  let victim: Browser;
  let token: string;

  /** The victim's session still opens a staff page. */
  async function stillSignedIn(what: string) {
    const page = await victim.request('/');
    assert.equal(page.status, 200, `${what}: the session ended (GET / answered ${page.status} ${String(page.headers.location ?? '')})`);
  }

  before(async () => {
    user = await addUser(db, 'viewer');
    victim = browser();
    const signedIn = await victim.signIn(user.username, user.password);
    assert.equal(signedIn.status, 303);
    const page = await victim.request('/');
    assert.equal(page.status, 200);
    token = formToken(page.body) ?? '';
    assert.notEqual(token, '', 'the staff page carries the session’s form token');
  });

  const logoutForgeries: ReadonlyArray<{ name: string; status: number; send: () => Promise<Reply> }> = [
    { name: 'no token', status: 403, send: () => victim.postFormTo('/logout', {}) },
    { name: 'a wrong token', status: 403, send: () => victim.postFormTo('/logout', { csrf_token: `${token.slice(0, -4)}AAAA` }) },
    {
      name: "another session's token",
      status: 403,
      send: async () => {
        const attacker = browser();
        assert.equal((await attacker.signIn(user.username, user.password)).status, 303);
        const theirs = formToken((await attacker.request('/')).body) ?? '';
        return victim.postFormTo('/logout', { csrf_token: theirs });
      },
    },
    {
      name: "the sign-in page's token (the cookie-bound public token is not the session's)",
      status: 403,
      send: async () => {
        const { token: publicToken } = await victim.openLoginPage();
        return victim.postFormTo('/logout', { csrf_token: publicToken });
      },
    },
    { name: 'a cross-site Origin with the right token', status: 403, send: () => victim.postFormTo('/logout', { csrf_token: token }, { origin: 'https://evil.example' }) },
    { name: 'Sec-Fetch-Site: cross-site with the right token', status: 403, send: () => victim.postFormTo('/logout', { csrf_token: token }, { 'sec-fetch-site': 'cross-site' }) },
    {
      name: 'a JSON body with the right token',
      status: 415,
      send: () => victim.request('/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csrf_token: token }) }),
    },
  ];

  for (const forgery of logoutForgeries) {
    test(`${forgery.name}: ${forgery.status}, and the session goes on`, async () => {
      const reply = await forgery.send();
      assert.equal(reply.status, forgery.status, `${forgery.name}: ${reply.status} ${reply.body.slice(0, 300)}`);
      assert.equal(refusalProblem(String(reply.headers['content-type'] ?? ''), reply.body), undefined);
      const cleared = setCookies(reply).find((cookie) => cookie.name === SESSION_COOKIE);
      assert.equal(cleared, undefined, 'the refusal touched the session cookie');
      await stillSignedIn(forgery.name);
    });
  }

  test('a token without the session cookie: 401, and the session goes on', async () => {
    const reply = await browser().postFormTo('/logout', { csrf_token: token });
    assert.equal(reply.status, 401, reply.body.slice(0, 300));
    await stillSignedIn('a post without the cookie');
  });

  test('control: the session’s own token signs out (303), and the cookie is refused afterwards', async () => {
    const stolen = victim.cookie(SESSION_COOKIE) ?? '';
    const reply = await victim.postFormTo('/logout', { csrf_token: token });
    assert.equal(reply.status, 303, reply.body.slice(0, 300));
    const replayed = await browser().request('/', { headers: { cookie: `${SESSION_COOKIE}=${stolen}` } });
    assert.equal(replayed.status, 303, 'the signed-out cookie still opens a staff page');
  });
});

describe(`the lockout (LOGIN_LOCKOUT_THRESHOLD=${LOCKOUT_THRESHOLD}, LOGIN_LOCKOUT_SECONDS=${LOCKOUT_SECONDS})`, () => {
  test(`after ${LOCKOUT_THRESHOLD} wrong passwords the right one is refused with the same page, the lock lasts ${LOCKOUT_SECONDS} s and is audited as user.locked`, async () => {
    const user = await addUser(db, 'viewer');
    const attacker = browser();
    const { token } = await attacker.openLoginPage();
    const attempt = (password: string) => attacker.postFormTo('/login', { username: user.username, password, csrf_token: token });

    const failures: Reply[] = [];
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) failures.push(await attempt(`wrong password number ${i}`));
    const startedLock = Date.now();
    for (const failure of failures) assert.equal(failure.status, 401);
    assert.equal(await auditCount('user.locked', user.username), 1, 'one user.locked row in audit_event');
    const locked = await db.selectFrom('staff_user').select('locked_until').where('id', '=', user.id).executeTakeFirstOrThrow();
    const lockedFor = Number(locked.locked_until) - startedLock;
    assert.ok(lockedFor > (LOCKOUT_SECONDS - 5) * 1000 && lockedFor <= LOCKOUT_SECONDS * 1000, `locked for ${lockedFor} ms`);

    const right = await attempt(user.password);
    assert.equal(right.status, 401, `the right password while locked: ${right.status}`);
    assert.equal(sessionCookieIn(right), undefined, 'the right password while locked got a session');
    assert.ok(right.body.includes(SIGN_IN_FAILED), 'the usual message');
    assert.equal(normalized(right.body), normalized(failures.at(-1)!.body), 'the locked answer is the wrong-password answer, byte for byte');
    assert.equal(await sessionsOf(user), 0);

    // Attempts while locked do not extend the lock (or anyone could keep a colleague out for good).
    await attempt('yet another wrong password');
    const after = await db.selectFrom('staff_user').select('locked_until').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(Number(after.locked_until), Number(locked.locked_until), 'a failure while locked moved the lock');
    assert.equal(await auditCount('user.locked', user.username), 1);
  });
});
