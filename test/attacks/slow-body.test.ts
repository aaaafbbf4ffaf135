/**
 * Slow body ("slow POST", R-U-Dead-Yet): many TLS connections send the
 * headers of a form post promising 100 bytes, then one body byte every 2 s,
 * just under the idle timeout, so only a whole-request deadline can end them.
 * Half of them never read: the server must let go of those too, not wait
 * for a client that keeps sending to close. The server must close every one
 * within the bound and keep serving a normal visitor meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionBudget, describeSlowAttack, normalVisit, scaled, serverFor, slowConnectionsAttack } from './support.js';

const REQUEST_TIMEOUT_MS = 2000;
const CONNECTION_TIMEOUT_MS = 3000;
/** Request deadline, plus the server's check interval and a loaded machine's slack. */
const BOUND_MS = 8000;
const DRIP_MS = 2000;

test('slow-body connections are closed by the server within 8 s, also when the client never reads the answer, and a normal visitor is served meanwhile', { timeout: 120_000 }, async (t) => {
  const { count, limit } = connectionBudget(scaled({ ci: 200, full: 2000 }));
  t.diagnostic(`${count} slow-body connections (ulimit -n ${limit})`);
  const server = await serverFor(t, {
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: '2000',
    CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
  });
  const host = new URL(server.baseUrl).host;
  const body = 'acctid=ACCT100&csrf_token='.padEnd(100, 'x');
  const head = Buffer.from(
    `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );

  const { result, during: visit } = await slowConnectionsAttack(
    server,
    { count, head, drip: Buffer.from(body, 'latin1'), dripMs: DRIP_MS, boundMs: BOUND_MS, alsoNeverReading: true },
    () => normalVisit(server, BOUND_MS),
  );
  t.diagnostic(describeSlowAttack(result));
  t.diagnostic(`normal visitor: ${visit.detail} after ${visit.attempts} attempt(s), ${visit.ms} ms`);

  assert.ok(result.opened > 0, 'no attack connection could be opened at all');
  assert.equal(
    result.stillOpenAtBound,
    0,
    `${result.stillOpenAtBound} of ${result.opened} slow-body connections were still open ${BOUND_MS / 1000} s after their first byte, ${result.neverReadingStillOpenAtBound} of them never reading ` +
      `(REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS} is not enforced, or the server keeps a socket after its 408 while the client sends)`,
  );
  assert.ok(visit.ok, `a normal visitor was not served during the attack: ${visit.detail}`);
  assert.ok(visit.ms < BOUND_MS, `the normal visitor waited ${visit.ms} ms`);

  const health = await normalVisit(server, 5000);
  assert.ok(health.ok, `the server does not answer after the attack: ${health.detail}`);
});
