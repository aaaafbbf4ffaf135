/**
 * The app under test and the traffic the scenarios send it: the real server
 * (test/support/server-process.ts) on a private MariaDB, a clerk with a
 * session and an API token, accounts with invoices to pay, and the
 * requests of a day's work (the public lookup, staff pages, searches, the
 * dashboard, payments through the API with an Idempotency-Key each).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { migrations } from '../../../src/migrations/index.js';
import { ledgerMismatches, receivablesMismatches } from '../../../src/modules/ledger/index.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { createDatabase } from '../../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../../src/platform/db/database-url.js';
import type { Database } from '../../../src/schema.js';
import { Browser, formToken } from '../../support/https-client.js';
import { ROOT } from '../../support/paths.js';
import { startServer, type ServerProcess } from '../../support/server-process.js';
import { addToken, addUser, type TestUser } from '../../support/staff.js';
import { imageNodeOptions } from '../../support/image-node-options.js';
import type { Answer, Client, Operation } from './load.js';
import { PrivateMariadb } from './mariadb.js';

/** ci: the reduced size .ci/run runs; full: RELIABILITY_SCALE=full, the figures the issue asks for. */
export const SCALE: 'ci' | 'full' = process.env.RELIABILITY_SCALE === 'full' ? 'full' : 'ci';

/** Under CI=true a missing tool fails the run instead of skipping it. */
export function skipOrFail(reason: string | false): string | false {
  if (reason && process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  return reason;
}

/** The server's settings for these scenarios: the private database, limits out of the load's way, warnings only. */
export function appEnv(databaseUrl: string, more: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    STAFF_RATE_LIMIT: '0',
    // The pod's heap configuration: memory figures mean what they would in the cluster.
    NODE_OPTIONS: imageNodeOptions(),
    ...more,
  };
}

/** Starts the server (migrating and seeding a fresh database) and resolves once it listens. */
export function startApp(databaseUrl: string, more: Readonly<Record<string, string>> = {}, { startTimeoutMs = 60_000, logLines }: { startTimeoutMs?: number; logLines?: string[] } = {}): Promise<ServerProcess> {
  return startServer(appEnv(databaseUrl, more), undefined, { startTimeoutMs, ...(logLines ? { logLines } : {}) });
}

export function connect(databaseUrl: string): Kysely<Database> {
  return createDatabase<Database>(parseDatabaseUrl(databaseUrl), { poolSize: 2, connectTimeoutMs: 3000, statementTimeoutMs: 60_000 });
}

export interface Staff {
  readonly user: TestUser;
  readonly token: string;
  /** The session cookie of a clerk signed in through the form. */
  readonly cookie: string;
}

/** A clerk (created in the database, as `crm users add` would), an API token, and a signed-in session. */
export async function staff(db: Kysely<Database>, server: ServerProcess): Promise<Staff> {
  const user = await addUser(db, 'clerk');
  const token = await addToken(db, user, 'reliability');
  const browser = new Browser(server.baseUrl, server.caFile);
  const signedIn = await browser.signIn(user.username, user.password);
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  return { user, token, cookie: browser.cookieHeader() };
}

/** `count` accounts named RELnnnn… with one invoice of 1,000,000.00 each, made through the API. */
export async function accountsWithInvoices(client: Client, token: string, count: number): Promise<string[]> {
  const prefix = `REL${randomBytes(2).toString('hex').toUpperCase()}`;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const acctid = `${prefix}${String(i).padStart(4, '0')}`;
    const made = await api(client, token, 'POST', '/api/v1/accounts', { acctid, name: `Reliability Customer ${i} Smith` });
    if (made.status !== 201) throw new Error(`creating ${acctid} answered ${made.status}: ${made.body}`);
    const charged = await api(client, token, 'POST', `/api/v1/accounts/${acctid}/entries`, { kind: 'charge', amount_cents: 100_000_000, memo: 'opening invoice' });
    if (charged.status !== 201) throw new Error(`charging ${acctid} answered ${charged.status}: ${charged.body}`);
    ids.push(acctid);
  }
  return ids;
}

