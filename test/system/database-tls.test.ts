/**
 * DATABASE_CA_FILE against real servers that accept TLS only: a private
 * mariadbd with require_secure_transport=ON and a private PostgreSQL with
 * ssl=on and hostssl-only pg_hba, both holding a server certificate (for the
 * name localhost) signed by a throwaway CA. The provider's CA lets the app in;
 * another CA, a certificate for another host name, or a server without TLS
 * are refused at the first connection, and start-up says it was TLS
 * verification, never falling back to plain text.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import { createDatabase, DatabaseCaFileError } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { isDatabaseUnavailable, isTlsRefused } from '../../src/platform/db/unavailable.js';
import { DatabaseTlsError, describeError, pingDatabase, waitForDatabase } from '../../src/platform/db/wait-for-database.js';
import { Browser } from '../support/https-client.js';
import { mariadbBin, postgresBin, startPrivateMariadb, startPrivatePostgres, type PrivateServer } from '../support/private-servers.js';
import { makeCertDir, OWN_SERVER_SKIP, runServerToExit, startServer } from '../support/server-process.js';
import { TEST_DATABASES } from '../support/test-databases.js';
import { issueServerCert, makeCa, type CertificateFiles } from '../support/throwaway-ca.js';
import { requireTool, skipOrFail } from '../support/tools.js';

const PASSWORD = 'tls-test-password-0123456789';

interface Engine {
  readonly name: string;
  readonly kind: 'mysql' | 'postgres';
  /** The URL of the private server's database crm, through `host`. */
  url(host: string): string;
  /** Whether this connection is encrypted, as the server sees it. */
  encrypted(db: ReturnType<typeof pool>): Promise<boolean>;
  readonly server: PrivateServer;
  /** Makes the server read its certificate files again. */
  reloadCertificate(): Promise<unknown>;
  /** The run's plain test server of the same engine (no TLS configured), to show there is no plain-text fallback. */
  readonly plain: string;
}

function pool(url: string, caFile?: string) {
  return createDatabase(parseDatabaseUrl(url), { poolSize: 1, connectTimeoutMs: 5000, caFile });
}

