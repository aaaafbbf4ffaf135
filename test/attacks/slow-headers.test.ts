/**
 * Slowloris: many TLS connections send the headers of a request one byte a
 * second, never finishing them. Each byte comes before the idle timeout, so
 * only a headers deadline can end them. Half of them never read the 408: the
 * server must let go of those too. The server must close every one within
 * the bound and keep serving a normal visitor meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionBudget, describeSlowAttack, normalVisit, scaled, serverFor, slowConnectionsAttack } from './support.js';

const HEADERS_TIMEOUT_MS = 2000;
/** Headers deadline, plus the server's check interval and a loaded machine's slack. */
const BOUND_MS = 8000;
const DRIP_MS = 1000;

test('slowloris connections (headers one byte a second) are closed by the server within 8 s, also when the client never reads the answer, and a normal visitor is served meanwhile', { timeout: 120_000 }, async (t) => {
  const { count, limit } = connectionBudget(scaled({ ci: 200, full: 2000 }));
  t.diagnostic(`${count} slowloris connections (ulimit -n ${limit})`);
  const server = await serverFor(t, {
    REQUEST_TIMEOUT_MS: '2000',
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    CONNECTION_TIMEOUT_MS: '3000',
  });
  const host = new URL(server.baseUrl).host;
  // A long, never-ending header block: at one byte a second it would take minutes.
  const headers =
    `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (slowloris)\r\nAccept: text/html\r\n` +
    Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: ${'a'.repeat(20)}\r\n`).join('');

  const { result, during: visit } = await slowConnectionsAttack(
    server,
    { count, head: Buffer.alloc(0), drip: Buffer.from(headers, 'latin1'), dripMs: DRIP_MS, boundMs: BOUND_MS, alsoNeverReading: true },
    () => normalVisit(server, BOUND_MS),
  );
  t.diagnostic(describeSlowAttack(result));
  t.diagnostic(`normal visitor: ${visit.detail} after ${visit.attempts} attempt(s), ${visit.ms} ms`);

  assert.ok(result.opened > 0, 'no attack connection could be opened at all');
  assert.equal(
    result.stillOpenAtBound,
    0,
    `${result.stillOpenAtBound} of ${result.opened} slowloris connections were still open ${BOUND_MS / 1000} s after their first byte, ${result.neverReadingStillOpenAtBound} of them never reading ` +
      `(HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS} is not enforced, or the server keeps a socket after its 408 while the client sends)`,
  );
  assert.ok(visit.ok, `a normal visitor was not served during the attack: ${visit.detail}`);
  assert.ok(visit.ms < BOUND_MS, `the normal visitor waited ${visit.ms} ms`);

  const after = await normalVisit(server, 5000);
  assert.ok(after.ok, `the server does not answer after the attack: ${after.detail}`);
});
