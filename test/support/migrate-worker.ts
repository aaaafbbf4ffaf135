/**
 * One "replica" in a worker thread: waits for the go signal so all start at
 * the same instant, then migrates and seeds like start-up does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from '../../src/schema.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { migrateDatabase } from '../../src/migrations/index.js';
import { seedWithLedger } from '../../src/prepare-database.js';
import { cents } from '../../src/shared/money.js';

const { url } = workerData as { url: string };
const db = createDatabase<Database>(parseDatabaseUrl(url), { poolSize: 1, connectTimeoutMs: 3000 });
parentPort!.once('message', () => {
  void (async () => {
    try {
      const applied = await migrateDatabase(db);
      const seeded = await db.transaction().execute((trx) =>
        seedWithLedger(trx, [
          { acctid: 'ACCT100', paidCents: cents(6000), dueCents: cents(10000) },
          { acctid: 'ACCT200', paidCents: cents(11000), dueCents: cents(10000) },
          { acctid: 'ACCT300', paidCents: cents(0), dueCents: cents(0) },
        ]),
      );
      parentPort!.postMessage({ ok: true, applied: applied.length, inserted: seeded.inserted });
    } catch (error) {
      parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
    } finally {
      await db.destroy();
    }
  })();
});
parentPort!.postMessage({ ready: true });
