/**
 * Money is neither lost nor doubled under concurrency: two app processes
 * share one database while many API clients record entries on a few shared
 * accounts at once. Every fifth request's first answer is dropped (the client
 * hangs up as soon as its request is sent, as when a connection fails) and the
 * request is sent again with the same Idempotency-Key, to either process.
 *
 * Afterwards, for every account: its paid/due totals equal the sums of its
 * ledger entries, and equal the sums of the writes the clients saw
 * acknowledged, each counted once; the number of entries equals the number of
 * acknowledged requests. Full size on MariaDB (20 clients × 100 entries on 10
 * accounts), reduced on PostgreSQL and SQLite.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createAccounts } from '../../src/modules/accounts/accounts.service.js';
import type { Database } from '../../src/schema.js';
import { assertTotalsMatchAcknowledged, recordConcurrentEntries, type EntriesSize } from '../support/concurrent-entries.js';
import { makeCertDir, OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId, type TestDatabase } from '../support/test-databases.js';

const dir = OWN_SERVER_SKIP ? '' : makeCertDir();
const SQLITE_FILE = join(dir, 'shared.db');
const RUNS: readonly { readonly database: TestDatabase; readonly size: EntriesSize }[] = [
  { database: TEST_DATABASES[1]!, size: { clients: 20, entriesPerClient: 100, accounts: 10 } },
  { database: TEST_DATABASES[2]!, size: { clients: 8, entriesPerClient: 25, accounts: 5 } },
  // A file both processes open (the in-memory database would be one per process).
  { database: { name: 'SQLite', url: `sqlite:${SQLITE_FILE}` }, size: { clients: 6, entriesPerClient: 20, accounts: 4 } },
];

for (const { database, size } of RUNS) {
  const opened = OWN_SERVER_SKIP ? undefined : await openTestDatabase(database);
  const skip = OWN_SERVER_SKIP || opened?.skip || false;

  describe(`money is neither lost nor doubled: two processes on ${database.name}, ${size.clients} clients × ${size.entriesPerClient} entries on ${size.accounts} accounts`, { skip, timeout: 240_000 }, () => {
    let db: Kysely<Database>;
    const servers: ServerProcess[] = [];
    let token = '';
    const acctids: string[] = [];

    before(async () => {
      db = opened!.db!;
      const env = { DATABASE_URL: database.url, SESSION_SECRET: randomBytes(32).toString('hex'), CRM_PUBLIC_LOOKUP: 'true', LOG_LEVEL: 'warn' };
      // Both at once, as a rollout starts them; one that started is stopped by after() even if the other failed.
      const started = await Promise.allSettled([startServer(env, dir), startServer(env, dir)]);
      for (const one of started) if (one.status === 'fulfilled') servers.push(one.value);
      for (const one of started) if (one.status === 'rejected') throw one.reason;
      const clerk = await addUser(db, 'clerk');
      token = await addToken(db, clerk, 'concurrency');
      for (let i = 0; i < size.accounts; i += 1) acctids.push(uniqueAcctId('CC'));
      await db.transaction().execute((trx) => createAccounts(trx, CLI_ACTOR, acctids.map((acctid) => ({ acctid, name: `Shared ${acctid}` }))));
    });

    after(async () => {
      await Promise.all(servers.map((server) => server.stop()));
      await db?.destroy();
    });

    test('totals equal the sums of entries and of acknowledged writes; no entry is lost or doubled', async () => {
      const run = await recordConcurrentEntries({ baseUrls: servers.map((server) => server.baseUrl), caFile: join(dir, 'ssl', 'cert.pem'), token, acctids, size });
      await assertTotalsMatchAcknowledged(db, run.acknowledged);
      console.log(`# ${database.name}: ${run.total} entries (${run.sentTwice} sent twice, ${run.replays} answered by replay) in ${run.seconds.toFixed(1)} s, ${(run.total / run.seconds).toFixed(0)} acknowledged writes/s`);
    });
  });
}

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
