/**
 * SQL injection: Debian's sqlmap against the lookup form, with the visitor's
 * cookie and the CSRF token refreshed from the page for every request, so its
 * payloads reach the lookup (not just the CSRF check). It must find nothing
 * injectable, and the server's log must show that its posts were handled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../support/https-client.js';
import { requireCommand, scaled, scanWithSqlmap, serverFor } from './support.js';

const LEVEL = 2;
const BUDGET_S = scaled({ ci: 90, full: 120 });

test(`sqlmap (level ${LEVEL}, risk 1) finds no injectable parameter in the lookup form, and its payloads get past the CSRF check`, { timeout: (BUDGET_S + 30) * 1000 }, async (t) => {
  const sqlmap = requireCommand(t, ['sqlmap'], 'apt-get install -y sqlmap');
  if (!sqlmap) return;
  const server = await serverFor(t, { LOOKUP_RATE_LIMIT: '0' });
  const visitor = new Browser(server.baseUrl, server.caFile);
  const { token } = await visitor.openLookupPage();
  const base = `${server.baseUrl}/`;
  const { code, output, byStatus, posts, summary } = await scanWithSqlmap(t, {
    sqlmap,
    server,
    url: base,
    csrfUrl: base,
    data: `acctid=ACCT100&csrf_token=${encodeURIComponent(token)}`,
    cookie: visitor.cookieHeader(),
    parameters: ['acctid'],
    level: LEVEL,
    budgetSeconds: BUDGET_S,
  });

  assert.notEqual(code, 124, `sqlmap did not finish within ${BUDGET_S} s`);
  assert.match(output, /testing for SQL injection on POST parameter 'acctid'/, 'sqlmap never tested acctid');
  assert.doesNotMatch(output, /parameter 'acctid' (?:appears to be .*injectable|is vulnerable)|sqlmap identified the following injection point/i, `sqlmap found an injection:\n${summary}`);
  assert.match(output, /all tested parameters do not appear to be injectable|POST parameter 'acctid' does not seem to be injectable/, `sqlmap did not conclude:\n${summary}`);

  const handled = (byStatus.get(200) ?? 0) + (byStatus.get(400) ?? 0);
  const refused = byStatus.get(403) ?? 0;
  const failed = [...byStatus].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  assert.equal(failed, 0, `${failed} of sqlmap's posts got a 5xx`);
  assert.ok((byStatus.get(200) ?? 0) > 0, 'no post of sqlmap was answered 200: it never reached the lookup');
  assert.ok(handled >= 100, `only ${handled} of sqlmap's ${posts} posts got past the CSRF check to the lookup (200 or 400)`);
  assert.ok(refused <= posts * 0.05, `${refused} of sqlmap's ${posts} posts were refused by the CSRF check: the scan did not reach the lookup`);
});
