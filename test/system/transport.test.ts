/** What only a real process shows: TLS versions and suites, the plain-HTTP redirect, refused credentials. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { makeCertDir, OWN_SERVER_SKIP, runServerToExit, startServer, type ServerProcess } from '../support/server-process.js';
import { startHint, TEST_DATABASES } from '../support/test-databases.js';
import { skipReason } from '../support/tools.js';

const skip = OWN_SERVER_SKIP;

function handshake(port: number, options: ConnectionOptions): Promise<{ ok: true; protocol: string | null; cipher: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...options }, () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.end();
    });
    socket.on('error', (error: Error) => resolve({ ok: false, error: error.message }));
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  });
}

describe('transport', { skip }, () => {
  let server: ServerProcess;
  let port: number;
  before(async () => {
    server = await startServer({ HTTP_REDIRECT_PORT: '0' });
    port = Number(new URL(server.baseUrl).port);
  });
  after(async () => server?.cleanup());

  test('TLS 1.3 and 1.2 are offered; 1.1 and 1.0 are not', async () => {
    assert.equal((await handshake(port, { minVersion: 'TLSv1.3' })).ok, true);
    const tls12 = await handshake(port, { maxVersion: 'TLSv1.2' });
    assert.ok(tls12.ok && tls12.protocol === 'TLSv1.2');
    for (const version of ['TLSv1.1', 'TLSv1'] as const) {
      // OpenSSL 3 refuses these at security level 1; lowering it asks the server, not our client policy.
      const old = await handshake(port, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' });
      assert.equal(old.ok, false, version);
    }
  });

  test('in TLS 1.2 only forward-secret AEAD suites are accepted: static RSA and CBC are refused', async () => {
    for (const cipher of ['AES128-GCM-SHA256', 'AES256-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
      const offered = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.equal(offered.ok, false, `${cipher} was accepted`);
    }
    for (const cipher of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-CHACHA20-POLY1305']) {
      const offered = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.ok(offered.ok && offered.cipher === cipher, `${cipher} was refused`);
    }
  });

  test('the plain-HTTP port only redirects to the same path over HTTPS', async () => {
    const redirectPort = server.redirectPort;
    assert.ok(redirectPort, 'the server reported its redirect port');
    const answer = await new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: redirectPort, path: '/some/page?x=1', headers: { host: `localhost:${redirectPort}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 308);
    assert.equal(answer.location, `https://localhost:${port}/some/page?x=1`);
    assert.doesNotMatch(answer.body, /Account|<form/);
  });
});

describe('refused database credentials', { skip }, () => {
  test('a wrong password stops start-up at once with "access denied", without retrying', (t) => {
    const dir = makeCertDir();
    try {
      const started = Date.now();
      const run = runServerToExit({
        TLS_CERT_FILE: join(dir, 'ssl', 'cert.pem'),
        TLS_KEY_FILE: join(dir, 'ssl', 'key.pem'),
        // A made-up user and password that must not be printed. secretlint-disable-next-line
        DATABASE_URL: `${TEST_DATABASES[1]!.url.replace(/\/\/[^@]*@/, '//crm_nobody:wrong-password-xyz@')}`,
        DB_CONNECT_ATTEMPTS: '10',
        DB_CONNECT_DELAY_MS: '2000',
      });
      if (/ECONNREFUSED/.test(run.stderr) && process.env.CI !== 'true') return t.skip(skipReason('MariaDB is not running', startHint('TEST_MYSQL_URL')));
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /access denied by the mysql at/);
      assert.doesNotMatch(run.stderr, /could not reach/);
      assert.ok(!`${run.stdout}${run.stderr}`.includes('wrong-password-xyz'), 'the password was printed');
      assert.ok(Date.now() - started < 8000, 'it retried');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
