/**
 * SQL injection against the sign-in form: Debian's sqlmap on POST /login's
 * username and password, with the visitor's CSRF cookie and a token fetched
 * from the sign-in page before every request, so its payloads reach the
 * sign-in (a 401 "did not work" page) rather than the CSRF check (403). It
 * must find nothing injectable, and the server's log must show that its posts
 * were handled. The user name it starts from is a real user's, so the query
 * finds a row and the wrong-password path runs (the lockout is off, so the
 * scan cannot lock the account and change the answers under it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../support/https-client.js';
import { addUser } from '../support/staff.js';
import { portOf, requireCommand, scaled, scanWithSqlmap, serverDatabase, serverFor } from './support.js';

const LEVEL = scaled({ ci: 1, full: 2 });
const BUDGET_S = scaled({ ci: 75, full: 180 });
const PARAMETERS = ['username', 'password'] as const;

test(`sqlmap (level ${LEVEL}, risk 1) finds no injectable parameter in the sign-in form, and its payloads get past the CSRF check`, { timeout: (BUDGET_S + 30) * 1000 }, async (t) => {
  const sqlmap = requireCommand(t, ['sqlmap'], 'apt-get install -y sqlmap');
  if (!sqlmap) return;
  const server = await serverFor(t, { LOGIN_RATE_LIMIT: '0', LOGIN_LOCKOUT_THRESHOLD: '0' });
  const db = await serverDatabase(server);
  t.after(() => db.destroy());
  const user = await addUser(db, 'viewer');

  // 127.0.0.1, where the server listens: the scan never leaves this machine.
  const origin = `https://127.0.0.1:${portOf(server)}`;
  const visitor = new Browser(origin, server.caFile);
  const { token } = await visitor.openLoginPage(origin);
  const { code, output, byStatus, posts, summary } = await scanWithSqlmap(t, {
    sqlmap,
    server,
    url: `${origin}/login`,
    csrfUrl: `${origin}/login`,
    data: new URLSearchParams({ username: user.username, password: 'not-the-password-1', csrf_token: token, next: '/' }).toString(),
    cookie: visitor.cookieHeader(),
    parameters: PARAMETERS,
    level: LEVEL,
    budgetSeconds: BUDGET_S,
    // Every failed sign-in is a 401 page: the answer sqlmap compares, not an authentication challenge.
    extraArgs: ['--ignore-code=401'],
  });

  assert.notEqual(code, 124, `sqlmap did not finish within ${BUDGET_S} s`);
  // sqlmap's verdict per parameter. Its boolean-based heuristic may first say a parameter "appears to be"
  // injectable (the page echoes the typed user name); it then runs its own false-positive check, and only
  // a parameter that passes that check is reported as injectable ("identified the following injection point").
  for (const parameter of PARAMETERS) {
    assert.ok(output.includes(`testing for SQL injection on POST parameter '${parameter}'`), `sqlmap never tested ${parameter}`);
    assert.ok(output.includes(`POST parameter '${parameter}' does not seem to be injectable`), `sqlmap did not clear ${parameter}:\n${summary}`);
  }
  assert.doesNotMatch(output, /parameter '[^']+' is vulnerable|sqlmap identified the following injection point/i, `sqlmap found an injection:\n${summary}`);
  assert.match(output, /all tested parameters do not appear to be injectable/, `sqlmap did not conclude:\n${summary}`);

  // 401: the sign-in ran and failed; 400: the form's own validation (a value too long). Either got past the CSRF check.
  const handled = (byStatus.get(401) ?? 0) + (byStatus.get(400) ?? 0);
  const refused = byStatus.get(403) ?? 0;
  const failed = [...byStatus].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  assert.equal(failed, 0, `${failed} of sqlmap's posts got a 5xx`);
  assert.equal(byStatus.get(303) ?? 0, 0, 'a payload signed in');
  assert.ok((byStatus.get(401) ?? 0) > 0, 'no post of sqlmap was answered 401: it never reached the sign-in');
  assert.ok(handled >= 100, `only ${handled} of sqlmap's ${posts} posts got past the CSRF check to the sign-in (401 or 400)`);
  assert.ok(refused <= posts * 0.05, `${refused} of sqlmap's ${posts} posts were refused by the CSRF check: the scan did not reach the sign-in`);
  const sessions = await db.selectFrom('staff_session').select('id_hash').where('user_id', '=', user.id).execute();
  assert.equal(sessions.length, 0, 'the scan started a session');
});
