import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  test('without any variable, serves HTTPS on 5000 from an embedded SQLite file', () => {
    const config = loadConfig({});
    assert.equal(config.port, 5000);
    assert.deepEqual(config.tls, { certFile: 'ssl/cert.pem', keyFile: 'ssl/key.pem' });
    assert.deepEqual(config.database, { kind: 'sqlite', file: 'var/crm.db' });
    assert.equal(config.seedFile, 'data/initial.json');
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.sessionSecretSource, 'random');
    assert.equal(config.sessionSecret.length, 64);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database));
  });

  test('reads every database URL form', () => {
    // A made-up password, to test URL decoding. secretlint-disable-next-line
    assert.deepEqual(loadConfig({ DATABASE_URL: 'mysql://crm:s%40cret@db:3307/crm' }).database, {
      kind: 'mysql', host: 'db', port: 3307, user: 'crm', password: 's@cret', database: 'crm',
    });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/crm' }).database, {
      kind: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: undefined, database: 'crm',
    });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database, { kind: 'sqlite', file: ':memory:' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/crm.db' }).database, { kind: 'sqlite', file: '/var/lib/crm.db' });
  });

  test('DATABASE_PASSWORD overrides the password in the URL', () => {
    const { database } = loadConfig({ DATABASE_URL: 'mysql://crm:old@db/crm', DATABASE_PASSWORD: 'from-a-secret' });
    assert.equal(database.kind === 'mysql' && database.password, 'from-a-secret');
  });

  test('DATABASE_CA_FILE is kept for a mysql:// or postgres:// URL and refused with a sqlite: one', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'mysql://crm@db.example.com/crm', DATABASE_CA_FILE: '/etc/crm/db-ca/global-bundle.pem' }).databaseCaFile, '/etc/crm/db-ca/global-bundle.pem');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://crm@db/crm' }).databaseCaFile, null);
    assert.throws(() => loadConfig({ DATABASE_URL: 'sqlite::memory:', DATABASE_CA_FILE: '/ca.pem' }), /DATABASE_CA_FILE: applies to a mysql:\/\/ or postgres:\/\/ DATABASE_URL only/);
  });

  test('empty variables count as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 5000);
  });

  test('flags accept true/false and SEED_ACCOUNTS=false switches seeding off', () => {
    const config = loadConfig({ MIGRATE_ON_START: 'false', SEED_ACCOUNTS: 'false' });
    assert.equal(config.migrateOnStart, false);
    assert.equal(config.seedFile, null);
  });

  test('names every bad variable and why', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: '70000', DB_POOL_SIZE: 'ten', MIGRATE_ON_START: 'maybe', LOG_LEVEL: 'loud' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'PORT: must be at most 65535',
      'DB_POOL_SIZE: must be a whole number',
      'MIGRATE_ON_START: must be true or false',
      'LOG_LEVEL: must be a pino level such as info or debug',
    ]);
  });

  test('refuses unsupported or incomplete database URLs', () => {
    assert.throws(() => loadConfig({ DATABASE_URL: 'redis://localhost/0' }), /DATABASE_URL: has the unsupported scheme "redis"/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://db' }), /DATABASE_URL: needs a database name/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'sqlite:' }), /DATABASE_URL: a sqlite: URL needs a file path/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'not a url' }), /DATABASE_URL: is not a URL/);
  });

  test('in production a shared SESSION_SECRET of at least 32 characters is required', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /SESSION_SECRET: is required when NODE_ENV=production/);
    assert.throws(() => loadConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET: must be at least 32 characters/);
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: '3f9c2b7a1e8d4c6f0a5b9e2d7c1f4a8b' });
    assert.equal(config.sessionSecretSource, 'environment');
  });

  test('logs are readable in development and JSON in production and test, unless LOG_FORMAT says otherwise', () => {
    const secret = '3f9c2b7a1e8d4c6f0a5b9e2d7c1f4a8b';
    assert.equal(loadConfig({}).logFormat, 'pretty');
    assert.equal(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: secret }).logFormat, 'json');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.equal(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: secret, LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT: must be json or pretty/);
  });
});

