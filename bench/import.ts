/**
 * npm run bench:import: `crm import` end to end into a fresh MariaDB
 * database, as an operator runs it (the built command, all or nothing), for
 * each size in BENCH_IMPORT_SIZES (default 20,000 and 100,000 rows),
 * BENCH_IMPORT_RUNS times each (default 3). Each run drops and makes the
 * database again (BENCH_MYSQL_URL, default crm_bench_import), migrates it and
 * times the import from spawn to exit, split into phases by the command's
 * own progress lines (one per batch) and its summary: start-up, the check
 * pass, the write pass, the commit, exit. Then, unless
 * BENCH_IMPORT_PROFILE=0, one more import per size in this process with every
 * statement timed in the driver (Kysely's query log: parameters formatted,
 * the round trip, the server), grouped by statement and table; the rest is
 * Node's own work (reading, checks, search terms, building statements).
 * Each run also reports CPU seconds: the command's (GNU time) and the MariaDB
 * server's busiest thread (its connection), which other work on a shared
 * machine disturbs far less than wall time.
 * BENCH_IMPORT_ROOT times another checkout's built command (a before/after
 * comparison). Prints rows/s (the command's report: rows over its own time) and the wall
 * time, the load average before each run, and writes bench/results/import.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, MysqlDialect } from 'kysely';
import { createPool } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import { CLI_ACTOR } from '../src/modules/audit/index.js';
import { importAccounts } from '../src/modules/import-export/index.js';
import type { Database } from '../src/schema.js';
import { ROOT } from '../test/support/paths.js';
import { writeAccountsCsv } from './accounts.js';
import { loadAverage, requireMariaDb } from './support.js';

const SIZES = (process.env.BENCH_IMPORT_SIZES ?? '20000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 3);
const PROFILE = process.env.BENCH_IMPORT_PROFILE !== '0';
/** Extra arguments for `crm import` (such as --partial or --batch-size 1000). */
const EXTRA_ARGS = (process.env.BENCH_IMPORT_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
const DATABASE_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_bench_import';
/** Another checkout's built command to time instead (before/after comparisons); this one's by default. */
const CLI_ROOT = process.env.BENCH_IMPORT_ROOT ?? ROOT;

interface Run {
  size: number;
  run: number;
  loadAverage: number;
  wallSeconds: number;
  /** The command's own figure: rows over the import's time (its summary's `rate`). */
  rowsPerSecond: number;
  importSeconds: number;
  phases: { startup: number; check: number; write: number; commit: number; exit: number };
  /** CPU seconds of the command (user + system, start-up included). */
  commandCpu: number;
  /** CPU seconds of the MariaDB server during the run: every thread (others' work included), and the busiest (this import's connection). */
  serverCpu: { total: number; busiest: number };
}

interface Profile {
  size: number;
  loadAverage: number;
  seconds: number;
  statements: { name: string; count: number; seconds: number }[];
}

/**
 * The MariaDB server's process on this machine (the one listening on the URL's port), or
 * undefined for a remote one. Its threads' CPU time is read from /proc: on a shared machine
 * CPU seconds vary less than wall time with other work, and one connection's statements run
 * on one server thread (the busiest one during the import).
 */
function serverPid(): string | undefined {
  if (process.env.BENCH_MARIADB_PID) return process.env.BENCH_MARIADB_PID;
  const port = new URL(DATABASE_URL).port || '3306';
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!/mariadbd|mysqld/.test(command[0] ?? '')) continue;
      const flag = command.find((arg) => arg.startsWith('--port='));
      if ((flag ? flag.slice('--port='.length) : '3306') === port) return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

const CLOCK_TICKS = 100;

/** CPU seconds of each thread of a process (utime + stime). */
function threadCpu(pid: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      times.set(tid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // The thread ended.
    }
  }
  return times;
}

/** The server's CPU seconds since `before`: all threads, and the busiest one. */
function serverCpuSince(pid: string | undefined, before: Map<string, number> | undefined): { total: number; busiest: number } {
  if (!pid || !before) return { total: Number.NaN, busiest: Number.NaN };
  let total = 0;
  let busiest = 0;
  for (const [tid, seconds] of threadCpu(pid)) {
    const used = seconds - (before.get(tid) ?? 0);
    total += used;
    busiest = Math.max(busiest, used);
  }
  return { total: Math.round(total * 100) / 100, busiest: Math.round(busiest * 100) / 100 };
}

