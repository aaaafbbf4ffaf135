/**
 * The forged-request matrix against POST /: every way a cross-site or
 * tokenless post could try to get a lookup through. Each is refused (403 for
 * CSRF and origin failures, 415 for any body that is not a urlencoded form,
 * before the CSRF check), and none ever shows a balance or "Unknown account".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser, type Reply } from '../support/https-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { LOOKUP_ANSWER, leakIn, refusalProblem } from './support.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ LOOKUP_RATE_LIMIT: '0' });
});
after(() => server.cleanup());

const FORM = 'application/x-www-form-urlencoded';

/** A visitor who has opened the page: its cookie is set and `token` is its form's token. */
async function visitor() {
  const browser = new Browser(server.baseUrl, server.caFile);
  const { token } = await browser.openLookupPage();
  return { browser, token };
}

async function post(browser: Browser, contentType: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  return browser.request('/', { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

interface Forgery {
  readonly name: string;
  readonly status: 403 | 415;
  readonly send: () => Promise<Reply>;
}

const forgeries: readonly Forgery[] = [
  {
    name: 'no token',
    status: 403,
    send: async () => {
      const { browser } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100' }));
    },
  },
  {
    name: 'a wrong token',
    status: 403,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: `${token.slice(0, -4)}AAAA` }));
    },
  },
  {
    name: "another visitor's token",
    status: 403,
    send: async () => {
      const { browser } = await visitor();
      const { token: theirs } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: theirs }));
    },
  },
  {
    name: 'no cookie (a valid token without its session)',
    status: 403,
    send: async () => {
      const { token } = await visitor();
      return post(new Browser(server.baseUrl, server.caFile), FORM, form({ acctid: 'ACCT100', csrf_token: token }));
    },
  },
  {
    name: 'a cross-site Origin',
    status: 403,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: token }), { origin: 'https://evil.example' });
    },
  },
  {
    name: 'Origin: null (a sandboxed frame)',
    status: 403,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: token }), { origin: 'null' });
    },
  },
  {
    name: 'a cross-site Referer',
    status: 403,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: token }), { referer: 'https://evil.example/phish.html' });
    },
  },
  {
    name: 'Sec-Fetch-Site: cross-site',
    status: 403,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: token }), { 'sec-fetch-site': 'cross-site' });
    },
  },
  {
    name: 'a text/plain body (what a cross-site form with enctype=text/plain sends), with a valid cookie and token',
    status: 415,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, 'text/plain', form({ acctid: 'ACCT100', csrf_token: token }));
    },
  },
  {
    name: 'a JSON body {"acctid":["ACCT100"]} with a valid cookie and token',
    status: 415,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, 'application/json', JSON.stringify({ acctid: ['ACCT100'], csrf_token: token }));
    },
  },
  {
    name: 'a JSON body {"acctid":100} with a valid cookie and token',
    status: 415,
    send: async () => {
      const { browser, token } = await visitor();
      return post(browser, 'application/json', JSON.stringify({ acctid: 100, csrf_token: token }));
    },
  },
  {
    name: 'a JSON body without a token (415, not 403: the type is checked first)',
    status: 415,
    send: async () => {
      const { browser } = await visitor();
      return post(browser, 'application/json', JSON.stringify({ acctid: 'ACCT100' }));
    },
  },
  {
    name: 'a multipart/form-data body with a valid cookie and token',
    status: 415,
    send: async () => {
      const { browser, token } = await visitor();
      const boundary = '----crmattack';
      const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      return post(browser, `multipart/form-data; boundary=${boundary}`, `${part('acctid', 'ACCT100')}${part('csrf_token', token)}--${boundary}--\r\n`);
    },
  },
];

describe('forged requests against POST /', () => {
  test('control: the same visitor posting its own form normally sees the balance', async () => {
    const { browser, token } = await visitor();
    const reply = await post(browser, FORM, form({ acctid: 'ACCT100', csrf_token: token }));
    assert.equal(reply.status, 200);
    assert.ok(reply.body.includes('Account balance: 40.00 USD'), reply.body);
  });

  for (const forgery of forgeries) {
    test(`${forgery.name}: ${forgery.status}, no balance and no "Unknown account"`, async () => {
      const reply = await forgery.send();
      const answer = LOOKUP_ANSWER.exec(reply.body)?.[0];
      assert.equal(answer, undefined, `the forged request was looked up (status ${reply.status}): it shows "${String(answer)}"`);
      assert.equal(reply.status, forgery.status, `expected ${forgery.status}, got ${reply.status}: ${reply.body.slice(0, 300)}`);
      assert.equal(refusalProblem(String(reply.headers['content-type'] ?? ''), reply.body), undefined, 'the refusal explains itself');
      assert.equal(leakIn(reply.body), undefined);
      if (forgery.status === 415) assert.match(reply.body, /x-www-form-urlencoded/, 'the 415 says which type the form takes');
    });
  }
});