describe('SESSION_SECRET strength', () => {
  for (const [name, secret] of [
    ['the .env.example placeholder', 'change-me-to-a-random-string-of-32-or-more-chars'],
    ['32 spaces', ' '.repeat(32)],
    ['32 × "a"', 'a'.repeat(32)],
    ['a short repeated pattern', 'ab'.repeat(20)],
    ['a placeholder in another spelling', 'REPLACE_ME_with_a_real_secret_value_0123'],
  ] as const) {
    test(`${name} is refused, in any environment, with how to make a real one`, () => {
      for (const NODE_ENV of ['production', 'development']) {
        assert.throws(() => loadConfig({ NODE_ENV, SESSION_SECRET: secret }), /SESSION_SECRET: .*openssl rand -hex 32/);
      }
    });
  }

  test('a random hex secret is accepted', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: randomBytes(32).toString('hex') }).sessionSecretSource, 'environment');
    assert.equal(loadConfig({ SESSION_SECRET: randomBytes(16).toString('hex') }).sessionSecretSource, 'environment');
  });

  test('in development without SESSION_SECRET the kept development secret is used, so reloads keep forms valid', () => {
    const config = loadConfig({}, () => 'kept-development-secret-0123456789abcdef');
    assert.equal(config.sessionSecret, 'kept-development-secret-0123456789abcdef');
    assert.equal(config.sessionSecretSource, 'development file');
    assert.equal(loadConfig({ NODE_ENV: 'test' }, () => 'never used').sessionSecretSource, 'random');
  });
});

