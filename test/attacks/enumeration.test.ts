/**
 * Account enumeration: one client with a valid cookie and token posts
 * lookups for ACCT000..ACCT999 as fast as it can. With LOOKUP_RATE_LIMIT=30
 * at most 30 lookups in the minute may reach the database; every other one
 * gets 429 with a Retry-After and a page saying when to try again, and a fresh
 * cookie from the same address does not reset the count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../support/https-client.js';
import { KeepAliveClient, LOOKUP_ANSWER, lookupForm, serverFor, type Answer } from './support.js';

const LIMIT = 30;
const IDS = Array.from({ length: 1000 }, (_, i) => `ACCT${String(i).padStart(3, '0')}`);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

test(`enumerating ACCT000..ACCT999 from one client reads at most ${LIMIT} accounts a minute; the rest get 429 with Retry-After and a page saying when to retry`, { timeout: 120_000 }, async (t) => {
  const server = await serverFor(t, { LOOKUP_RATE_LIMIT: String(LIMIT) });
  const visitor = new Browser(server.baseUrl, server.caFile);
  const { token } = await visitor.openLookupPage();
  const client = new KeepAliveClient(server, 8);
  t.after(() => client.close());
  const cookie = visitor.cookieHeader();

  const started = performance.now();
  const replies: Array<{ acctid: string; reply: Answer }> = [];
  const queue = [...IDS];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let acctid = queue.shift(); acctid !== undefined; acctid = queue.shift()) {
        const reply = await client.request('/', { method: 'POST', headers: { ...FORM, cookie }, body: lookupForm(acctid, token) });
        replies.push({ acctid, reply });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const answered = replies.filter(({ reply }) => LOOKUP_ANSWER.test(reply.body));
  const limited = replies.filter(({ reply }) => reply.status === 429);
  const other = replies.filter(({ reply }) => reply.status !== 429 && !LOOKUP_ANSWER.test(reply.body));
  const statuses = new Map<number, number>();
  for (const { reply } of replies) statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
  t.diagnostic(
    `${replies.length} lookups in ${seconds.toFixed(1)} s: ${answered.length} answered, ${limited.length} limited (429), ` +
      `${other.length} other; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );

  assert.ok(seconds < 60, `the enumeration took ${seconds.toFixed(1)} s, longer than the limit's minute: the test proves nothing`);
  assert.ok(
    answered.length <= LIMIT,
    `${answered.length} of ${IDS.length} lookups were answered with a balance or "unknown account" within ${seconds.toFixed(1)} s ` +
      `(LOOKUP_RATE_LIMIT=${LIMIT}: at most ${LIMIT} a minute per client)`,
  );
  const revealed = new Set(answered.map(({ acctid }) => acctid));
  assert.ok(revealed.size <= LIMIT, `${revealed.size} distinct accounts were read`);
  assert.deepEqual(
    other.slice(0, 3).map(({ acctid, reply }) => `${acctid}: ${reply.status} ${reply.body.slice(0, 120)}`),
    [],
    `${other.length} lookups got neither an answer nor 429`,
  );
  assert.equal(limited.length, IDS.length - answered.length, 'every lookup over the limit gets 429');

  for (const { acctid, reply } of limited) {
    const retryAfter = String(reply.headers['retry-after'] ?? '');
    assert.match(retryAfter, /^[1-9]\d*$/, `${acctid}: Retry-After must be a positive number of seconds, got ${JSON.stringify(retryAfter)}`);
    assert.ok(Number(retryAfter) <= 60, `${acctid}: Retry-After ${retryAfter} s is longer than the limit's window`);
    assert.match(String(reply.headers['content-type']), /^text\/html/, `${acctid}: the 429 is not an HTML page`);
    assert.match(reply.body, /try again|retry/i, `${acctid}: the 429 page does not say to try again: ${reply.body.slice(0, 300)}`);
    assert.ok(
      reply.body.includes(retryAfter) || /\b\d{1,2}:\d{2}\b/.test(reply.body),
      `${acctid}: the 429 page does not say when (neither ${retryAfter} seconds nor a time): ${reply.body.slice(0, 300)}`,
    );
    assert.ok(!LOOKUP_ANSWER.test(reply.body), `${acctid}: a limited lookup still shows an answer`);
  }

  // A new cookie and token from the same address is the same client: still limited.
  const another = new Browser(server.baseUrl, server.caFile);
  const fresh = await another.openLookupPage();
  assert.equal(fresh.page.status, 200, 'the form page itself is not limited');
  const again = await another.postForm({ acctid: 'ACCT100', csrf_token: fresh.token });
  assert.equal(again.status, 429, `a fresh cookie from the same address reset the limit: ${again.status} ${again.body.slice(0, 200)}`);
  assert.ok(!LOOKUP_ANSWER.test(again.body));
});
