/** The server as a process: TLS only, logs, restarts, shutdown and start-up failures. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Browser } from '../support/https-client.js';
import { makeCertDir, OWN_SERVER_SKIP, runServerToExit, startServer } from '../support/server-process.js';

const skip = OWN_SERVER_SKIP;

function plainHttpGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(`status ${res.statusCode}: ${body}`));
    });
    req.on('error', (error) => resolve(`error: ${error.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('the server process', { skip }, () => {
  test('plain HTTP to the HTTPS port gets no page', async () => {
    const server = await startServer();
    try {
      const answer = await plainHttpGet(Number(new URL(server.baseUrl).port));
      assert.doesNotMatch(answer, /Account lookup|<html/i, answer);
    } finally {
      await server.cleanup();
    }
  });

  test('in development it logs readable lines, the first of them saying where the app and the staff sign-in are', async () => {
    // No LOG_FORMAT and no NODE_ENV: what `npm run dev` gets.
    const server = await startServer({ LOG_FORMAT: '' });
    try {
      assert.equal(await server.stop(), 0);
      const serving = server.logLines.find((line) => line.includes('serving https://'));
      assert.ok(serving, server.logLines.join('\n'));
      assert.doesNotMatch(serving, /^\s*\{/, 'a readable line, not JSON');
      assert.match(serving, /INFO/);
      assert.ok(serving.includes(`serving ${server.baseUrl}/ (staff sign in: ${server.baseUrl}/login)`), serving);
    } finally {
      await server.cleanup();
    }
  });

  test('logs one JSON line per request with id, method, path, status and duration, and no token or cookie', async () => {
    const server = await startServer();
    try {
      const visitor = new Browser(server.baseUrl, server.caFile);
      const { token } = await visitor.openLookupPage();
      await visitor.postForm({ acctid: 'ACCT100', csrf_token: token });
      await visitor.request('/missing?secret=1');
      const stopped = await server.stop();
      assert.equal(stopped, 0);
      const lines = server.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const requests = lines.filter((line) => line.msg === 'request completed');
      assert.deepEqual(
        requests.map((line) => [line.method, line.path, line.statusCode]),
        [
          ['GET', '/', 200],
          ['POST', '/', 200],
          ['GET', '/missing', 404],
        ],
      );
      for (const line of requests) {
        assert.match(String(line.reqId), /^[0-9a-f-]{36}$/);
        assert.equal(typeof line.durationMs, 'number');
      }
      const everything = server.logLines.join('\n');
      assert.ok(!everything.includes(token), 'the CSRF token was logged');
      assert.ok(!everything.includes(visitor.cookieHeader().split('=')[1] ?? '<none>'), 'the cookie was logged');
      assert.ok(!everything.includes('secret=1'), 'the query string was logged');
    } finally {
      await server.cleanup();
    }
  });

  test('a second start on the same database seeds nothing twice and keeps serving the same balances', async () => {
    const dir = makeCertDir();
    try {
      const first = await startServer({}, dir);
      assert.equal(await first.stop(), 0);
      const second = await startServer({}, dir);
      try {
        assert.ok(second.logLines.some((line) => line.includes('0 added, 3 already present')), second.logLines.join('\n'));
        const visitor = new Browser(second.baseUrl, second.caFile);
        const { token } = await visitor.openLookupPage();
        const reply = await visitor.postForm({ acctid: 'ACCT200', csrf_token: token });
        assert.match(reply.body, /Account balance: -10\.00 USD/);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on SIGTERM it finishes and exits 0', async () => {
    const server = await startServer();
    try {
      const started = Date.now();
      assert.equal(await server.stop(), 0);
      assert.ok(Date.now() - started < 5000);
      assert.ok(server.logLines.some((line) => line.includes('shutting down')));
    } finally {
      await server.cleanup();
    }
  });

  test('when the database cannot be reached it retries, then exits 1 naming the host', () => {
    const dir = makeCertDir();
    try {
      const run = runServerToExit({
        TLS_CERT_FILE: join(dir, 'ssl', 'cert.pem'),
        TLS_KEY_FILE: join(dir, 'ssl', 'key.pem'),
        // A made-up password that must not be printed. secretlint-disable-next-line
        DATABASE_URL: 'mysql://crm:hunter2-password@127.0.0.1:1/crm',
        DB_CONNECT_ATTEMPTS: '3',
        DB_CONNECT_DELAY_MS: '50',
      });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /could not reach the mysql at 127\.0\.0\.1:1\/crm after 3 attempts/);
      assert.equal(run.stdout.split('\n').filter((line) => line.includes('waiting for the mysql')).length, 2);
      assert.ok(!`${run.stdout}${run.stderr}`.includes('hunter2'), 'the password was printed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without a certificate it exits 1 and says how to make one', () => {
    const run = runServerToExit({ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem', DATABASE_URL: 'sqlite::memory:' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot read the TLS certificate .*make_cert\.sh/);
  });

  test('settings in .env (or the file ENV_FILE names) are read by the server itself', () => {
    const dir = makeCertDir();
    try {
      writeFileSync(join(dir, 'settings.env'), 'LOG_LEVEL=loud\n');
      const run = runServerToExit({ ENV_FILE: join(dir, 'settings.env'), DATABASE_URL: 'sqlite::memory:' });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /LOG_LEVEL: must be a pino level/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in development without SESSION_SECRET a form stays valid across a restart (the secret is kept in var/)', async () => {
    const dir = makeCertDir();
    try {
      const env = { NODE_ENV: 'development', SESSION_SECRET: '' };
      const first = await startServer(env, dir);
      const visitor = new Browser(first.baseUrl, first.caFile);
      const { token } = await visitor.openLookupPage();
      assert.ok(!first.logLines.some((line) => line.includes('"level":40') && line.includes('SESSION_SECRET')), 'a warning about SESSION_SECRET');
      assert.equal(await first.stop(), 0);
      const second = await startServer(env, dir);
      try {
        const again = new Browser(second.baseUrl, second.caFile);
        again.copyCookiesFrom(visitor);
        const reply = await again.postForm({ acctid: 'ACCT100', csrf_token: token });
        assert.match(reply.body, /Account balance: 40\.00 USD/);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with an invalid setting it exits 2 and names the variable', () => {
    const run = runServerToExit({ PORT: 'eighty', DATABASE_URL: 'redis://x/0' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /PORT: must be a whole number/);
  });
});