describe('limits, timeouts and proxies', () => {
  test('defaults bound every wait and limit lookups to 60 a minute', () => {
    const config = loadConfig({});
    assert.deepEqual(config.timeouts, { requestMs: 15_000, headersMs: 10_000, keepAliveMs: 5000, connectionMs: 30_000 });
    assert.equal(config.maxConnections, 1000);
    assert.equal(config.pool.statementTimeoutMs, 5000);
    assert.equal(config.pool.acquireTimeoutMs, 3000);
    assert.deepEqual(config.rateLimits, { lookup: 60, login: 10, api: 600, apiPerUser: 600, staff: 300 });
    assert.equal(config.tokensPerUser, 10);
    assert.equal(config.redisUrl, null);
    assert.equal(config.trustProxy, false);
    assert.equal(config.httpRedirectPort, null);
  });

  test('LOOKUP_RATE_LIMIT=0 switches the limit off', () => {
    assert.equal(loadConfig({ LOOKUP_RATE_LIMIT: '0' }).rateLimits.lookup, 0);
  });

  test('TRUST_PROXY takes a hop count or addresses and CIDRs, never "true"', () => {
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /TRUST_PROXY: "true" is not false/);
    assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/8/1' }), /TRUST_PROXY/);
  });

  test('REDIS_URL must be a redis URL', () => {
    assert.equal(loadConfig({ REDIS_URL: 'redis://redis:6379' }).redisUrl, 'redis://redis:6379');
    assert.throws(() => loadConfig({ REDIS_URL: 'http://redis:6379' }), /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe('display settings', () => {
  test('CRM_LOCALE and CRM_TIME_ZONE default to en-US and UTC, take valid values, and refuse unknown ones by name', () => {
    assert.deepEqual(loadConfig({}).display, { locale: 'en-US', timeZone: 'UTC' });
    assert.deepEqual(loadConfig({ CRM_LOCALE: 'de-DE', CRM_TIME_ZONE: 'Europe/Berlin' }).display, { locale: 'de-DE', timeZone: 'Europe/Berlin' });
    assert.throws(() => loadConfig({ CRM_TIME_ZONE: 'Mars/Olympus' }), (error: Error) => error instanceof ConfigError && /CRM_TIME_ZONE/.test(error.message));
    assert.throws(() => loadConfig({ CRM_LOCALE: 'not a locale!' }), (error: Error) => error instanceof ConfigError && /CRM_LOCALE/.test(error.message));
  });
});

describe('statement settings', () => {
  test('COMPANY_NAME defaults to Globomantics and COMPANY_ADDRESS to no lines; the address splits at | (or line breaks), blank lines dropped', () => {
    assert.deepEqual(loadConfig({}).company, { name: 'Globomantics', addressLines: [] });
    assert.deepEqual(loadConfig({ COMPANY_NAME: '  Globomantics Inc. ', COMPANY_ADDRESS: '1 Main Street | Springfield, IL 62701||USA' }).company, {
      name: 'Globomantics Inc.',
      addressLines: ['1 Main Street', 'Springfield, IL 62701', 'USA'],
    });
    assert.deepEqual(loadConfig({ COMPANY_ADDRESS: 'Hauptstraße 1\n10115 Berlin\r\nDeutschland' }).company.addressLines, ['Hauptstraße 1', '10115 Berlin', 'Deutschland']);
  });

  test('a name over 100 characters, an address over 6 lines or with a line over 80 characters, and control characters are refused by name', () => {
    const refused = (env: Record<string, string>, variable: string) =>
      assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith(`${variable}:`)), JSON.stringify(env));
    refused({ COMPANY_NAME: 'x'.repeat(101) }, 'COMPANY_NAME');
    refused({ COMPANY_NAME: 'Bad\u0007Name' }, 'COMPANY_NAME');
    refused({ COMPANY_ADDRESS: 'a|b|c|d|e|f|g' }, 'COMPANY_ADDRESS');
    refused({ COMPANY_ADDRESS: `1 Main Street|${'y'.repeat(81)}` }, 'COMPANY_ADDRESS');
    refused({ COMPANY_ADDRESS: 'Line\tone' }, 'COMPANY_ADDRESS');
    assert.doesNotThrow(() => loadConfig({ COMPANY_NAME: 'x'.repeat(100), COMPANY_ADDRESS: `a|b|c|d|e|${'y'.repeat(80)}` }));
  });
});

describe('mail settings', () => {
  const refused = (env: Record<string, string>, variable: string, message: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (error: Error) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith(`${variable}:`) && message.test(problem)),
      JSON.stringify(env),
    );

  test('without SMTP_URL nothing is sent, and links point at this server', () => {
    assert.deepEqual(loadConfig({ PORT: '5443' }).mail, { smtpUrl: null, requireTls: false, from: null, domain: 'localhost', publicBaseUrl: 'https://localhost:5443' });
  });

  test('reads an smtp:// or smtps:// server with credentials, the sender and its domain, and the public address without its trailing slash', () => {
    const mail = loadConfig({
      SMTP_URL: 'smtps://billing:s%40cret@mail.example.com:465',
      SMTP_REQUIRE_TLS: 'true',
      MAIL_FROM: 'Globomantics Billing <billing@globomantics.example>',
      PUBLIC_BASE_URL: 'https://crm.globomantics.example/',
    }).mail;
    assert.deepEqual(mail, {
      smtpUrl: 'smtps://billing:s%40cret@mail.example.com:465',
      requireTls: true,
      from: 'Globomantics Billing <billing@globomantics.example>',
      domain: 'globomantics.example',
      publicBaseUrl: 'https://crm.globomantics.example',
    });
    assert.equal(loadConfig({ SMTP_URL: 'smtp://localhost:2525', MAIL_FROM: 'crm@mail.test' }).mail.domain, 'mail.test');
  });

  test('refuses other schemes, half credentials, a sender that is no address, and SMTP without a sender, naming the variable', () => {
    refused({ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'a@b.example' }, 'SMTP_URL', /smtp:\/\//);
    refused({ SMTP_URL: 'mail.example.com:587', MAIL_FROM: 'a@b.example' }, 'SMTP_URL', /smtp:\/\//);
    refused({ SMTP_URL: 'smtp://user@mail.example.com', MAIL_FROM: 'a@b.example' }, 'SMTP_URL', /user and a password/);
    refused({ SMTP_URL: 'smtp://mail.example.com' }, 'MAIL_FROM', /required when SMTP_URL/);
    refused({ MAIL_FROM: 'billing' }, 'MAIL_FROM', /must be an address/);
    refused({ MAIL_FROM: 'Billing <billing@example.com' }, 'MAIL_FROM', /must be an address/);
    refused({ PUBLIC_BASE_URL: 'ftp://crm.example.com' }, 'PUBLIC_BASE_URL', /https:\/\//);
    refused({ NODE_ENV: 'production', SESSION_SECRET: 'f3c9a1d27b6e4058a9d3c1e7b2f40a6d', SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'a@b.example' }, 'PUBLIC_BASE_URL', /required/);
  });

  test('REMINDERS_AT: the daily reminder run off unless set, a time of day HH:MM when set, anything else refused naming it', () => {
    assert.equal(loadConfig({}).remindersAt, null);
    assert.equal(loadConfig({ REMINDERS_AT: '' }).remindersAt, null);
    assert.equal(loadConfig({ REMINDERS_AT: ' 09:00 ' }).remindersAt, '09:00');
    assert.equal(loadConfig({ REMINDERS_AT: '23:59' }).remindersAt, '23:59');
    for (const bad of ['9:00', '24:00', '09:60', '9am', '09:00:00']) refused({ REMINDERS_AT: bad }, 'REMINDERS_AT', /HH:MM/);
  });
});

describe('read replicas', () => {
  // A made-up password. secretlint-disable-next-line
  const MARIADB = 'mysql://crm:writer@db-primary:3306/crm';

  test('without DATABASE_REPLICA_URL there are none, and the routing defaults are 10 s read-your-writes, 5 s lag', () => {
    const config = loadConfig({ DATABASE_URL: MARIADB });
    assert.deepEqual(config.replicas, []);
    assert.deepEqual(config.readRouting, { readYourWritesMs: 10_000, maxLagMs: 5000 });
  });

  test('several comma-separated replicas, in order; one without a password takes DATABASE_PASSWORD', () => {
    const config = loadConfig({
      DATABASE_URL: MARIADB,
      DATABASE_PASSWORD: 'from-a-secret',
      DATABASE_REPLICA_URL: ' mysql://crm@db-replica-1/crm , mysql://reader:own@db-replica-2:3307/crm ',
      READ_YOUR_WRITES_MS: '3000',
      REPLICA_MAX_LAG_MS: '2500',
    });
    assert.deepEqual(config.replicas, [
      { kind: 'mysql', host: 'db-replica-1', port: 3306, user: 'crm', password: 'from-a-secret', database: 'crm' },
      { kind: 'mysql', host: 'db-replica-2', port: 3307, user: 'reader', password: 'own', database: 'crm' },
    ]);
    assert.deepEqual(config.readRouting, { readYourWritesMs: 3000, maxLagMs: 2500 });
  });

  test('a replica of another engine than the primary is refused at start-up, saying which', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: MARIADB, DATABASE_REPLICA_URL: 'mysql://crm@r1/crm,postgres://crm@r2/crm' }),
      /DATABASE_REPLICA_URL: replica 2 of 2 is PostgreSQL, but DATABASE_URL is MySQL\/MariaDB: a replica must run the primary's engine/,
    );
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://crm@p/crm', DATABASE_REPLICA_URL: 'sqlite:replica.db' }), /DATABASE_REPLICA_URL: the replica URL is SQLite, but DATABASE_URL is PostgreSQL/);
  });

  test('SQLite has no replicas: DATABASE_REPLICA_URL is refused with it', () => {
    assert.throws(() => loadConfig({ DATABASE_REPLICA_URL: 'mysql://crm@r1/crm' }), /DATABASE_REPLICA_URL: is not allowed with a SQLite DATABASE_URL/);
  });

  test('a replica URL that is not one is refused without echoing it (it may hold a password)', () => {
    assert.throws(
      // A made-up password that must not be echoed. secretlint-disable-next-line
      () => loadConfig({ DATABASE_URL: MARIADB, DATABASE_REPLICA_URL: 'mysql://crm:hunter2@r1' }),
      (error: Error) => /DATABASE_REPLICA_URL: the replica URL needs a database name/.test(error.message) && !error.message.includes('hunter2'),
    );
    assert.throws(() => loadConfig({ DATABASE_URL: MARIADB, DATABASE_REPLICA_URL: ' , ' }), /DATABASE_REPLICA_URL: must be one or more mysql:\/\/ or postgres:\/\/ URLs/);
    assert.throws(() => loadConfig({ DATABASE_URL: MARIADB, REPLICA_MAX_LAG_MS: '50' }), /REPLICA_MAX_LAG_MS: must be at least 100/);
  });
});
