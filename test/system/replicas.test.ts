/**
 * Sessions survive scale-out: two server processes (replicas) sharing one
 * MariaDB database, one SESSION_SECRET and one Redis, as behind a load
 * balancer. A session started on one is good on the other; the form token
 * (an HMAC of the session) read on one is accepted by the other; signing out
 * on one ends the session on both; restarting a replica signs nobody out; and
 * the sign-in rate limits count across both.
 *
 * Both replicas trust 127.0.0.1 as their proxy (TRUST_PROXY) and each visitor
 * here names a fresh client address in X-Forwarded-For, as the load balancer
 * would: Redis keeps the counters for a minute, so a run that counted as
 * 127.0.0.1 would spend the budget of a re-run (or another suite) within it.
 *
 * Needs MariaDB (mysql://root@127.0.0.1:3306/crm_test, or TEST_MYSQL_URL) and
 * Redis (redis://127.0.0.1:6379, or TEST_REDIS_URL): `bash scripts/test.sh` starts private ones.
 * Skipped without them, except under CI=true, where that is a failure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createRedis } from '../../src/platform/redis.js';
import type { Database } from '../../src/schema.js';
import { Browser, formToken, setCookies, type Reply } from '../support/https-client.js';
import { makeCertDir, OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addUser, uniqueUsername, type TestUser } from '../support/staff.js';
import { openTestDatabase, startHint, TEST_DATABASES, TEST_REDIS_URL } from '../support/test-databases.js';
import { skipReason } from '../support/tools.js';

const MARIADB = TEST_DATABASES[1]!;
const REDIS_URL = TEST_REDIS_URL;
const SESSION_COOKIE = '__Host-crm-session';
const LOGIN_LIMIT = 4;
const BALANCE = /Account balance: -?\d+\.\d{2} USD/;
const LOOKED_UP = /Account balance|Unknown account/;

async function redisSkip(): Promise<string | false> {
  const redis = createRedis(REDIS_URL, pino({ level: 'silent' }));
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.ping();
    return false;
  } catch (error) {
    const reason = skipReason(`Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`, startHint('TEST_REDIS_URL'));
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`, { cause: error });
    return reason;
  } finally {
    redis.disconnect();
  }
}

const opened = OWN_SERVER_SKIP ? undefined : await openTestDatabase(MARIADB);
const skip = OWN_SERVER_SKIP || opened?.skip || (await redisSkip());
if (skip) await opened?.db?.destroy();

/** A client address no other run uses (2001:db8::/32 is for documentation). */
const clientAddress = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

const location = (reply: Reply) => String(reply.headers.location ?? '');

