/**
 * npm run bench: our server on MariaDB under wrk (HTTPS keep-alive, one wrk
 * thread: one core for the server, one for the generator), each scenario at
 * 16 and 64 connections next to a ceiling measured in the same round: a
 * minimal Fastify + mysql2 server doing the same queries and nothing else.
 * Scenarios: the public POST / lookup, the API account read with a bearer
 * token, recording a payment through the API, a staff search and the
 * dashboard. Loopback only; every run is bounded by BENCH_SECONDS.
 *
 *   npm run bench                          measure, print, write bench/results/latest.json
 *   npm run bench -- --out FILE.json       ... and write the figures to FILE.json too
 *   npm run bench -- --compare OLD.json    ... and print each figure's change against OLD.json
 *   npm run bench -- --compare OLD.json --against NEW.json   compare two runs, measure nothing
 *   npm run bench -- --only lookup,API --cpu-prof DIR   only the scenarios whose name has "lookup" or "API"
 *                                          (and their ceilings), our server writing a V8 CPU profile into DIR
 *                                          at exit (summarize it with bench/profile-summary.ts)
 *
 * Exits 1 when a target is missed (TARGETS below) or any request failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Browser } from '../test/support/https-client.js';
import { ROOT } from '../test/support/paths.js';
import { addToken, addUser } from '../test/support/staff.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import type { Database } from '../src/schema.js';
import { accountName, acctidOf } from './accounts.js';
import { compareRuns, summarize, type Figure, type RunFile } from './compare.js';
import { launch, load, loadAverage, NODE_OPTIONS, requireMariaDb, SECONDS, stop, WARMUP_SECONDS, wrkScript, type Measured, type WrkRequest } from './support.js';

const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_bench';
/** Unset: the lookup limiter counts in memory; set (e.g. redis://127.0.0.1:6379) to measure it on Redis. */
const REDIS_URL = process.env.BENCH_REDIS_URL;
const CONNECTIONS = [16, 64] as const;
/**
 * Single runs on a shared 2-core machine swing by about ±25 %, so every
 * scenario is measured ROUNDS times, each time right after its ceiling; the
 * median of the rounds' ratios is the figure.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Limits stay on, set where this load cannot reach them, so their cost is in the figures. */
const UNREACHABLE_LIMIT = '100000000';
/** Accounts the search and the payments spread over (made once through the API, kept in the bench database). */
const BENCH_ACCOUNTS = 1000;

const CEILING_SELECT = 'ceiling: Fastify + mysql2 select';
/** The lookup's own exchange done minimally: a form POST, the select, an HTML page of the same size. */
const CEILING_FORM = 'ceiling: Fastify + mysql2 form POST';
const CEILING_API = 'ceiling: Fastify + mysql2 token + account';
/** Each scenario's ratio to its ceiling must reach this at both connection counts (median of the rounds). */
const TARGETS: Readonly<Record<string, number>> = { 'lookup POST /': 0.7, 'API account read': 0.75 };

interface Scenario {
  readonly name: string;
  readonly url: string;
  readonly request: WrkRequest;
  /** The ceiling its ratio is to; undefined for a ceiling. */
  readonly ceiling?: string;
  /** Another ceiling its ratio is printed against too (the one an earlier bench used), not a target. */
  readonly alsoAgainst?: string;
  /** Which server answers, for its peak RSS. */
  readonly pid: number;
}

function options() {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, compare: { type: 'string' }, against: { type: 'string' }, only: { type: 'string' }, 'cpu-prof': { type: 'string' } },
  });
  if (values.against && !values.compare) throw new Error('--against NEW.json needs --compare OLD.json');
  return values;
}

const readRun = (file: string) => JSON.parse(readFileSync(resolve(file), 'utf8')) as RunFile;

