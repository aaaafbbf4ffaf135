/**
 * The ledger's concurrency workload, shared by the suites that run it against
 * one database (test/system/ledger-concurrency.test.ts) and against a Galera
 * cluster (test/cluster/galera.test.ts): many API clients record payments and
 * charges on a few shared accounts at once through several app processes.
 * Every fifth request's first answer is dropped (the client hangs up as soon
 * as its request is sent, as when a connection fails) and the request is sent
 * again with the same Idempotency-Key to the next process. Afterwards every
 * account's totals must equal the sums of its entries and of the writes the
 * clients saw acknowledged, each counted once.
 */
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import type { Kysely } from 'kysely';
import { ledgerMismatches } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/schema.js';

export interface EntriesSize {
  readonly clients: number;
  readonly entriesPerClient: number;
  readonly accounts: number;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly replayed: boolean;
}

/** What the clients saw acknowledged, per account. */
export type Acknowledged = Map<string, { paid: number; due: number; count: number }>;

export interface EntriesRun {
  readonly acknowledged: Acknowledged;
  readonly total: number;
  /** Requests whose first answer was dropped and that were sent again under their key. */
  readonly sentTwice: number;
  /** Answers marked Idempotent-Replayed. */
  readonly replays: number;
  /** 503 answers that the client sent again under the same key (only with `retryBusy`). */
  readonly busyRetried: number;
  readonly seconds: number;
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

/**
 * Runs the workload against `baseUrls` (the app processes, which may use
 * different database nodes) and returns what was acknowledged. Every request
 * must be answered 201.
 */
export async function recordConcurrentEntries({
  baseUrls,
  caFile,
  token,
  acctids,
  size,
  retryBusy = false,
}: {
  baseUrls: readonly string[];
  caFile: string;
  token: string;
  acctids: readonly string[];
  size: EntriesSize;
  /**
   * Send a request answered 503 (busy: a transaction that lost every attempt to
   * conflicts) again under its key after a short pause, as a client told to
   * retry does, instead of failing. Every other answer must still be 201.
   */
  retryBusy?: boolean;
}): Promise<EntriesRun> {
  const ca = readFileSync(caFile);
  const agents = baseUrls.map(() => new Agent({ ca, keepAlive: true, maxSockets: size.clients }));
  const acknowledged: Acknowledged = new Map(acctids.map((acctid) => [acctid, { paid: 0, due: 0, count: 0 }]));
  let sentTwice = 0;
  let replays = 0;
  let busyRetried = 0;

  const client = async (clientNo: number) => {
    for (let n = 0; n < size.entriesPerClient; n += 1) {
      const acctid = acctids[randomInt(acctids.length)]!;
      const kind = randomInt(2) === 0 ? 'payment' : 'charge';
      const body = { kind, amount_cents: randomInt(1, 1_000_000), memo: `client ${clientNo} entry ${n}` };
      const key = randomUUID();
      const first = (clientNo + n) % baseUrls.length;
      const path = `/api/v1/accounts/${acctid}/entries`;
      let answer: Answer | null;
      if ((n + 1) % 5 === 0) {
        // The first answer is lost; the retry goes to the next process.
        sentTwice += 1;
        await postJson(agents[first]!, baseUrls[first]!, path, token, key, body, true);
        const other = (first + 1) % baseUrls.length;
        answer = await postJson(agents[other]!, baseUrls[other]!, path, token, key, body);
      } else {
        answer = await postJson(agents[first]!, baseUrls[first]!, path, token, key, body);
      }
      while (retryBusy && answer?.status === 503) {
        busyRetried += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
        answer = await postJson(agents[first]!, baseUrls[first]!, path, token, key, body);
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
  try {
    await Promise.all(Array.from({ length: size.clients }, (_, clientNo) => client(clientNo)));
  } finally {
    for (const agent of agents) agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return { acknowledged, total: size.clients * size.entriesPerClient, sentTwice, replays, busyRetried, seconds };
}

/** Every account's totals equal the sums of its entries and of the acknowledged writes; one entry per acknowledged request. */
export async function assertTotalsMatchAcknowledged(db: Kysely<Database>, acknowledged: Acknowledged): Promise<void> {
  const acctids = [...acknowledged.keys()];
  assert.deepEqual(await ledgerMismatches(db, acctids), [], 'every total equals the sum of its entries');
  const rows = await db
    .selectFrom('account')
    .leftJoin('ledger_entry', 'ledger_entry.acctid', 'account.acctid')
    .select((eb) => ['account.acctid', 'account.paid_cents', 'account.due_cents', eb.fn.count<number | string>('ledger_entry.id').as('entries')])
    .where('account.acctid', 'in', acctids)
    .groupBy(['account.acctid', 'account.paid_cents', 'account.due_cents'])
    .execute();
  assert.equal(rows.length, acctids.length, 'every account is there');
  for (const row of rows) {
    const sums = acknowledged.get(row.acctid)!;
    assert.equal(Number(row.paid_cents), sums.paid, `${row.acctid}: paid equals the acknowledged payments`);
    assert.equal(Number(row.due_cents), sums.due, `${row.acctid}: due equals the acknowledged charges`);
    assert.equal(Number(row.entries), sums.count, `${row.acctid}: one entry per acknowledged request`);
  }
}