export function api(client: Client, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return client.send({
    method,
    path,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A payment sent through the API under its own key; its memo is the key, so the database can be asked for it. */
export interface Payment {
  readonly key: string;
  readonly acctid: string;
  readonly cents: number;
  /** The last status it got: 201 acknowledged; anything else not (yet). */
  status: number;
}

/**
 * The traffic of the scenarios: each call of `next` picks one request by
 * weight. Payments are remembered (key, account, amount, last status) so a
 * scenario can retry the unacknowledged ones with their own key and count
 * what the database holds against what was acknowledged.
 */
export class Traffic {
  readonly payments: Payment[] = [];
  #lookupForm: { token: string; cookie: string } | undefined;
  #turn = 0;

  constructor(
    private readonly client: Client,
    private readonly staff: Staff,
    private readonly acctids: readonly string[],
    /** Which requests, in turn: lookup, page, search, dashboard, payment, api-read. */
    private readonly mix: readonly string[] = ['lookup', 'payment', 'page', 'lookup', 'search', 'payment', 'dashboard', 'api-read'],
  ) {}

  readonly next: Operation = async () => {
    const op = this.mix[this.#turn++ % this.mix.length]!;
    const acctid = this.acctids[Math.floor(Math.random() * this.acctids.length)]!;
    switch (op) {
      case 'lookup':
        return { op, answer: await this.lookup(acctid) };
      case 'page':
        return { op, answer: await this.page(`/accounts/${acctid}`) };
      case 'search':
        return { op, answer: await this.page(`/accounts?q=${encodeURIComponent(['smith', 'customer', 'reliability'][this.#turn % 3]!)}`) };
      case 'dashboard':
        return { op, answer: await this.page('/dashboard') };
      case 'api-read':
        return { op, answer: await api(this.client, this.staff.token, 'GET', `/api/v1/accounts/${acctid}`) };
      case 'payment': {
        const payment: Payment = { key: randomUUID(), acctid, cents: 100 + Math.floor(Math.random() * 9900), status: 0 };
        this.payments.push(payment);
        return { op, answer: await this.pay(payment) };
      }
      default:
        throw new Error(`unknown operation ${op}`);
    }
  };

  /** Sends (or re-sends) a payment under its key; records the status. */
  async pay(payment: Payment): Promise<Answer> {
    const answer = await api(
      this.client,
      this.staff.token,
      'POST',
      `/api/v1/accounts/${payment.acctid}/entries`,
      { kind: 'payment', amount_cents: payment.cents, memo: payment.key },
      { 'idempotency-key': payment.key },
    );
    payment.status = answer.status;
    return answer;
  }

  page(path: string): Promise<Answer> {
    return this.client.send({ path, headers: { cookie: this.staff.cookie } });
  }

  /** The public lookup as a browser does it: the form's token (fetched once, again after a refusal), then the POST. */
  async lookup(acctid: string): Promise<Answer> {
    if (!this.#lookupForm) {
      const page = await this.client.send({ path: '/' });
      const token = formToken(page.body);
      const cookie = [page.headers['set-cookie'] ?? []].flat().map((line) => line.split(';')[0]).join('; ');
      if (page.status !== 200 || !token) return page;
      this.#lookupForm = { token, cookie };
    }
    const answer = await this.client.send({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.#lookupForm.cookie },
      body: new URLSearchParams({ acctid, csrf_token: this.#lookupForm.token }).toString(),
    });
    if (answer.status === 403) this.#lookupForm = undefined;
    return answer;
  }
}

/** How many times each payment's key (its memo) is in the ledger. */
export async function paymentsInLedger(db: Kysely<Database>, payments: readonly Payment[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const keys = payments.map((p) => p.key);
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db
      .selectFrom('ledger_entry')
      .select(['memo', sql<number>`count(*)`.as('n')])
      .where('kind', '=', 'payment')
      .where('memo', 'in', keys.slice(i, i + 500))
      .groupBy('memo')
      .execute();
    for (const row of rows) found.set(row.memo, Number(row.n));
  }
  return found;
}

/** Acknowledged, lost (acknowledged, not in the ledger) and doubled (in the ledger more than once) payments. */
export async function countPayments(db: Kysely<Database>, payments: readonly Payment[]) {
  const found = await paymentsInLedger(db, payments);
  const acknowledged = payments.filter((p) => p.status === 201);
  return {
    sent: payments.length,
    acknowledged: acknowledged.length,
    lost: acknowledged.filter((p) => !found.has(p.key)).map((p) => p.key),
    doubled: [...found].filter(([, n]) => n > 1).map(([key]) => key),
    inLedger: found.size,
  };
}

/** Every account whose totals differ from its entries' sums, or whose receivables break a rule: none expected. */
export async function inconsistentAccounts(db: Kysely<Database>): Promise<string[]> {
  const totals = await ledgerMismatches(db);
  const receivables = await receivablesMismatches(db);
  return [
    ...totals.map((m) => `${m.acctid}: totals paid ${m.paidCents}/due ${m.dueCents} but entries ${m.entryPaidCents}/${m.entryDueCents}`),
    ...receivables.map((m) => `${m.acctid}: ${m.problems.join('; ')}`),
  ];
}

/** The server's first logged errors, for an assertion's message. */
export function serverErrors(server: ServerProcess): string {
  const errors = server.logLines.filter((line) => line.includes('"level":50')).slice(0, 3);
  return errors.length === 0 ? 'none logged' : errors.join('\n');
}

/** A schema up to date on a fresh database, for scenarios that do not start the server first. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  await migrateToLatest(db, migrations);
}

export interface CrmChild {
  readonly child: ChildProcess;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  output(): string;
}

/** `crm ARGS` (src/cli/main.ts through tsx) as a process of its own, its stdout and stderr kept. */
export function spawnCrm(args: readonly string[], env: Readonly<Record<string, string>>): CrmChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'production', LOG_FORMAT: 'json', SESSION_SECRET: 'reliability-secret-that-is-long-enough-0123456789', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>, output: () => output };
}

/** A private mariadbd with the schema migrated, and a connection to it: made before a describe block's tests, stopped after them. */
export function migratedPrivateMariadb(): { readonly url: string; readonly db: Kysely<Database> } {
  let mariadb: PrivateMariadb | undefined;
  let db: Kysely<Database> | undefined;
  before(async () => {
    mariadb = await PrivateMariadb.create();
    db = connect(mariadb.url);
    await migrate(db);
  });
  after(async () => {
    await db?.destroy();
    await mariadb?.stop();
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the private mariadbd is made in before(): use it inside a test');
    return value;
  };
  return {
    get url() {
      return made(mariadb).url;
    },
    get db() {
      return made(db);
    },
  };
}
