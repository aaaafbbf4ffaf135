/**
 * npm run bench:crm: the CRM at scale on MariaDB. For each size (1,000 and
 * 1,000,000 accounts unless BENCH_SIZES says otherwise) it makes a fresh
 * database, imports the accounts through `crm import` (rows/s), adds ledger
 * entries up to six per account (invoices with open items, one paid later),
 * starts the built server and measures with
 * wrk (HTTPS keep-alive, 8 connections, p50/p99): the account search by id
 * prefix and by name word, the list sorted by name, an account page, the
 * dashboard, the API list, the public lookup, and searches of every
 * selectivity (q=a, q=al, q=smith) in each sort and direction; then
 * `crm export` (rows/s); aging: the report's totals and first page today and a
 * year back (p50/p99 over requests one after another) and `crm aging` over
 * every account (time, peak RSS). The database is the one BENCH_MYSQL_URL names, or
 * crm_scale_N.
 * Figures, not a pass/fail test, except that search and lookup p99 may grow at
 * most 2x from the smallest to the largest size. Loopback only; bounded.
 */
import { spawnSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import type { Database } from '../src/schema.js';
import { Browser } from '../test/support/https-client.js';
import { ROOT } from '../test/support/paths.js';
import { addToken, addUser } from '../test/support/staff.js';
import { acctidOf, writeAccountsCsv } from './accounts.js';
import { launch, load, loadAverage, requireMariaDb, SECONDS, stop, wrkScript, type Measured } from './support.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,1000000').split(',').map(Number);
const MYSQL = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/');
/** The database BENCH_MYSQL_URL names (suffixed with the size when several sizes run), or crm_scale_N. */
function databaseName(size: number): string {
  const named = decodeURIComponent(MYSQL.pathname.slice(1));
  if (named === '') return `crm_scale_${size}`;
  return SIZES.length > 1 ? `${named}_${size}` : named;
}
const CONNECTIONS = 8;
/** Aging requests measured one after another: today's report, and a year back (one whole computation each). */
const AGING_REQUESTS_TODAY = Number(process.env.BENCH_AGING_REQUESTS ?? 30);
const AGING_REQUESTS_PAST = Number(process.env.BENCH_AGING_PAST_REQUESTS ?? 5);
/** The server's per-statement limit, if the run sets one (DB_STATEMENT_TIMEOUT_MS; the app's default otherwise). */
const STATEMENT_TIMEOUT_MS = process.env.BENCH_STATEMENT_TIMEOUT_MS;
/** Entries per account: the import's opening charge and payment, then three invoices and a payment (addEntries). */
const ENTRIES_PER_ACCOUNT = 6;

/** Searches of every selectivity: one letter (every account, through the ids ACC…), two letters (Alma: one in 27), a surname (one in 30). */
const SEARCH_WORDS = ['a', 'al', 'smith'];
const SEARCH_ORDERS = (['acctid', 'name', 'balance'] as const).flatMap((sort) => (['asc', 'desc'] as const).map((dir) => [sort, dir] as const));

interface SizeResult {
  size: number;
  importRowsPerSecond: number;
  importSeconds: number;
  entries: number;
  exportRowsPerSecond: number;
  scenarios: Measured[];
  aging: AgingMeasured[];
  agingCli: AgingCliMeasured[];
}

/** Repeated requests one after another (no concurrency): what one person asking for the report waits. */
interface AgingMeasured {
  name: string;
  path: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  loadAverage: number;
}

interface AgingCliMeasured {
  asOf: string;
  seconds: number;
  accountsWritten: number;
  peakRssMb: number;
  loadAverage: number;
}