async function main(): Promise<number> {
  const args = options();
  if (args.compare && args.against) {
    compareRuns(readRun(args.compare), readRun(args.against), args.compare, args.against);
    return 0;
  }
  // Read before measuring: the run writes bench/results/latest.json, which may be the file compared against.
  const previous = args.compare ? readRun(args.compare) : undefined;
  const loadBefore = loadAverage();
  await requireMariaDb(MYSQL_URL);
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install -y wrk)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-'));
  spawnSync('bash', [join(ROOT, 'make_cert.sh'), dir], { stdio: 'ignore' });
  const tls = { CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem') };
  const measured: (Measured & { round: number })[] = [];
  const stops: (() => Promise<void>)[] = [];
  let scenarios: Scenario[];
  try {
    const profile = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(args['cpu-prof'])] : [];
    const ours = await launch([...profile, 'dist/server.js'], {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      TLS_CERT_FILE: tls.CERT,
      TLS_KEY_FILE: tls.KEY,
      DATABASE_URL: MYSQL_URL,
      SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789',
      LOG_LEVEL: 'info',
      LOOKUP_RATE_LIMIT: UNREACHABLE_LIMIT,
      API_RATE_LIMIT: UNREACHABLE_LIMIT,
      API_USER_RATE_LIMIT: UNREACHABLE_LIMIT,
      STAFF_RATE_LIMIT: UNREACHABLE_LIMIT,
      ...(REDIS_URL ? { REDIS_URL } : {}),
    });
    stops.push(() => stop(ours.child));
    const minimal = await launch(['--import', 'tsx', 'bench/ceilings/fastify-mysql2.ts'], { ...tls, MYSQL_URL });
    stops.push(() => stop(minimal.child));
    const base = `https://127.0.0.1:${ours.port}`;
    const ceilingBase = `https://127.0.0.1:${minimal.port}`;
    scenarios = only(await prepare(base, tls.CERT, ours.child.pid!, minimal.child.pid!, ceilingBase), args.only);

    const scripts = new Map(scenarios.map((s, i) => [s.name, join(dir, `scenario-${i}.lua`)]));
    for (const s of scenarios) writeFileSync(scripts.get(s.name)!, wrkScript(s.request));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const connections of CONNECTIONS) {
        for (const s of scenarios) {
          const m = await load(s.name, s.pid, connections, s.url, scripts.get(s.name)!);
          console.log(`round ${round}, ${connections} conns: ${s.name}: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.cpuUsPerRequest} µs CPU/request, load ${m.loadAverage}`);
          measured.push({ ...m, round });
        }
      }
    }
  } finally {
    for (const stopServer of stops.reverse()) await stopServer();
    rmSync(dir, { recursive: true, force: true });
  }

  const ceilingOf = new Map(scenarios.map((s) => [s.name, s.ceiling]));
  const figures: Figure[] = summarize(measured, (name) => ceilingOf.get(name));
  const targets = figures
    .filter((f) => TARGETS[f.scenario] !== undefined)
    .map((f) => ({ scenario: f.scenario, connections: f.connections, need: TARGETS[f.scenario]!, ratio: f.ratio!, met: f.ratio! >= TARGETS[f.scenario]! }));
  const clean = measured.every((m) => m.errors === 0 && m.non2xx === 0);
  const met = clean && targets.every((t) => t.met);

  console.log(
    `\nwrk 1 thread, HTTPS keep-alive, ${SECONDS} s per measurement after a ${WARMUP_SECONDS} s warm-up, ${ROUNDS} rounds (each scenario right after its ceiling), 127.0.0.1, ` +
      `servers with NODE_OPTIONS=${NODE_OPTIONS}, rate limits on at ${UNREACHABLE_LIMIT}/min (${REDIS_URL ? 'Redis' : 'in-memory'} counters), ` +
      `1-min load average before the run ${loadBefore}`,
  );
  console.log('scenario | conns | req/s | p50 ms | p99 ms | ratio to ceiling (median; rounds) | CPU µs/request | CPU ratio | ceiling | errors | non-2xx | peak RSS MB | load average');
  for (const f of figures) {
    const ratio = f.ratio === null ? '' : `${pct(f.ratio)} (${f.ratios.map(pct).join(', ')})`;
    const cpuRatio = f.cpuRatio === null ? '' : pct(f.cpuRatio);
    console.log([f.scenario, f.connections, f.rps, f.p50, f.p99, ratio, f.cpuUsPerRequest, cpuRatio, f.ceiling ?? '', f.errors, f.non2xx, f.rssMb, f.loadAverages.join(', ')].join(' | '));
  }
  // Until 2026-12-06 the lookup was compared with the select's GET (JSON, no body to read): still printed, for comparison.
  const alsoAgainst = new Map(scenarios.filter((s) => s.alsoAgainst).map((s) => [s.name, s.alsoAgainst]));
  for (const f of summarize(measured, (name) => alsoAgainst.get(name)).filter((f) => f.ratio !== null)) {
    console.log(`${f.scenario} | ${f.connections} | against ${f.ceiling} instead: ${pct(f.ratio!)} (${f.ratios.map(pct).join(', ')}), CPU ratio ${pct(f.cpuRatio!)}`);
  }
  console.log('');
  for (const t of targets) console.log(`target: ${t.scenario} at ${t.connections} connections ${pct(t.ratio)} of its ceiling (need >= ${pct(t.need)}): ${t.met ? 'MET' : 'NOT MET'}`);
  console.log(`errors or non-2xx in any measurement: ${clean ? 'none' : 'some'}; overall: ${met ? 'MET' : 'NOT MET'}`);

  const run: RunFile = {
    generator: 'wrk',
    threads: 1,
    seconds: SECONDS,
    rounds: ROUNDS,
    nodeOptions: NODE_OPTIONS,
    rateLimit: Number(UNREACHABLE_LIMIT),
    redis: Boolean(REDIS_URL),
    loadAverageBefore: loadBefore,
    figures,
    measured,
    targets,
    met,
  };
  const text = `${JSON.stringify(run, null, 2)}\n`;
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), text);
  if (args.out) {
    mkdirSync(dirname(resolve(args.out)), { recursive: true });
    writeFileSync(resolve(args.out), text);
  }
  if (previous) compareRuns(previous, run, args.compare!, 'this run');
  return met ? 0 : 1;
}

