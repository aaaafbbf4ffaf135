/**
 * The server listens before its database is ready (server.ts): until start-up
 * has finished, /readyz says why and every other request (/healthz too) is a
 * 503 with Retry-After, in its scope's format; once the gate opens, it serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startupGate } from '../../src/platform/http/startup-gate.js';
import { TEST_SECRET } from '../support/app.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

// The gate does not depend on the database: SQLite is enough.
const sqlite = TEST_DATABASES.find((database) => database.url.startsWith('sqlite'));
assert.ok(sqlite, 'the SQLite test database is listed');
const opened = await openTestDatabase(sqlite);

describe('a server still starting', { skip: opened.skip ?? false }, () => {
  const gate = startupGate();
  let app: App;
  before(async () => {
    app = await buildApp({ config: loadConfig({ SESSION_SECRET: TEST_SECRET }), db: opened.db!, redis: null }, { startupGate: gate });
  });
  after(async () => {
    await app.close();
    await opened.db?.destroy();
  });

  test('says why it is not ready, and asks probes, visitors and API clients to come back', async () => {
    const health = await app.inject('/healthz');
    assert.equal(health.statusCode, 503, 'what waits for /healthz (HEALTHCHECK, startup probe) still waits');
    assert.equal(health.headers['retry-after'], '5');

    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.headers['retry-after'], '5');
    assert.match(ready.json<{ reason: string }>().reason, /^starting: waiting for the database/);

    const page = await app.inject('/');
    assert.equal(page.statusCode, 503);
    assert.equal(page.headers['retry-after'], '5');
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /try again in 5 seconds/i);

    const api = await app.inject({ url: '/api/v1/accounts', headers: { authorization: 'Bearer not-checked-yet' } });
    assert.equal(api.statusCode, 503);
    assert.match(api.headers['content-type'] as string, /application\/problem\+json/);
    assert.equal(api.json<{ status: number }>().status, 503);

    const form = await app.inject({ method: 'POST', url: '/', payload: 'acctid=ACCT100', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.statusCode, 503, 'a form posted meanwhile is not processed');
  });

  test('serves as usual once start-up has finished', async () => {
    gate.open();
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    assert.equal((await app.inject('/readyz')).statusCode, 200);
    const page = await app.inject('/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form/);
  });
});