/** One GET over HTTPS, timed in ms; a long timeout, since a past as-of day is one whole computation. */
function timedGet(base: string, path: string, headers: Record<string, string>, ca: Buffer): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, base), { method: 'GET', headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`no answer within 120 s: ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: readonly number[], share: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN;

async function measureAging(name: string, base: string, path: string, headers: Record<string, string>, ca: Buffer, requests: number): Promise<AgingMeasured> {
  await timedGet(base, path, headers, ca); // warm-up
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  for (let i = 0; i < requests; i++) {
    const { ms, status } = await timedGet(base, path, headers, ca);
    times.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const measured = { name, path, requests, p50: round(percentile(times, 0.5)), p99: round(percentile(times, 0.99)), max: round(times.at(-1) ?? Number.NaN), statuses, loadAverage: loadAverage() };
  console.log(`[aging] ${name}: p50 ${measured.p50} ms, p99 ${measured.p99} ms, max ${measured.max} ms over ${requests} requests (${JSON.stringify(statuses)}), load ${measured.loadAverage}`);
  return measured;
}

/** `crm aging --out FILE` under GNU time: wall time and the process's peak resident memory. */
function measureAgingCli(asOf: string, dir: string, env: Record<string, string>): AgingCliMeasured {
  const out = join(dir, `aging-${asOf}.csv`);
  const rssFile = join(dir, 'aging-rss.txt');
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, 'dist/cli/main.js', 'aging', '--as-of', asOf, '--out', out], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', ...env },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`crm aging --as-of ${asOf} failed (${String(run.status)}): ${run.stderr.slice(-2000)}`);
  const written = Number(/Wrote the aging of (\d+) accounts/.exec(run.stderr)?.[1] ?? Number.NaN);
  const measured = { asOf, seconds: Math.round(seconds * 10) / 10, accountsWritten: written, peakRssMb: Math.round(Number(readFileSync(rssFile, 'utf8').trim()) / 1024), loadAverage: loadAverage() };
  console.log(`[aging] crm aging --as-of ${asOf}: ${measured.seconds} s, ${written} accounts written, peak RSS ${measured.peakRssMb} MB, load ${measured.loadAverage}`);
  return measured;
}

function crm(args: string[], env: Record<string, string>): { seconds: number; stdout: string; stderr: string } {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`crm ${args.join(' ')} failed (${String(run.status)}): ${run.stderr.slice(-2000)}`);
  return { seconds, stdout: run.stdout, stderr: run.stderr };
}

async function recreateDatabase(name: string): Promise<string> {
  const connection = await createConnection({ host: MYSQL.hostname, port: Number(MYSQL.port || 3306), user: decodeURIComponent(MYSQL.username) || 'root', password: decodeURIComponent(MYSQL.password) });
  await connection.query(`drop database if exists \`${name}\``);
  await connection.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
  await connection.end();
  const url = new URL(MYSQL.href);
  url.pathname = `/${name}`;
  return url.href;
}

/** The business day (UTC) of an instant: YYYY-MM-DD. */
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
const WEEK_MS = 7 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
/** The bench's invoices: weeks back and amount in cents. Spread over more than a year, so a past as-of day has work. */
const BENCH_CHARGES = [
  { weeksBack: 60, cents: 1000 },
  { weeksBack: 30, cents: 2000 },
  { weeksBack: 10, cents: 3000 },
] as const;
/** A payment 20 weeks back pays the 60-week invoice in full: as of a year back that invoice was open, 1 to 30 days late. */
const BENCH_PAYMENT = { weeksBack: 20, cents: 1000 } as const;

/**
 * Four more entries per account, written straight in SQL the way the ledger
 * writes them: three invoices (charges dated 60, 30 and 10 weeks back, due
 * 30 days later) each with its open item, and a payment 20 weeks back with
 * its open item and the allocation that settles the 60-week invoice; totals
 * moved to match. Six entries in all with the import's opening charge and
 * payment. Straight through mysql2: these statements touch a million rows,
 * past the app's per-query deadline.
 */