/** The scenarios whose name contains one of the comma-separated `filter`'s words, with their ceilings; all without a filter. */
function only(scenarios: Scenario[], filter: string | undefined): Scenario[] {
  if (filter === undefined) return scenarios;
  const words = filter.split(',');
  const chosen = scenarios.filter((s) => s.ceiling !== undefined && words.some((word) => s.name.includes(word)));
  if (chosen.length === 0) throw new Error(`no scenario's name contains "${filter}"`);
  const ceilings = new Set(chosen.flatMap((s) => [s.ceiling, s.alsoAgainst]));
  return scenarios.filter((s) => chosen.includes(s) || ceilings.has(s.name));
}

const pct = (ratio: number) => `${(100 * ratio).toFixed(1)}%`;

/**
 * What the scenarios need: a staff user with a token and a session, the
 * bench accounts, and each request sent once by hand and checked (a
 * benchmark of error pages is not a benchmark).
 */
async function prepare(base: string, ca: string, oursPid: number, ceilingPid: number, ceilingBase: string): Promise<Scenario[]> {
  const db = createDatabase<Database>(parseDatabaseUrl(MYSQL_URL), { poolSize: 1, connectTimeoutMs: 5000 });
  const admin = await addUser(db, 'admin');
  const token = await addToken(db, admin, 'bench');
  await db.destroy();
  const bearer = { authorization: `Bearer ${token}` };
  const json = { ...bearer, 'content-type': 'application/json' };

  const api = new Browser(base, ca);
  if ((await api.request(`/api/v1/accounts/${acctidOf(BENCH_ACCOUNTS)}`, { headers: bearer })).status === 404) {
    for (let i = 1; i <= BENCH_ACCOUNTS; i++) {
      const made = await api.request('/api/v1/accounts', { method: 'POST', headers: json, body: JSON.stringify({ acctid: acctidOf(i), name: accountName(i) }) });
      if (made.status !== 201 && made.status !== 409) throw new Error(`could not make the bench account ${acctidOf(i)}: ${made.status} ${made.body.slice(0, 300)}`);
    }
  }

  const visitor = new Browser(base, ca);
  const { token: formToken } = await visitor.openLookupPage();
  const staff = new Browser(base, ca);
  const signedIn = await staff.signIn(admin.username, admin.password);
  if (signedIn.status !== 303) throw new Error(`sign-in failed: ${signedIn.status}`);
  const page = { headers: { cookie: staff.cookieHeader() } };

  const scenarios: Scenario[] = [
    { name: CEILING_SELECT, url: `${ceilingBase}/account/ACCT100`, request: {}, pid: ceilingPid },
    {
      name: CEILING_FORM,
      url: `${ceilingBase}/`,
      request: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `acctid=ACCT100&csrf_token=${encodeURIComponent(formToken)}` },
      pid: ceilingPid,
    },
    {
      name: 'lookup POST /',
      ceiling: CEILING_FORM,
      alsoAgainst: CEILING_SELECT,
      url: `${base}/`,
      request: {
        method: 'POST',
        headers: { cookie: visitor.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        body: `acctid=ACCT100&csrf_token=${encodeURIComponent(formToken)}`,
      },
      pid: oursPid,
    },
    { name: CEILING_API, url: `${ceilingBase}/api/account/ACCT100`, request: { headers: bearer }, pid: ceilingPid },
    { name: 'API account read', ceiling: CEILING_API, url: `${base}/api/v1/accounts/ACCT100`, request: { headers: bearer }, pid: oursPid },
    {
      name: 'payment (API POST entry)',
      ceiling: CEILING_API,
      url: `${base}/api/v1/accounts/${acctidOf(1)}/entries`,
      request: {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ kind: 'payment', amount_cents: 1, memo: 'bench' }),
        // One cent to each bench account in turn, each with its own Idempotency-Key, as a client retrying safely sends.
        paths: Array.from({ length: BENCH_ACCOUNTS }, (_, i) => `/api/v1/accounts/${acctidOf(i + 1)}/entries`),
        uniqueHeader: 'idempotency-key',
      },
      pid: oursPid,
    },
    // A name word one account in 30 has (33 of the bench accounts).
    { name: 'search (staff page)', ceiling: CEILING_SELECT, url: `${base}/accounts?q=smith`, request: page, pid: oursPid },
    { name: 'dashboard', ceiling: CEILING_SELECT, url: `${base}/dashboard`, request: page, pid: oursPid },
  ];
  for (const s of scenarios) {
    const check = await new Browser(base, ca).request(s.url, {
      method: s.request.method ?? 'GET',
      headers: { ...s.request.headers, ...(s.request.uniqueHeader ? { [s.request.uniqueHeader]: `bench-check-${Date.now()}` } : {}) },
      ...(s.request.body !== undefined ? { body: s.request.body } : {}),
    });
    if (check.status < 200 || check.status > 299) throw new Error(`${s.name}: ${s.url} answers ${check.status}: ${check.body.slice(0, 300)}`);
    if (s.name === 'lookup POST /' && !check.body.includes('Account balance: 40.00 USD')) throw new Error('the lookup does not answer "Account balance: 40.00 USD"; not benchmarking it');
  }
  return scenarios;
}

process.exitCode = await main();