test('DATABASE_CA_FILE: TLS to MariaDB and PostgreSQL with the server certificate verified', { skip: OWN_SERVER_SKIP }, async (t) => {
  if (!requireTool(t, 'openssl')) return;
  if (!mariadbBin()) return skipOrFail(t, 'mariadbd is not installed', 'apt-get install -y mariadb-server');
  if (!postgresBin('initdb')) return skipOrFail(t, "PostgreSQL's initdb is not installed", 'apt-get install -y postgresql');

  const certDir = makeCertDir();
  after(() => rmSync(certDir, { recursive: true, force: true }));
  const providerCa = await makeCa(certDir, 'provider-ca');
  const otherCa = await makeCa(certDir, 'other-ca');
  const server = await issueServerCert(providerCa, certDir, 'db-server', ['localhost']);
  const otherName = await issueServerCert(providerCa, certDir, 'other-name', ['db.example.com']);
  const tlsFiles = { 'ca.pem': providerCa.certFile, 'server.pem': server.certFile, 'server.key': server.keyFile };

  const started: PrivateServer[] = [];
  after(() => Promise.all(started.map((s) => s.stop())));
  const [mariadb, postgres] = await Promise.all([
    startPrivateMariadb({
      files: tlsFiles,
      args: ['--ssl-ca={ca.pem}', '--ssl-cert={server.pem}', '--ssl-key={server.key}', '--require-secure-transport=ON'],
    }).then((s) => (started.push(s), s)),
    startPrivatePostgres({
      files: tlsFiles,
      settings: { ssl: 'on', ssl_cert_file: '{server.pem}', ssl_key_file: '{server.key}' },
      // TCP only with TLS: a plain connection finds no pg_hba line.
      hba: ['hostssl all all 127.0.0.1/32 trust', 'hostssl all all ::1/128 trust'],
    }).then((s) => (started.push(s), s)),
  ]);
  await mariadb.sql(`CREATE DATABASE crm CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE USER crm@'%' IDENTIFIED BY '${PASSWORD}'; GRANT ALL ON crm.* TO crm@'%'`);
  await postgres.sql('CREATE DATABASE crm');

  const engines: Engine[] = [
    {
      name: 'MariaDB',
      kind: 'mysql',
      server: mariadb,
      reloadCertificate: () => mariadb.sql('FLUSH SSL'),
      url: (host) => `mysql://crm:${PASSWORD}@${host}:${mariadb.port}/crm`,
      encrypted: async (db) => {
        const { rows } = await sql<{ Value: string }>`show session status like 'Ssl_version'`.execute(db);
        return /^TLSv1\.[23]$/.test(rows[0]?.Value ?? '');
      },
      plain: TEST_DATABASES.find((d) => d.variable === 'TEST_MYSQL_URL')!.url,
    },
    {
      name: 'PostgreSQL',
      kind: 'postgres',
      server: postgres,
      reloadCertificate: () => postgres.sql('select pg_reload_conf()'),
      url: (host) => `postgres://postgres@${host}:${postgres.port}/crm`,
      encrypted: async (db) => {
        const { rows } = await sql<{ ssl: boolean }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(db);
        return rows[0]?.ssl === true;
      },
      plain: TEST_DATABASES.find((d) => d.variable === 'TEST_POSTGRES_URL')!.url,
    },
  ];

  for (const engine of engines) {
    const where = (host: string) => `${engine.kind} at ${host}:${new URL(engine.url(host)).port}/crm`;
    const refusal = async (url: string, caFile?: string) => {
      const db = pool(url, caFile);
      try {
        await pingDatabase(db);
        return undefined;
      } catch (error) {
        return error;
      } finally {
        await db.destroy();
      }
    };

    await t.test(`${engine.name}: with the CA that signed the server's certificate the connection is TLS, and without DATABASE_CA_FILE the server refuses`, async () => {
      const db = pool(engine.url('localhost'), providerCa.certFile);
      try {
        assert.equal(await engine.encrypted(db), true);
      } finally {
        await db.destroy();
      }
      // The server takes TLS only, so the connection above did not happen in plain text by chance:
      // the same user and password without TLS are turned away (MariaDB's require_secure_transport
      // answers "access denied", PostgreSQL finds no pg_hba line for a connection with "no encryption").
      const plain = await refusal(engine.url('localhost'));
      assert.ok(plain, 'a plain connection was accepted');
      assert.match(describeError(plain), engine.kind === 'mysql' ? /ER_ACCESS_DENIED_ERROR|insecure transport/ : /no encryption/);
    });

    await t.test(`${engine.name}: another CA is refused at the first attempt as a TLS verification failure, which requests see as 503`, async () => {
      const error = await refusal(engine.url('localhost'), otherCa.certFile);
      assert.ok(error, 'a server certificate from another CA was accepted');
      assert.equal(isTlsRefused(error), true, describeError(error));
      assert.equal(isDatabaseUnavailable(error), true);
      assert.match(describeError(error), /self-signed certificate in certificate chain|unable to verify|unable to get/i);

      const db = pool(engine.url('localhost'), otherCa.certFile);
      const retries: number[] = [];
      try {
        // Five attempts would take seconds; a refused certificate stops at the first.
        await assert.rejects(
          waitForDatabase(db, where('localhost'), { attempts: 5, maxDelayMs: 10_000 }, (attempt) => retries.push(attempt)),
          (thrown: Error) => thrown instanceof DatabaseTlsError && thrown.message.startsWith(`TLS verification of the ${where('localhost')} failed`),
        );
      } finally {
        await db.destroy();
      }
      assert.deepEqual(retries, []);
    });

    await t.test(`${engine.name}: the right CA is refused when the server's certificate names another host`, async () => {
      // The provider's CA signed it, but for db.example.com: what a man in the middle with any certificate from that CA would show.
      const swap = async (cert: CertificateFiles) => {
        await engine.server.place({ 'server.pem': cert.certFile, 'server.key': cert.keyFile });
        await engine.reloadCertificate();
      };
      await swap(otherName);
      try {
        let error: unknown;
        // PostgreSQL reloads on a signal: wait until a connection meets the new certificate.
        for (let tries = 0; tries < 40 && !isTlsRefused(error); tries++) {
          error = await refusal(engine.url('localhost'), providerCa.certFile);
          if (!isTlsRefused(error)) await sleep(100);
        }
        assert.ok(error, 'a certificate for another host name was accepted');
        assert.equal(isTlsRefused(error), true, describeError(error));
        assert.match(describeError(error), /does not match certificate's altnames/);
      } finally {
        await swap(server);
      }
      assert.equal(await refusal(engine.url('localhost'), providerCa.certFile), undefined, 'the original certificate is not back');
    });

    await t.test(`${engine.name}: a server that offers no TLS is refused, never used in plain text`, async (st: TestContext) => {
      const probe = pool(engine.plain);
      let tlsOn: boolean;
      try {
        tlsOn =
          engine.kind === 'mysql'
            ? (await sql<{ Value: string }>`show variables like 'have_ssl'`.execute(probe)).rows[0]?.Value === 'YES'
            : (await sql<{ ssl: string }>`show ssl`.execute(probe)).rows[0]?.ssl === 'on';
      } catch (error) {
        return skipOrFail(st, `the plain test server ${engine.plain} is not reachable (${describeError(error)})`, 'bash scripts/test.sh');
      } finally {
        await probe.destroy();
      }
      if (tlsOn) return st.skip(`the test server ${engine.plain} has TLS on; the private servers scripts/test-databases.sh starts have not`);
      const error = await refusal(engine.plain, providerCa.certFile);
      assert.ok(error, 'connected without TLS although DATABASE_CA_FILE was set');
      assert.equal(isTlsRefused(error), true, describeError(error));
      assert.match(describeError(error), /does not support (SSL|secure connection)|HANDSHAKE_NO_SSL_SUPPORT/i);
    });

    await t.test(`${engine.name}: the app started with DATABASE_CA_FILE migrates, is ready and serves the lookup over the verified connection`, async () => {
      // It migrates a fresh database first: on a busy machine that outlasts the usual 20 s.
      const app = await startServer(
        { DATABASE_URL: engine.url('localhost'), DATABASE_CA_FILE: providerCa.certFile, DB_CONNECT_ATTEMPTS: '3', DB_CONNECT_DELAY_MS: '500' },
        undefined,
        { startTimeoutMs: 60_000 },
      );
      try {
        const visitor = new Browser(app.baseUrl, app.caFile);
        assert.equal((await visitor.request('/readyz')).status, 200);
        const { token } = await visitor.openLookupPage();
        const reply = await visitor.postForm({ acctid: 'ACCT100', csrf_token: token });
        assert.match(reply.body, /Account balance: 40\.00 USD/);
      } finally {
        await app.cleanup();
      }
    });

    await t.test(`${engine.name}: replica pools (DATABASE_REPLICA_URL) connect with the same verified TLS`, async () => {
      // The TLS-only server stands in as its own replica: its heartbeat is read back at once.
      // Were the replica's pool made without the CA, the server would refuse it.
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: engine.url('localhost'),
        DATABASE_REPLICA_URL: engine.url('localhost'),
        DATABASE_CA_FILE: providerCa.certFile,
      });
      const deps = createDeps(config, { poolSize: 2, logger: pino({ level: 'silent' }), redis: false });
      try {
        // The heartbeat's table, whether or not the app above got as far.
        await migrateDatabase(deps.db);
        await deps.reads.start();
        assert.deepEqual(deps.reads.replicas().map((r) => r.state), ['healthy']);
        const replica = await deps.reads.readsFor(null);
        assert.notEqual(replica, deps.db, 'the read did not go to the replica');
        assert.equal(await engine.encrypted(replica as unknown as ReturnType<typeof pool>), true);
      } finally {
        await deps.close();
      }
    });

    // Start-up takes the same path (waitForDatabase) for both engines: one process shows it.
    if (engine.kind === 'mysql') await t.test(`${engine.name}: the app started with another CA stops at once, saying TLS verification failed`, () => {
      const certs = makeCertDir();
      try {
        const run = runServerToExit({
          TLS_CERT_FILE: join(certs, 'ssl', 'cert.pem'),
          TLS_KEY_FILE: join(certs, 'ssl', 'key.pem'),
          DATABASE_URL: engine.url('localhost'),
          DATABASE_CA_FILE: otherCa.certFile,
          DB_CONNECT_ATTEMPTS: '5',
          DB_CONNECT_DELAY_MS: '10000',
        });
        assert.equal(run.status, 1, run.stderr);
        assert.ok(run.stderr.includes(`cannot start: TLS verification of the ${where('localhost')} failed: `), run.stderr);
        assert.match(run.stderr, /self-signed certificate in certificate chain.*nothing was sent in plain text/);
        assert.doesNotMatch(run.stdout, /waiting for the/);
        assert.ok(!run.stderr.includes(PASSWORD), 'the password was printed');
      } finally {
        rmSync(certs, { recursive: true, force: true });
      }
    });
  }

  await t.test('a DATABASE_CA_FILE that is missing or holds no certificate stops the pool being made, with what to do', () => {
    assert.throws(() => pool(engines[0]!.url('localhost'), join(certDir, 'missing.pem')), (error: Error) => {
      return error instanceof DatabaseCaFileError && /DATABASE_CA_FILE .*missing\.pem cannot be read \(ENOENT\): point it at the database provider's CA bundle/.test(error.message);
    });
    assert.throws(() => pool(engines[1]!.url('localhost'), providerCa.keyFile), /holds no PEM certificate/);
  });
});
