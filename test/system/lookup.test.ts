/**
 * Drives the real HTTPS server as a browser would. Starts its own server on a
 * free port, or targets CRM_BASE_URL (trusting CRM_CA_FILE if given), as the
 * seed's system tests did after `docker-compose up`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser, formToken } from '../support/https-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const external = process.env.CRM_BASE_URL;
let server: ServerProcess | undefined;
let baseUrl = external ?? '';
let caFile = process.env.CRM_CA_FILE;

before(async () => {
  if (external) return;
  server = await startServer();
  baseUrl = server.baseUrl;
  caFile = server.caFile;
});
after(async () => server?.cleanup());

const browser = () => new Browser(baseUrl, caFile);

async function lookUp(acctid: string) {
  const visitor = browser();
  const { token } = await visitor.openLookupPage();
  return visitor.postForm({ acctid, csrf_token: token });
}

describe('the lookup page', () => {
  test('GET / shows the form with a CSRF token, the account field and a Submit button', async () => {
    const { page, token } = await browser().openLookupPage();
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<form method="post" action="\/">/);
    assert.ok(token.length >= 20);
    assert.match(page.body, /<label for="acctid">Enter account ID \(e\.g\. ACCT100\):<\/label>/);
    assert.match(page.body, /<input type="text" id="acctid" name="acctid"/);
    assert.match(page.body, /<button type="submit">Submit<\/button>/);
  });

  test('pages load nothing from another origin and carry security headers', async () => {
    const { page } = await browser().openLookupPage();
    for (const external of ['src="http', 'href="http', 'src="//', 'href="//']) assert.ok(!page.body.includes(external), external);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const cookie = [page.headers['set-cookie'] ?? []].flat().join('\n');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Secure/i);
    assert.match(cookie, /SameSite=Strict/i);
  });

  test('the stylesheet is served from this origin', async () => {
    const css = await browser().request('/static/crm.css');
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /text\/css/);
  });
});

describe('looking up the seed accounts', () => {
  for (const [acctid, balance] of [
    ['ACCT100', '40.00 USD'],
    ['ACCT200', '-10.00 USD'],
    ['ACCT300', '0.00 USD'],
    ['acct100', '40.00 USD'],
    ['  Acct200 ', '-10.00 USD'],
  ] as const) {
    test(`"${acctid}" shows Account balance: ${balance}`, async () => {
      const reply = await lookUp(acctid);
      assert.equal(reply.status, 200);
      assert.ok(reply.body.includes(`Account balance: ${balance}`), reply.body);
    });
  }

  test('an id that does not exist shows the unknown-account message', async () => {
    const reply = await lookUp('ACCT999');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /Unknown account number; please try again/);
    assert.doesNotMatch(reply.body, /Account balance/);
  });

  test('the result page offers a fresh form, so a second lookup works without reloading', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const first = await visitor.postForm({ acctid: 'ACCT100', csrf_token: token });
    const next = formToken(first.body);
    assert.ok(next);
    const second = await visitor.postForm({ acctid: 'ACCT300', csrf_token: next });
    assert.match(second.body, /Account balance: 0\.00 USD/);
  });
});

describe('forged or cross-site posts are refused before any lookup', () => {
  const refused = (reply: { status: number; body: string }) => {
    assert.ok(reply.status === 403 || reply.status === 400, `status ${reply.status}`);
    assert.doesNotMatch(reply.body, /Account balance/);
    assert.doesNotMatch(reply.body, /Unknown account number/);
  };

  test('when the token is missing, the POST is refused and the page says why', async () => {
    const visitor = browser();
    await visitor.openLookupPage();
    const reply = await visitor.postForm({ acctid: 'ACCT100' });
    refused(reply);
    assert.equal(reply.status, 403);
    assert.match(reply.body, /security token is missing, expired or does not match/);
  });

  test('when the token is wrong, the POST is refused', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    refused(await visitor.postForm({ acctid: 'ACCT100', csrf_token: `${token.slice(0, -4)}AAAA` }));
  });

  test("when the token belongs to another visitor's session, the POST is refused", async () => {
    const victim = browser();
    const attacker = browser();
    await victim.openLookupPage();
    const { token: attackersToken } = await attacker.openLookupPage();
    refused(await victim.postForm({ acctid: 'ACCT100', csrf_token: attackersToken }));
  });

  test('when the session cookie is missing, a valid-looking token is refused', async () => {
    const { token } = await browser().openLookupPage();
    const reply = await browser().postForm({ acctid: 'ACCT100', csrf_token: token });
    refused(reply);
    assert.match(reply.body, /expired|cookie/);
  });

  test('when the Origin is another site, the POST is refused even with a valid token', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const reply = await visitor.postForm({ acctid: 'ACCT100', csrf_token: token }, { origin: 'https://evil.example' });
    refused(reply);
    assert.match(reply.body, /another origin/);
  });

  test('when the Referer is another site, the POST is refused even with a valid token', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    refused(await visitor.postForm({ acctid: 'ACCT100', csrf_token: token }, { referer: 'https://evil.example/page' }));
  });

  test('when the browser reports a cross-site request, the POST is refused', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    refused(await visitor.postForm({ acctid: 'ACCT100', csrf_token: token }, { 'sec-fetch-site': 'cross-site' }));
  });

  test('a same-origin Origin and Referer are accepted', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const reply = await visitor.postForm(
      { acctid: 'ACCT100', csrf_token: token },
      { origin: baseUrl, referer: `${baseUrl}/`, 'sec-fetch-site': 'same-origin' },
    );
    assert.match(reply.body, /Account balance: 40\.00 USD/);
  });
});

describe('bad input gets a clear answer, never a server error', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['an empty id', ''],
    ['blanks only', '   '],
    ['5,000 characters', 'A'.repeat(5000)],
    ['SQL metacharacters', "ACCT100' OR '1'='1"],
    ['a comment trick', 'ACCT100;--'],
    ['non-ASCII', 'ÄCCT100'],
    ['markup', '<script>x</script>'],
  ];
  for (const [name, acctid] of cases) {
    test(`${name} gets a 4xx with a message, and the input is escaped`, async () => {
      const reply = await lookUp(acctid);
      assert.equal(reply.status, 400, reply.body.slice(0, 500));
      assert.match(reply.body, /class="problem"/);
      assert.doesNotMatch(reply.body, /<script>x/);
      // The page's random CSRF token could spell anything; look at the rest.
      const shown = reply.body.replace(/name="csrf_token" value="[^"]*"/, '');
      assert.doesNotMatch(shown, /SQL|sqlite|mysql|postgres|ER_|stack/i);
    });
  }

  test('two acctid fields are refused with a message', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const reply = await visitor.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `acctid=ACCT100&acctid=ACCT200&csrf_token=${encodeURIComponent(token)}`,
    });
    assert.equal(reply.status, 400);
    assert.match(reply.body, /enter one account ID/i);
  });

  test('a JSON body is refused as an unsupported content type, even with a valid token', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    for (const body of [`{"acctid":"ACCT100","csrf_token":"${token}"}`, `{"acctid":["ACCT100"],"csrf_token":"${token}"}`]) {
      const reply = await visitor.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(reply.status, 415, body);
      assert.match(reply.body, /application\/x-www-form-urlencoded/);
      assert.doesNotMatch(reply.body, /Account balance|Unknown account/);
    }
  });

  test('a text/plain body gets 415, not a CSRF refusal', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const reply = await visitor.request('/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `acctid=ACCT100&csrf_token=${token}` });
    assert.equal(reply.status, 415);
  });

  test('an empty body is refused with a message', async () => {
    const visitor = browser();
    await visitor.openLookupPage();
    const reply = await visitor.request('/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.ok(reply.status === 403 || reply.status === 400);
    assert.match(reply.body, /class="problem"/);
  });

  test('a huge body is refused with 413 and a message', async () => {
    const visitor = browser();
    const { token } = await visitor.openLookupPage();
    const reply = await visitor.postForm({ acctid: 'A'.repeat(1024 * 1024), csrf_token: token });
    assert.equal(reply.status, 413);
    assert.match(reply.body, /too large/);
  });

  test('an unsupported content type is refused with 415 and a message', async () => {
    const visitor = browser();
    await visitor.openLookupPage();
    const reply = await visitor.request('/', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<acctid>ACCT100</acctid>' });
    assert.equal(reply.status, 415);
    assert.match(reply.body, /application\/x-www-form-urlencoded/);
  });
});

describe('other paths', () => {
  test('an unknown path returns 404 with a Not Found page', async () => {
    const reply = await browser().request('/no/such/page?x=1');
    assert.equal(reply.status, 404);
    assert.match(reply.body, /Not Found/);
  });

  test('/healthz answers without the database and /readyz says the database is ready', async () => {
    const health = await browser().request('/healthz');
    assert.equal(health.status, 200);
    const ready = await browser().request('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: 'ready' });
  });
});
