/**
 * Replicas that start together (compose with MIGRATE_ON_START, a scaled
 * Deployment, the migrate command beside a server) migrate and seed the same
 * fresh database at once, each with its own connection: every one must succeed,
 * and the schema and seed must come out exactly once.
 */
import assert from 'node:assert/strict';
import { migrations } from '../../src/migrations/index.js';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import type { Database } from '../../src/schema.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';
import { ROOT } from '../support/paths.js';

const REPLICAS = 4;

/** A database of its own for one test, and how to drop it afterwards. */
async function freshDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> } | { skip: string }> {
  if (url.startsWith('sqlite:')) {
    const dir = mkdtempSync(join(tmpdir(), 'crm-race-'));
    return { url: `sqlite:${join(dir, 'crm.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const opened = await openTestDatabase({ name: 'admin', url });
  if (!opened.db) return { skip: opened.skip };
  const admin = opened.db;
  const name = `crm_race_${randomBytes(4).toString('hex')}`;
  await sql`create database ${sql.id(name)}`.execute(admin);
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.toString(),
    drop: async () => {
      await sql`drop database ${sql.id(name)}`.execute(admin);
      await admin.destroy();
    },
  };
}

/** Worker threads do not inherit tsx's loader: register it, then load the TypeScript worker. */
const WORKER_BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(
  pathToFileURL(join(ROOT, 'test', 'support', 'migrate-worker.ts')).href,
)}); });`;

interface Outcome {
  ok: boolean;
  applied?: number;
  inserted?: number;
  error?: string;
}

/**
 * Each replica in its own thread with its own connection, all released at
 * the same instant, so their migrations really overlap.
 */
async function startTogether(databaseUrl: string): Promise<Outcome[]> {
  const workers = Array.from(
    { length: REPLICAS },
    () => new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { url: databaseUrl } }),
  );
  try {
    await Promise.all(workers.map((worker) => once(worker, 'message')));
    const outcomes = workers.map((worker) => once(worker, 'message').then(([message]) => message as Outcome));
    for (const worker of workers) worker.postMessage('go');
    return await Promise.all(outcomes);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

for (const target of TEST_DATABASES) {
  describe(`replicas starting together on ${target.name}`, () => {
    test(`${REPLICAS} replicas migrate and seed one fresh database; each succeeds and the data is there once`, async (t) => {
      const fresh = await freshDatabase(target.url === 'sqlite::memory:' ? 'sqlite:' : target.url);
      if ('skip' in fresh) return t.skip(fresh.skip);
      try {
        const outcomes = await startTogether(fresh.url);
        assert.deepEqual(outcomes.filter((outcome) => !outcome.ok), [], 'every replica started');
        assert.equal(outcomes.reduce((sum, outcome) => sum + (outcome.applied ?? 0), 0), Object.keys(migrations).length, 'each migration ran once in all');
        assert.equal(outcomes.reduce((sum, outcome) => sum + (outcome.inserted ?? 0), 0), 3, 'each seed account was added once');
        const db = createDatabase<Database>(parseDatabaseUrl(fresh.url), { poolSize: 1, connectTimeoutMs: 3000 });
        try {
          const rows = await db.selectFrom('account').select(['acctid']).orderBy('acctid').execute();
          assert.deepEqual(rows.map((row) => row.acctid), ['ACCT100', 'ACCT200', 'ACCT300']);
        } finally {
          await db.destroy();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}
