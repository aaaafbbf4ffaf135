/**
 * SQL injection: Debian's sqlmap against the lookup form, with the visitor's
 * cookie and the CSRF token refreshed from the page for every request, so its
 * payloads reach the lookup (not just the CSRF check). It must find nothing
 * injectable, and the server's log must show that its posts were handled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Browser } from '../support/https-client.js';
import { logEntries, requireCommand, scaled, serverFor } from './support.js';

const LEVEL = 2;
const BUDGET_S = scaled({ ci: 90, full: 120 });

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test(`sqlmap (level ${LEVEL}, risk 1) finds no injectable parameter in the lookup form, and its payloads get past the CSRF check`, { timeout: (BUDGET_S + 30) * 1000 }, async (t) => {
  const sqlmap = requireCommand(t, ['sqlmap'], 'apt-get install -y sqlmap');
  if (!sqlmap) return;
  const server = await serverFor(t, { LOOKUP_RATE_LIMIT: '0' });
  const visitor = new Browser(server.baseUrl, server.caFile);
  const { token } = await visitor.openLookupPage();
  const home = mkdtempSync(join(tmpdir(), 'crm-sqlmap-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const base = `${server.baseUrl}/`;

  const started = performance.now();
  const { code, output } = await run(
    'timeout',
    [
      '--kill-after=5',
      String(BUDGET_S),
      sqlmap,
      '-u', base,
      '--data', `acctid=ACCT100&csrf_token=${encodeURIComponent(token)}`,
      '--cookie', visitor.cookieHeader(),
      '--csrf-token=csrf_token',
      `--csrf-url=${base}`,
      '-p', 'acctid',
      '--level', String(LEVEL),
      '--risk', '1',
      '--batch',
      '--timeout', '10',
      '--time-sec', '2',
      '--retries', '1',
      '--disable-coloring',
      '--output-dir', join(home, 'output'),
    ],
    { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb', LANG: 'C.UTF-8' },
  );
  const seconds = (performance.now() - started) / 1000;
  const posts = logEntries(server).filter((line) => line.method === 'POST' && line.path === '/');
  const byStatus = new Map<number, number>();
  for (const line of posts) byStatus.set(Number(line.statusCode), (byStatus.get(Number(line.statusCode)) ?? 0) + 1);
  const summary = output
    .split(/\r?\n|\r/)
    .filter((line) => /WARNING|ERROR|CRITICAL|injectable|vulnerable|identified|HTTP error codes|^\d{3} \(/.test(line))
    .slice(-15)
    .join('\n');
  t.diagnostic(`sqlmap exited ${String(code)} after ${seconds.toFixed(1)} s; POST / in the server log by status: ${JSON.stringify(Object.fromEntries(byStatus))}`);
  for (const line of summary.split('\n')) t.diagnostic(line.slice(0, 240));

  assert.notEqual(code, 124, `sqlmap did not finish within ${BUDGET_S} s`);
  assert.match(output, /testing for SQL injection on POST parameter 'acctid'/, 'sqlmap never tested acctid');
  assert.doesNotMatch(output, /parameter 'acctid' (?:appears to be .*injectable|is vulnerable)|sqlmap identified the following injection point/i, `sqlmap found an injection:\n${summary}`);
  assert.match(output, /all tested parameters do not appear to be injectable|POST parameter 'acctid' does not seem to be injectable/, `sqlmap did not conclude:\n${summary}`);

  const handled = (byStatus.get(200) ?? 0) + (byStatus.get(400) ?? 0);
  const refused = byStatus.get(403) ?? 0;
  const failed = [...byStatus].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  assert.equal(failed, 0, `${failed} of sqlmap's posts got a 5xx`);
  assert.ok((byStatus.get(200) ?? 0) > 0, 'no post of sqlmap was answered 200: it never reached the lookup');
  assert.ok(handled >= 100, `only ${handled} of sqlmap's ${posts.length} posts got past the CSRF check to the lookup (200 or 400)`);
  assert.ok(refused <= posts.length * 0.05, `${refused} of sqlmap's ${posts.length} posts were refused by the CSRF check: the scan did not reach the lookup`);
});