async function addEntries(databaseUrl: string, size: number): Promise<number> {
  const url = new URL(databaseUrl);
  const connection = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username) || 'root', password: decodeURIComponent(url.password), database: url.pathname.slice(1) });
  const lastId = async () => Number(((await connection.query('select coalesce(max(id), 0) as id from ledger_entry'))[0] as { id: number }[])[0]?.id ?? 0);
  try {
    const now = Date.now();
    const chargeIds: { from: number; to: number; on: string }[] = [];
    for (const { weeksBack, cents } of BENCH_CHARGES) {
      const at = now - weeksBack * WEEK_MS;
      const on = dayOf(at);
      const due = dayOf(at + 30 * DAY_MS);
      const from = await lastId();
      await connection.query(
        `insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at, effective_on, due_on)
         select acctid, 'charge', ?, balance_cents + ?, 'Bench charge', 'bench', ?, ?, ? from account order by acctid`,
        [cents, cents, at, on, due],
      );
      const to = await lastId();
      chargeIds.push({ from, to, on });
      await connection.query(
        `insert into open_item (entry_id, acctid, side, effective_on, due_on, amount_cents, open_cents)
         select id, acctid, 'charge', effective_on, due_on, amount_cents, amount_cents from ledger_entry where id > ? and id <= ?`,
        [from, to],
      );
      await connection.query('update account set due_cents = due_cents + ?, balance_cents = balance_cents + ?', [cents, cents]);
    }
    const paidAt = now - BENCH_PAYMENT.weeksBack * WEEK_MS;
    const paidOn = dayOf(paidAt);
    const from = await lastId();
    await connection.query(
      `insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at, effective_on)
       select acctid, 'payment', ?, balance_cents - ?, 'Bench payment', 'bench', ?, ? from account order by acctid`,
      [BENCH_PAYMENT.cents, BENCH_PAYMENT.cents, paidAt, paidOn],
    );
    const to = await lastId();
    await connection.query(
      `insert into open_item (entry_id, acctid, side, effective_on, due_on, amount_cents, open_cents, last_applied_on, settled_on)
       select id, acctid, 'credit', effective_on, effective_on, amount_cents, 0, ?, ? from ledger_entry where id > ? and id <= ?`,
      [paidOn, paidOn, from, to],
    );
    const oldest = chargeIds[0]!;
    await connection.query(
      `insert into allocation (acctid, charge_id, credit_id, amount_cents, effective_on, created_at)
       select p.acctid, c.id, p.id, p.amount_cents, p.effective_on, ? from ledger_entry p
       join ledger_entry c on c.acctid = p.acctid and c.effective_on = ? and c.id > ? and c.id <= ?
       where p.id > ? and p.id <= ?`,
      [paidAt, oldest.on, oldest.from, oldest.to, from, to],
    );
    await connection.query(`update open_item set open_cents = 0, last_applied_on = ?, settled_on = ? where entry_id > ? and entry_id <= ?`, [paidOn, paidOn, oldest.from, oldest.to]);
    await connection.query('update account set paid_cents = paid_cents + ?, balance_cents = balance_cents - ?', [BENCH_PAYMENT.cents, BENCH_PAYMENT.cents]);
    const [rows] = await connection.query('select count(*) as count from ledger_entry');
    const count = Number((rows as { count: number }[])[0]?.count ?? 0);
    if (count < size * ENTRIES_PER_ACCOUNT) throw new Error(`expected ${size * ENTRIES_PER_ACCOUNT} entries, found ${count}`);
    return count;
  } finally {
    await connection.end();
  }
}

/** The database a previous run left, when BENCH_REUSE=1 and it holds `size` accounts: no import (its rate is then not measured). */
async function reusable(name: string, size: number): Promise<string | undefined> {
  if (process.env.BENCH_REUSE !== '1') return undefined;
  const connection = await createConnection({ host: MYSQL.hostname, port: Number(MYSQL.port || 3306), user: decodeURIComponent(MYSQL.username) || 'root', password: decodeURIComponent(MYSQL.password) });
  try {
    const [rows] = await connection.query(`select count(*) as count from \`${name}\`.account`);
    // The server adds the seed's three accounts at its first start.
    if (Number((rows as { count: number }[])[0]?.count) < size) return undefined;
    const url = new URL(MYSQL.href);
    url.pathname = `/${name}`;
    return url.href;
  } catch {
    return undefined;
  } finally {
    await connection.end();
  }
}