async function recreateDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/';
  const connection = await createConnection(url.toString());
  try {
    await connection.query(`drop database if exists \`${name}\``);
    await connection.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
  } finally {
    await connection.end();
  }
}

/** Accounts, entries, and accounts with search terms. */
async function counts(): Promise<[number, number, number]> {
  const connection = await createConnection(DATABASE_URL);
  try {
    const [rows] = await connection.query(
      'select (select count(*) from account) as accounts, (select count(*) from ledger_entry) as entries, (select count(distinct acctid) from account_search_term) as searchable',
    );
    const { accounts, entries, searchable } = (rows as { accounts: number; entries: number; searchable: number }[])[0]!;
    return [Number(accounts), Number(entries), Number(searchable)];
  } finally {
    await connection.end();
  }
}

/** What every run must leave: each row an account, findable, with its two opening entries (a wrong import is not a benchmark). */
async function checkImported(size: number, before: [number, number, number]): Promise<void> {
  const after = await counts();
  const expected = [before[0] + size, before[1] + 2 * size, before[2] + size];
  if (after.some((count, i) => count !== expected[i])) {
    throw new Error(`after importing ${size} rows: ${after.join(', ')} accounts, entries, searchable accounts; expected ${expected.join(', ')}`);
  }
}

const env = { PATH: process.env.PATH ?? '', ENV_FILE: 'none', DATABASE_URL, SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789' };

function migrate(): void {
  const run = spawnSync(process.execPath, ['dist/cli/main.js', 'migrate'], { cwd: CLI_ROOT, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`crm migrate failed: ${run.stderr}`);
}

/** One `crm import`, its progress lines timestamped as they arrive. */
async function timedImport(csv: string, size: number, run: number): Promise<Run> {
  await recreateDatabase();
  migrate();
  // The migration seeds a few accounts.
  const before = await counts();
  const load = loadAverage();
  const pid = serverPid();
  const cpuBefore = pid ? threadCpu(pid) : undefined;
  const timeFile = join(tmpdir(), `crm-import-bench-time-${process.pid}`);
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, 'dist/cli/main.js', 'import', csv, '--progress-interval', '0', ...EXTRA_ARGS], {
    cwd: CLI_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let checkEnd = Number.NaN;
  let writeEnd = Number.NaN;
  let summaryAt = Number.NaN;
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const now = performance.now() - started;
    stderr += chunk;
    if (/^checked /m.test(chunk)) checkEnd = now;
    if (/^imported /m.test(chunk)) writeEnd = now;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (Number.isNaN(summaryAt) && /^rate /m.test(stdout)) summaryAt = performance.now() - started;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wall = performance.now() - started;
  const serverCpu = serverCpuSince(pid, cpuBefore);
  const [user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  rmSync(timeFile, { force: true });
  if (code !== 0) throw new Error(`crm import failed (${String(code)}): ${stdout.slice(-1000)} ${stderr.slice(-2000)}`);
  const importMs = Number(/^time\s+([\d.]+) s$/m.exec(stdout)?.[1]) * 1000;
  const rate = Number(/^rate\s+(\d+) rows\/s$/m.exec(stdout)?.[1]);
  await checkImported(size, before);
  const importStart = summaryAt - importMs;
  // Partial imports have no check pass: their writing starts with the import.
  const checked = Number.isNaN(checkEnd) ? importStart : checkEnd;
  const s = (ms: number) => Math.round(ms) / 1000;
  return {
    size,
    run,
    loadAverage: load,
    wallSeconds: s(wall),
    rowsPerSecond: rate,
    importSeconds: s(importMs),
    phases: { startup: s(importStart), check: s(checked - importStart), write: s(writeEnd - checked), commit: s(summaryAt - writeEnd), exit: s(wall - summaryAt) },
    commandCpu: Math.round(((user ?? Number.NaN) + (system ?? Number.NaN)) * 100) / 100,
    serverCpu,
  };
}

/** The statement's kind and table, from its text: "insert account_search_term". */
function describeStatement(text: string): string {
  const trimmed = text.trimStart();
  const verb = /^\w+/.exec(trimmed)?.[0].toLowerCase() ?? '?';
  const table = (verb === 'insert' ? /^insert (?:ignore )?into [`"]?(\w+)/i : verb === 'update' ? /^update [`"]?(\w+)/i : /\bfrom [`"]?(\w+)/i).exec(trimmed)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** Every statement's time in the driver (parameters formatted, the round trip, the server), by kind and table; Kysely's own compiling is left to Node's share. */
class StatementTimes {
  readonly totals = new Map<string, { count: number; ms: number }>();
  add(text: string, ms: number): void {
    const name = describeStatement(text);
    const total = this.totals.get(name) ?? { count: 0, ms: 0 };
    total.count++;
    total.ms += ms;
    this.totals.set(name, total);
  }
}

async function profile(csv: string, size: number): Promise<Profile> {
  await recreateDatabase();
  migrate();
  const load = loadAverage();
  const times = new StatementTimes();
  const url = new URL(DATABASE_URL);
  // The app's pool (mysql2, one connection) with Kysely's query log, which times each statement in the driver.
  const db = new Kysely<Database>({
    dialect: new MysqlDialect({ pool: createPool({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), database: url.pathname.slice(1), connectionLimit: 1, charset: 'utf8mb4', timezone: 'Z', supportBigNumbers: true }) }),
    log: (event) => times.add(event.query.sql, event.queryDurationMillis),
  });
  try {
    const started = performance.now();
    const partial = EXTRA_ARGS.includes('--partial');
    const report = await importAccounts(db, { name: csv, size: statSync(csv).size, open: () => createReadStream(csv) }, { actor: CLI_ACTOR, mode: partial ? 'partial' : 'all-or-nothing' });
    const seconds = (performance.now() - started) / 1000;
    if (report.imported !== size) throw new Error(`the profiled import imported ${report.imported} of ${size}`);
    const statements = [...times.totals].map(([name, { count, ms }]) => ({ name, count, seconds: Math.round(ms) / 1000 })).sort((a, b) => b.seconds - a.seconds);
    return { size, loadAverage: load, seconds: Math.round(seconds * 1000) / 1000, statements };
  } finally {
    await db.destroy();
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  await requireMariaDb(DATABASE_URL);
  if (spawnSync('bash', ['scripts/build-if-stale.sh'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  const dir = mkdtempSync(join(tmpdir(), 'crm-import-bench-'));
  const runs: Run[] = [];
  const profiles: Profile[] = [];
  try {
    for (const size of SIZES) {
      const csv = join(dir, `accounts-${size}.csv`);
      await writeAccountsCsv(csv, size);
      for (let run = 1; run <= RUNS; run++) {
        const measured = await timedImport(csv, size, run);
        runs.push(measured);
        const p = measured.phases;
        console.log(
          `[${size}] run ${run}: ${measured.rowsPerSecond} rows/s (import ${measured.importSeconds} s; wall ${measured.wallSeconds} s = start-up ${p.startup} + check ${p.check} + write ${p.write} + commit ${p.commit} + exit ${p.exit}); CPU: command ${measured.commandCpu} s, server ${measured.serverCpu.busiest} s (all threads ${measured.serverCpu.total} s); load ${measured.loadAverage}`,
        );
      }
      if (PROFILE) {
        const profiled = await profile(csv, size);
        profiles.push(profiled);
        const inStatements = profiled.statements.reduce((sum, { seconds }) => sum + seconds, 0);
        console.log(`[${size}] profile (in this process, every statement timed): ${profiled.seconds} s, ${Math.round(size / profiled.seconds)} rows/s, load ${profiled.loadAverage}`);
        for (const { name, count, seconds } of profiled.statements) console.log(`  ${name.padEnd(34)} ${String(count).padStart(6)} statements ${seconds.toFixed(3).padStart(8)} s`);
        console.log(`  ${'Node (reading, checks, terms, …)'.padEnd(34)} ${''.padStart(6)}            ${(profiled.seconds - inStatements).toFixed(3).padStart(8)} s`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nrows | runs | rows/s median (min–max) | wall s median | command CPU s median | server CPU s median (busiest thread) | load average`);
  for (const size of SIZES) {
    const mine = runs.filter((run) => run.size === size);
    if (mine.length === 0) continue;
    const rates = mine.map((run) => run.rowsPerSecond);
    console.log(`${size} | ${mine.length} | ${median(rates)} (${Math.min(...rates)}–${Math.max(...rates)}) | ${median(mine.map((run) => run.wallSeconds))} | ${median(mine.map((run) => run.commandCpu))} | ${median(mine.map((run) => run.serverCpu.busiest))} | ${mine.map((run) => run.loadAverage).join(', ')}`);
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'import.json'), `${JSON.stringify({ args: EXTRA_ARGS, runs, profiles }, null, 2)}\n`);
}

await main();
