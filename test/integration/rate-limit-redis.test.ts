/** Lookup limits shared through Redis by every replica, and what happens when Redis is gone. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createRedis, waitForRedis } from '../../src/platform/redis.js';
import type { Database } from '../../src/schema.js';
import { TEST_SECRET } from '../support/app.js';
import { openForm, postLookup } from '../support/inject.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, startHint, TEST_DATABASES, TEST_REDIS_URL } from '../support/test-databases.js';
import { skipReason } from '../support/tools.js';

const REDIS_URL = TEST_REDIS_URL;

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function redisReachable(): Promise<string | false> {
  const { logger } = memoryLogger();
  const probe = createRedis(REDIS_URL, logger);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await probe.ping();
    return false;
  } catch (error) {
    const reason = skipReason(`Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`, startHint('TEST_REDIS_URL'));
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`, { cause: error });
    return reason;
  } finally {
    probe.disconnect();
  }
}

const sqlite = await openTestDatabase(TEST_DATABASES[0]!);
const redisSkip = await redisReachable();

async function replica(
  db: Kysely<Database>,
  redisUrl: string,
  limit: number,
  logger = memoryLogger().logger,
  env: Readonly<Record<string, string>> = {},
): Promise<{ app: App; redis: Redis }> {
  const config = loadConfig({ SESSION_SECRET: TEST_SECRET, REDIS_URL: redisUrl, LOOKUP_RATE_LIMIT: String(limit), ...env });
  const redis = createRedis(redisUrl, logger);
  const app = await buildApp({ config, db, redis, logger });
  return { app, redis };
}

describe('lookup rate limits with Redis', { skip: redisSkip }, () => {
  let db: Kysely<Database>;
  before(() => {
    db = sqlite.db!;
  });
  after(async () => db?.destroy());

  test('two replicas sharing Redis count one client together', async () => {
    // Counters live for a minute in a shared Redis: a fresh client address keeps runs independent.
    const client = `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;
    const a = await replica(db, REDIS_URL, 3);
    const b = await replica(db, REDIS_URL, 3);
    assert.ok((await waitForRedis(a.redis, 2000)) && (await waitForRedis(b.redis, 2000)), 'both replicas reach Redis');
    try {
      const form = await openForm(a.app);
      const statuses: number[] = [];
      for (const app of [a.app, b.app, a.app, b.app]) {
        const reply = await app.inject({
          method: 'POST',
          url: '/',
          remoteAddress: client,
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
          payload: new URLSearchParams({ acctid: 'ACCT100', csrf_token: form.token }).toString(),
        });
        statuses.push(reply.statusCode);
      }
      assert.deepEqual(statuses.map((status) => (status === 429 ? 429 : 'served')), ['served', 'served', 'served', 429]);
    } finally {
      await Promise.all([a.app.close(), b.app.close()]);
      a.redis.disconnect();
      b.redis.disconnect();
    }
  });

  test("two replicas sharing Redis count one user's API tokens together", async () => {
    const perUser = { API_RATE_LIMIT: '100', API_USER_RATE_LIMIT: '3' };
    const a = await replica(db, REDIS_URL, 100, undefined, perUser);
    const b = await replica(db, REDIS_URL, 100, undefined, perUser);
    assert.ok((await waitForRedis(a.redis, 2000)) && (await waitForRedis(b.redis, 2000)), 'both replicas reach Redis');
    try {
      // A new user per run: the counters live for a minute in the shared Redis.
      const user = await addUser(db, 'viewer');
      const [first, second] = [await addToken(db, user), await addToken(db, user)];
      const statuses: number[] = [];
      for (const [app, token] of [[a.app, first], [b.app, second], [a.app, second], [b.app, first]] as const) {
        statuses.push((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await Promise.all([a.app.close(), b.app.close()]);
      a.redis.disconnect();
      b.redis.disconnect();
    }
  });

  test('with Redis unreachable the limit still holds, in memory, and the log says so once', async () => {
    const { logger, lines } = memoryLogger();
    const { app, redis } = await replica(db, 'redis://127.0.0.1:1', 2, logger);
    try {
      const form = await openForm(app);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await postLookup(app, { ...form, acctid: `R${randomUUID().slice(0, 8)}` })).statusCode);
      assert.deepEqual(statuses, [200, 200, 429, 429]);
      const fallbacks = lines.filter((line) => line.includes('fall back to memory'));
      assert.equal(fallbacks.length, 1, lines.join('\n'));
    } finally {
      await app.close();
      redis.disconnect();
    }
  });
});