async function benchSize(size: number, dir: string, tls: { CERT: string; KEY: string }): Promise<SizeResult> {
  const name = databaseName(size);
  const reused = await reusable(name, size);
  const databaseUrl = reused ?? (await recreateDatabase(name));
  const env = { DATABASE_URL: databaseUrl, SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789' };
  let imported = { seconds: Number.NaN };
  let entries: number;
  if (reused) {
    console.log(`[${size}] reusing ${name} (BENCH_REUSE=1): no import`);
    entries = Number.NaN;
  } else {
    const csv = join(dir, `accounts-${size}.csv`);
    await writeAccountsCsv(csv, size);
    crm(['migrate'], env);
    const run = crm(['import', csv], env);
    imported = run;
    console.log(`[${size}] import: ${run.seconds.toFixed(1)} s, ${Math.round(size / run.seconds)} rows/s (${(statSync(csv).size / 1e6).toFixed(1)} MB)\n${run.stdout.trim()}`);
    entries = await addEntries(databaseUrl, size);
  }

  const db = createDatabase<Database>(parseDatabaseUrl(databaseUrl), { poolSize: 1, connectTimeoutMs: 5000 });
  const admin = await addUser(db, 'admin');
  const token = await addToken(db, admin, 'bench');
  await db.destroy();

  const server = await launch(['dist/server.js'], {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    TLS_CERT_FILE: tls.CERT,
    TLS_KEY_FILE: tls.KEY,
    ...env,
    LOG_LEVEL: 'warn',
    LOOKUP_RATE_LIMIT: '100000000',
    LOGIN_RATE_LIMIT: '100000',
    API_RATE_LIMIT: '100000000',
    API_USER_RATE_LIMIT: '100000000',
    STAFF_RATE_LIMIT: '100000000',
    ...(STATEMENT_TIMEOUT_MS ? { DB_STATEMENT_TIMEOUT_MS: STATEMENT_TIMEOUT_MS } : {}),
  });
  const scenarios: Measured[] = [];
  const aging: AgingMeasured[] = [];
  const today = dayOf(Date.now());
  const yearBack = dayOf(Date.now() - 365 * DAY_MS);
  try {
    const base = `https://127.0.0.1:${server.port}`;
    const browser = new Browser(base, tls.CERT);
    const signedIn = await browser.signIn(admin.username, admin.password);
    if (signedIn.status !== 303) throw new Error(`sign-in failed: ${signedIn.status}`);
    const page = { headers: { cookie: browser.cookieHeader() } };
    const api = { headers: { authorization: `Bearer ${token}` } };
    const middle = acctidOf(Math.ceil(size / 2));
    const { token: lookupToken } = await browser.openLookupPage();
    const lookup = {
      method: 'POST',
      headers: { cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `acctid=${middle}&csrf_token=${encodeURIComponent(lookupToken)}`,
    };
    const runs: [string, string, { method?: string; headers?: Record<string, string>; body?: string }][] = [
      ['search: id prefix', '/accounts?q=ACC00001', page],
      ['search: name word', '/accounts?q=muller', page],
      ['list sorted by name', '/accounts?sort=name', page],
      ['list: owing, largest first', '/accounts?filter=owing&sort=balance&dir=desc', page],
      ['account page', `/accounts/${middle}`, page],
      ['dashboard', '/dashboard', page],
      ['API list (name word, 50)', '/api/v1/accounts?q=smith&limit=50', api],
      ['API list (one letter, 200)', '/api/v1/accounts?q=a&limit=200', api],
      ...SEARCH_WORDS.flatMap((q) => SEARCH_ORDERS.map(([sort, dir]): [string, string, typeof page] => [`search q=${q}, ${sort} ${dir}`, `/accounts?q=${q}&sort=${sort}&dir=${dir}`, page])),
      ['public lookup POST /', '/', lookup],
    ];
    for (const [name, path, request] of runs) {
      // The very request wrk will send, once by hand: a benchmark of error pages is not a benchmark.
      const check = await new Browser(base, tls.CERT).request(path, { ...request, method: request.method ?? 'GET' });
      if (check.status !== 200) throw new Error(`${name}: ${path} answers ${check.status}: ${check.body.slice(0, 300)}`);
      const script = join(dir, `scenario-${scenarios.length}.lua`);
      writeFileSync(script, wrkScript(request));
      scenarios.push(await load(name, server.child.pid!, CONNECTIONS, `${base}${path}`, script));
    }
    // Aging: the totals and the first page, one request after another.
    const ca = readFileSync(tls.CERT);
    const bearer = { authorization: `Bearer ${token}` };
    aging.push(await measureAging('aging report today (totals + first 50)', base, '/api/v1/aging?limit=50', bearer, ca, AGING_REQUESTS_TODAY));
    aging.push(await measureAging(`aging report as of a year back, ${yearBack} (totals + first 50)`, base, `/api/v1/aging?as_of=${yearBack}&limit=50`, bearer, ca, AGING_REQUESTS_PAST));
    aging.push(await measureAging('aging of one account, a year back', base, `/api/v1/accounts/${middle}/aging?as_of=${yearBack}`, bearer, ca, AGING_REQUESTS_TODAY));
  } finally {
    await stop(server.child);
  }
  const exported = crm(['export', '--format', 'csv', '--out', join(dir, `export-${size}.csv`)], env);
  const agingCli = [measureAgingCli(today, dir, env), measureAgingCli(yearBack, dir, env)];
  return {
    size,
    importSeconds: Math.round(imported.seconds * 10) / 10,
    importRowsPerSecond: Math.round(size / imported.seconds),
    entries,
    exportRowsPerSecond: Math.round(size / exported.seconds),
    scenarios,
    aging,
    agingCli,
  };
}

async function main(): Promise<number> {
  const loadBefore = loadAverage();
  await requireMariaDb(MYSQL.toString());
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install -y wrk, or bash scripts/ci-packages.sh)');
  if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  const dir = mkdtempSync(join(tmpdir(), 'crm-scale-'));
  spawnSync('bash', [join(ROOT, 'make_cert.sh'), dir], { stdio: 'ignore' });
  const tls = { CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem') };
  const results: SizeResult[] = [];
  try {
    for (const size of SIZES) results.push(await benchSize(size, dir, tls));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\nwrk 1 thread, ${CONNECTIONS} connections, HTTPS keep-alive, ${SECONDS} s per scenario, MariaDB, load average before ${loadBefore}`);
  console.log('accounts | entries | import rows/s | export rows/s');
  for (const r of results) console.log(`${r.size} | ${r.entries} | ${r.importRowsPerSecond} (${r.importSeconds} s) | ${r.exportRowsPerSecond}`);
  console.log(`\nscenario | ${results.map((r) => `${r.size}: req/s, p50 ms, p99 ms`).join(' | ')}${results.length > 1 ? ' | p99 growth' : ''}`);
  const [small, large] = [results[0]!, results.at(-1)!];
  let grewTooMuch = false;
  for (const scenario of small.scenarios) {
    const cells = results.map((r) => r.scenarios.find((s) => s.name === scenario.name)!);
    const growth = cells.at(-1)!.p99 / scenario.p99;
    const bounded = /search|lookup/.test(scenario.name);
    if (bounded && results.length > 1 && growth > 2) grewTooMuch = true;
    console.log(
      `${scenario.name} | ${cells.map((c) => `${c.rps}, ${c.p50}, ${c.p99}${c.errors + c.non2xx > 0 ? ` (${c.errors} errors, ${c.non2xx} non-2xx)` : ''}`).join(' | ')}` +
        (results.length > 1 ? ` | ${growth.toFixed(2)}x${bounded ? ' (limit 2x)' : ''}` : ''),
    );
  }
  console.log('\naging | accounts | requests | p50 ms | p99 ms | max ms | statuses | load');
  for (const r of results) for (const a of r.aging) console.log(`${a.name} | ${r.size} | ${a.requests} | ${a.p50} | ${a.p99} | ${a.max} | ${JSON.stringify(a.statuses)} | ${a.loadAverage}`);
  console.log('\ncrm aging --out FILE | accounts | seconds | written | peak RSS MB | load');
  for (const r of results) for (const c of r.agingCli) console.log(`as of ${c.asOf} | ${r.size} | ${c.seconds} | ${c.accountsWritten} | ${c.peakRssMb} | ${c.loadAverage}`);
  if (results.length > 1) console.log(`\nsearch and lookup p99 from ${small.size} to ${large.size} accounts: ${grewTooMuch ? 'grew more than 2x: NOT MET' : 'within 2x: MET'}`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'crm-scale.json'), `${JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, loadAverageBefore: loadBefore, results }, null, 2)}\n`);
  return grewTooMuch ? 1 : 0;
}

process.exitCode = await main();