describe('sessions survive scale-out: two replicas sharing MariaDB, SESSION_SECRET and Redis', { skip, timeout: 90_000 }, () => {
  let db: Kysely<Database>;
  /** Signs in three times (the per-user-name limit is four a minute); `second` takes the restart's sign-in. */
  let user: TestUser;
  let second: TestUser;
  /** One certificate for both replicas (the service's name), so one browser trusts both. */
  let dir: string;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  const started: ServerProcess[] = [];

  const replica = async () => {
    const server = await startServer(env, dir);
    started.push(server);
    return server;
  };
  /** A browser behind the load balancer: its own address, talking to either replica with one cookie jar. */
  const browser = () => new Browser(a.baseUrl, `${dir}/ssl/cert.pem`, { 'x-forwarded-for': clientAddress() });
  const at = (server: ServerProcess, path: string) => new URL(path, server.baseUrl).href;

  before(async () => {
    db = opened!.db!;
    dir = makeCertDir();
    env = {
      DATABASE_URL: MARIADB.url,
      REDIS_URL,
      // Random, and the same for both replicas: what the deployment's secret is.
      SESSION_SECRET: randomBytes(32).toString('hex'),
      CRM_PUBLIC_LOOKUP: 'false',
      LOGIN_RATE_LIMIT: String(LOGIN_LIMIT),
      TRUST_PROXY: '127.0.0.1',
    };
    // Both at once, as a rollout starts them: migrations take the database's lock.
    [a, b] = await Promise.all([replica(), replica()]);
    [user, second] = await Promise.all([addUser(db, 'viewer'), addUser(db, 'viewer')]);
  });

  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.destroy();
  });

  /** Signs in on `server` and returns the browser holding the session. */
  async function signedIn(server: ServerProcess, as = user): Promise<Browser> {
    const visitor = browser();
    const reply = await visitor.signIn(as.username, as.password, { origin: server.baseUrl });
    assert.equal(reply.status, 303, `sign-in on ${server.baseUrl}: ${reply.status} ${reply.body.slice(0, 300)}`);
    assert.ok(visitor.cookie(SESSION_COOKIE), 'a session cookie');
    return visitor;
  }

  /** GET / on a replica: the staff lookup page and the session's form token on it. */
  async function staffPage(visitor: Browser, server: ServerProcess): Promise<{ page: Reply; token: string }> {
    const page = await visitor.request(at(server, '/'));
    assert.equal(page.status, 200, `GET / on ${server.baseUrl}: ${page.status} ${location(page)}`);
    const token = formToken(page.body);
    assert.ok(token, 'the page carries the session’s form token');
    return { page, token };
  }

  const lookUp = (visitor: Browser, server: ServerProcess, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    visitor.postFormTo(at(server, '/'), { acctid: 'ACCT100', ...fields }, headers);

  let visitor: Browser;

  test('signing in on A answers 303 with a host-only session cookie: __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    visitor = browser();
    const reply = await visitor.signIn(user.username, user.password, { origin: a.baseUrl });
    assert.equal(reply.status, 303, reply.body.slice(0, 300));
    assert.equal(location(reply), '/dashboard', 'no next=: staff land on the dashboard');
    const session = setCookies(reply).find((cookie) => cookie.name === SESSION_COOKIE);
    assert.ok(session, `no ${SESSION_COOKIE} in ${JSON.stringify(reply.headers['set-cookie'])}`);
    assert.match(session.value, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    assert.equal(session.attributes.secure, true, 'Secure');
    assert.equal(session.attributes.httponly, true, 'HttpOnly');
    assert.equal(String(session.attributes.samesite).toLowerCase(), 'lax', 'SameSite=Lax');
    assert.equal(session.attributes.path, '/', 'Path=/ (the __Host- prefix demands it)');
    assert.equal(session.attributes.domain, undefined, 'no Domain (the __Host- prefix forbids one)');
  });

  test('B accepts the session A started: GET / shows the lookup form and who is signed in', async () => {
    const { page } = await staffPage(visitor, b);
    assert.match(page.body, /<input type="text" id="acctid" name="acctid"/);
    assert.ok(page.body.includes(`Signed in as ${user.username}`), `B does not show the user: ${page.body.slice(0, 600)}`);
  });

  test('a form token read on B is accepted by A: the lookup answers 200 with the balance', async () => {
    const { token } = await staffPage(visitor, b);
    const reply = await lookUp(visitor, a, { csrf_token: token });
    assert.equal(reply.status, 200, reply.body.slice(0, 300));
    assert.match(reply.body, BALANCE);
  });

  test('A refuses (403, nothing looked up) a token of another session, a missing token and a cross-site Origin', async () => {
    const other = await signedIn(a);
    assert.notEqual(other.cookie(SESSION_COOKIE), visitor.cookie(SESSION_COOKIE), 'a second sign-in is a second session');
    const { token: theirs } = await staffPage(other, b);
    const { token: mine } = await staffPage(visitor, b);
    assert.notEqual(theirs, mine, 'each session has its own token');

    const refusals: Array<[string, Reply]> = [
      ['another session’s token', await lookUp(visitor, a, { csrf_token: theirs })],
      ['no token', await lookUp(visitor, a, {})],
      ['a cross-site Origin', await lookUp(visitor, a, { csrf_token: mine }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [what, reply] of refusals) {
      assert.equal(reply.status, 403, `${what}: ${reply.status} ${reply.body.slice(0, 300)}`);
      assert.doesNotMatch(reply.body, LOOKED_UP, `${what}: looked up anyway`);
    }
    // The refusals did not end the session: its own token still works on both.
    assert.equal((await lookUp(visitor, b, { csrf_token: mine })).status, 200);
  });

  test('signing out on A ends the session on both replicas (the other session of the user goes on)', async () => {
    const other = await signedIn(b);
    const { token } = await staffPage(visitor, b);
    const stolen = visitor.cookie(SESSION_COOKIE)!;

    const out = await visitor.postFormTo(at(a, '/logout'), { csrf_token: token });
    assert.equal(out.status, 303, out.body.slice(0, 300));
    assert.equal(location(out), '/login?signed_out=1');
    const cleared = setCookies(out).find((cookie) => cookie.name === SESSION_COOKIE);
    assert.ok(cleared && (cleared.value === '' || cleared.attributes['max-age'] === '0' || cleared.attributes.expires !== undefined), 'the cookie is cleared');
    // A browser ignores a Set-Cookie for a __Host- name without Secure and Path=/: the clearing one must carry them too.
    assert.deepEqual([cleared.attributes.secure, cleared.attributes.path, cleared.attributes.domain], [true, '/', undefined], 'the clearing Set-Cookie is a valid __Host- cookie');

    const replay = new Browser(a.baseUrl, `${dir}/ssl/cert.pem`);
    for (const server of [a, b]) {
      const page = await replay.request(at(server, '/'), { headers: { cookie: `${SESSION_COOKIE}=${stolen}` } });
      assert.equal(page.status, 303, `the signed-out cookie on ${server.baseUrl}: ${page.status}`);
      assert.equal(location(page), '/login');
      const post = await replay.postFormTo(at(server, '/'), { acctid: 'ACCT100', csrf_token: token }, { cookie: `${SESSION_COOKIE}=${stolen}` });
      assert.ok(post.status === 401 || post.status === 403, `a post with the signed-out cookie on ${server.baseUrl}: ${post.status}`);
      assert.doesNotMatch(post.body, LOOKED_UP);
    }
    await staffPage(other, a);
  });

  test('restarting B signs nobody out: a session from A is accepted by the new B, and so is its token', async () => {
    const kept = await signedIn(a, second);
    const { token } = await staffPage(kept, a);
    assert.equal(await b.stop(), 0, 'B stops cleanly');
    b = await replica();
    const { page } = await staffPage(kept, b);
    assert.ok(page.body.includes(`Signed in as ${second.username}`));
    const reply = await lookUp(kept, b, { csrf_token: token });
    assert.equal(reply.status, 200, reply.body.slice(0, 300));
    assert.match(reply.body, BALANCE);
  });

  test(`LOGIN_RATE_LIMIT=${LOGIN_LIMIT} counts per address across both replicas: failures split over A and B, then 429 with Retry-After on either`, async () => {
    const attacker = browser();
    const statuses: number[] = [];
    for (const server of [a, b, a, b]) statuses.push((await attacker.signIn(uniqueUsername('nobody'), 'not the password at all', { origin: server.baseUrl })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401], 'the first four are ordinary failed sign-ins');
    for (const server of [a, b]) {
      const reply = await attacker.signIn(user.username, user.password, { origin: server.baseUrl });
      assert.equal(reply.status, 429, `the ${server === a ? '5th, on A' : '6th, on B'}: ${reply.status} ${reply.body.slice(0, 200)}`);
      const retryAfter = String(reply.headers['retry-after'] ?? '');
      assert.match(retryAfter, /^[1-9]\d*$/, `Retry-After: ${JSON.stringify(retryAfter)}`);
      assert.ok(Number(retryAfter) <= 60, `Retry-After ${retryAfter} s is longer than the minute`);
      assert.ok(reply.body.includes(retryAfter), 'the page says how long to wait');
      assert.equal(setCookies(reply).find((cookie) => cookie.name === SESSION_COOKIE), undefined, 'even the right password gets no session');
    }
    const elsewhere = await browser().signIn(uniqueUsername('nobody'), 'not the password at all', { origin: a.baseUrl });
    assert.equal(elsewhere.status, 401, 'another address is not affected');
  });

  test(`LOGIN_RATE_LIMIT=${LOGIN_LIMIT} also counts per user name across both replicas, whatever the address`, async () => {
    const target = uniqueUsername('target');
    const statuses: number[] = [];
    for (const server of [a, b, a, b, b]) statuses.push((await browser().signIn(target, 'not the password at all', { origin: server.baseUrl })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429], 'five addresses, one user name: the 5th attempt is limited');
  });
});
