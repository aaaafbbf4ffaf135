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
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createAccounts } from '../../src/modules/accounts/accounts.service.js';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';
import { makeCertDir, OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addToken, addUser } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId, type TestDatabase } from '../support/test-databases.js';

interface Size {
  readonly clients: number;
  readonly entriesPerClient: number;
  readonly accounts: number;
}

const dir = OWN_SERVER_SKIP ? '' : makeCertDir();
const SQLITE_FILE = join(dir, 'shared.db');
const RUNS: readonly { readonly database: TestDatabase; readonly size: Size }[] = [
  { database: TEST_DATABASES[1]!, size: { clients: 20, entriesPerClient: 100, accounts: 10 } },
  { database: TEST_DATABASES[2]!, size: { clients: 8, entriesPerClient: 25, accounts: 5 } },
  // A file both processes open (the in-memory database would be one per process).
  { database: { name: 'SQLite', url: `sqlite:${SQLITE_FILE}` }, size: { clients: 6, entriesPerClient: 20, accounts: 4 } },
];

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly replayed: boolean;
}

/** POSTs JSON; with `dropAnswer` the client hangs up right after sending, never reading the answer. */
function postJson(agent: Agent, baseUrl: string, path: string, token: string, key: string, body: unknown, dropAnswer = false): Promise<Answer | null> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, baseUrl), {
      method: 'POST',
      agent: dropAnswer ? false : agent,
      ca: agent.options.ca,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key, 'content-length': Buffer.byteLength(payload) },
    });
    if (dropAnswer) {
      req.on('error', () => resolve(null));
      req.end(payload, () => {
        req.destroy();
        resolve(null);
      });
      return;
    }
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, replayed: res.headers['idempotent-replayed'] === 'true' }));
    });
    req.end(payload);
  });
}

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
      // Both at once, as a rollout starts them.
      servers.push(...(await Promise.all([startServer(env, dir), startServer(env, dir)])));
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
      const ca = readFileSync(join(dir, 'ssl', 'cert.pem'));
      const agents = servers.map(() => new Agent({ ca, keepAlive: true, maxSockets: size.clients }));
      const acknowledged = new Map<string, { paid: number; due: number; count: number }>(acctids.map((acctid) => [acctid, { paid: 0, due: 0, count: 0 }]));
      let retried = 0;
      let replays = 0;

      const client = async (clientNo: number) => {
        for (let n = 0; n < size.entriesPerClient; n += 1) {
          const acctid = acctids[randomInt(acctids.length)]!;
          const kind = randomInt(2) === 0 ? 'payment' : 'charge';
          const body = { kind, amount_cents: randomInt(1, 1_000_000), memo: `client ${clientNo} entry ${n}` };
          const key = randomUUID();
          const first = (clientNo + n) % servers.length;
          const path = `/api/v1/accounts/${acctid}/entries`;
          let answer: Answer | null;
          if ((n + 1) % 5 === 0) {
            // The first answer is lost; the retry goes to the other process.
            retried += 1;
            await postJson(agents[first]!, servers[first]!.baseUrl, path, token, key, body, true);
            const other = (first + 1) % servers.length;
            answer = await postJson(agents[other]!, servers[other]!.baseUrl, path, token, key, body);
          } else {
            answer = await postJson(agents[first]!, servers[first]!.baseUrl, path, token, key, body);
          }
          assert.ok(answer, 'an answer');
          assert.equal(answer.status, 201, `POST ${path}: ${answer.status} ${answer.body.slice(0, 300)}`);
          if (answer.replayed) replays += 1;
          const sums = acknowledged.get(acctid)!;
          if (kind === 'payment') sums.paid += body.amount_cents;
          else sums.due += body.amount_cents;
          sums.count += 1;
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: size.clients }, (_, clientNo) => client(clientNo)));
      const seconds = (performance.now() - started) / 1000;
      for (const agent of agents) agent.destroy();

      assert.deepEqual(await ledgerMismatches(db, acctids), [], 'every total equals the sum of its entries');
      const rows = await db
        .selectFrom('account')
        .leftJoin('ledger_entry', 'ledger_entry.acctid', 'account.acctid')
        .select((eb) => ['account.acctid', 'account.paid_cents', 'account.due_cents', eb.fn.count<number | string>('ledger_entry.id').as('entries')])
        .where('account.acctid', 'in', acctids)
        .groupBy(['account.acctid', 'account.paid_cents', 'account.due_cents'])
        .execute();
      for (const row of rows) {
        const sums = acknowledged.get(row.acctid)!;
        assert.equal(Number(row.paid_cents), sums.paid, `${row.acctid}: paid equals the acknowledged payments`);
        assert.equal(Number(row.due_cents), sums.due, `${row.acctid}: due equals the acknowledged charges`);
        assert.equal(Number(row.entries), sums.count, `${row.acctid}: one entry per acknowledged request`);
      }
      const total = size.clients * size.entriesPerClient;
      console.log(`# ${database.name}: ${total} entries (${retried} sent twice, ${replays} answered by replay) in ${seconds.toFixed(1)} s, ${(total / seconds).toFixed(0)} acknowledged writes/s`);
    });
  });
}

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
