/**
 * How long the dashboard's figures take at scale: builds (once) a database of
 * DASHBOARD_ACCOUNTS accounts (default 1,000,000) and DASHBOARD_ENTRIES ledger
 * entries (default 5,000,000, spread evenly over two years up to now) on
 * SQLite (a file under var/), MariaDB/MySQL and PostgreSQL (database
 * crm_dashboard_bench on the test servers), then times summarize() and each
 * of its queries: without the dashboard migration's index, then with it.
 *
 *   node --import tsx bench/dashboard.ts [sqlite|mysql|postgres ...]
 *
 * DASHBOARD_RESET=1 rebuilds the data; DASHBOARD_RUNS (default 5) timed runs
 * after one warm-up, reported as median (min–max) milliseconds.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { migrations } from '../src/migrations/index.js';
import { accountFigures, largestBalances, recentActivity, summarize, weeklyFigures } from '../src/modules/dashboard/summary.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/platform/db/database-url.js';
import { dialectOf, type DialectName } from '../src/platform/db/dialect.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import type { Database } from '../src/schema.js';
import { ROOT } from '../test/support/paths.js';

const ACCOUNTS = Number(process.env.DASHBOARD_ACCOUNTS ?? 1_000_000);
const ENTRIES = Number(process.env.DASHBOARD_ENTRIES ?? 5_000_000);
const RUNS = Number(process.env.DASHBOARD_RUNS ?? 5);
const RESET = process.env.DASHBOARD_RESET === '1';
const DATABASE = 'crm_dashboard_bench';
const DASHBOARD_MIGRATION = '2026-11-29T1500-dashboard-indexes';
const SPAN_MS = 730 * 86_400_000;

const TARGETS: Readonly<Record<string, { url: string; admin?: string }>> = {
  sqlite: { url: `sqlite:${join(ROOT, 'var', 'dashboard-bench', 'crm.db')}` },
  mysql: { url: process.env.BENCH_MYSQL_URL ?? `mysql://root@127.0.0.1:3306/${DATABASE}`, admin: 'mysql://root@127.0.0.1:3306/mysql' },
  postgres: { url: process.env.BENCH_POSTGRES_URL ?? `postgres://postgres@127.0.0.1:5432/${DATABASE}`, admin: 'postgres://postgres@127.0.0.1:5432/postgres' },
};

const LONG = { poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 3_600_000, acquireTimeoutMs: 60_000 };

/** The rows of one table expression `seq(n)`, n from lo to hi, as each database makes them. */
function numbers(dialect: DialectName, lo: number, hi: number) {
  if (dialect === 'mysql') return sql.raw(`(select seq as n from seq_${lo}_to_${hi}) as seq`);
  if (dialect === 'postgres') return sql.raw(`generate_series(${lo}::bigint, ${hi}::bigint) as seq(n)`);
  return sql.raw(`(with recursive s(n) as (select ${lo} union all select n + 1 from s where n < ${hi}) select n from s) as seq`);
}

const text = (dialect: DialectName, prefix: string, n: string) => sql.raw(dialect === 'mysql' ? `concat('${prefix}', ${n})` : `'${prefix}' || ${n}`);

async function generate(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const now = Date.now();
  const chunk = 250_000;
  for (let lo = 1; lo <= ACCOUNTS; lo += chunk) {
    const hi = Math.min(ACCOUNTS, lo + chunk - 1);
    // A spread of balances: a quarter settled, a tenth in credit, the rest owing in every band.
    await sql`insert into account (acctid, name, sort_name, paid_cents, due_cents, balance_cents, closed_at, created_at, updated_at, notes)
      select ${text(dialect, 'D', 'n')}, ${text(dialect, 'Customer ', 'n')}, ${text(dialect, 'customer ', 'n')},
        base + (case when bal < 0 then -bal else 0 end), base + (case when bal > 0 then bal else 0 end), bal,
        case when n % 20 = 0 then ${sql.lit(now)} else null end, ${sql.lit(now)}, ${sql.lit(now)}, ''
      from (select n, (n * 37) % 50000 as base,
              case when r < 250 then 0 when r < 350 then -(1 + (n * 13) % 20000) when r < 650 then 1 + (n * 17) % 10000
                   when r < 900 then 10001 + (n * 19) % 90000 when r < 980 then 100001 + (n * 23) % 900000 else 1000001 + (n * 29) % 9000000 end as bal
            from (select n, (n * 2654435761) % 1000 as r from ${numbers(dialect, lo, hi)}) x) y`.execute(db);
    process.stdout.write(`  accounts ${hi}\n`);
  }
  const start = now - SPAN_MS;
  const step = Math.floor(SPAN_MS / ENTRIES);
  const entryChunk = 500_000;
  for (let lo = 1; lo <= ENTRIES; lo += entryChunk) {
    const hi = Math.min(ENTRIES, lo + entryChunk - 1);
    await sql`insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at)
      select ${text(dialect, 'D', `(1 + (n * 7) % ${ACCOUNTS})`)},
        case when n % 10 < 5 then 'payment' when n % 10 < 9 then 'charge' else 'adjustment' end,
        case when n % 20 = 19 then -(1 + (n * 7919) % 100000) else 1 + (n * 7919) % 100000 end,
        0, '', 'bench', ${sql.lit(start)} + n * ${sql.lit(step)}
      from ${numbers(dialect, lo, hi)}`.execute(db);
    process.stdout.write(`  entries ${hi}\n`);
  }
  if (dialect === 'postgres') await sql`vacuum analyze`.execute(db);
  if (dialect === 'mysql') await sql`analyze table account, ledger_entry`.execute(db);
}

async function prepare(name: string, target: DatabaseTarget, admin: string | undefined): Promise<void> {
  if (target.kind === 'sqlite') {
    if (RESET) rmSync(join(ROOT, 'var', 'dashboard-bench'), { recursive: true, force: true });
    mkdirSync(join(ROOT, 'var', 'dashboard-bench'), { recursive: true });
    return;
  }
  const db = createDatabase<unknown>(parseDatabaseUrl(admin!), LONG);
  try {
    if (target.kind === 'mysql') {
      if (RESET) await sql`drop database if exists ${sql.id(DATABASE)}`.execute(db);
      await sql`create database if not exists ${sql.id(DATABASE)} character set utf8mb4 collate utf8mb4_bin`.execute(db);
    } else {
      if (RESET) await sql`drop database if exists ${sql.id(DATABASE)}`.execute(db);
      const { rows } = await sql<{ n: number }>`select 1 as n from pg_database where datname = ${DATABASE}`.execute(db);
      if (rows.length === 0) await sql`create database ${sql.id(DATABASE)}`.execute(db);
    }
  } finally {
    await db.destroy();
  }
  process.stdout.write(`${name}: database ready\n`);
}

async function time(what: string, work: () => Promise<unknown>): Promise<string> {
  const runs: number[] = [];
  try {
    await work();
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await work();
      runs.push(performance.now() - started);
    }
  } catch (error) {
    // What the app would meet too: the pool's 3 s wait for a connection, or the 5 s statement timeout.
    return `    ${what.padEnd(20)} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  runs.sort((a, b) => a - b);
  const ms = (value: number) => value.toFixed(0);
  return `    ${what.padEnd(20)} ${ms(runs[Math.floor(runs.length / 2)]!).padStart(6)} ms  (${ms(runs[0]!)}–${ms(runs.at(-1)!)})`;
}

async function measure(name: string, db: Kysely<Database>, label: string): Promise<void> {
  const lines = [`  ${name}, ${label}:`];
  lines.push(await time('summarize()', () => summarize(db)));
  lines.push(await time('account figures', () => accountFigures(db)));
  lines.push(await time('largest balances', () => largestBalances(db)));
  lines.push(await time('recent activity', () => recentActivity(db)));
  lines.push(await time('weekly chart', () => weeklyFigures(db, Date.now())));
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function run(name: string): Promise<void> {
  const config = TARGETS[name];
  if (!config) throw new Error(`unknown target ${name}: one of ${Object.keys(TARGETS).join(', ')}`);
  const target = parseDatabaseUrl(config.url);
  await prepare(name, target, config.admin);
  const builder = createDatabase<Database>(target, LONG);
  const db = createDatabase<Database>(target, { poolSize: 10, connectTimeoutMs: 5000 });
  try {
    const dialect = dialectOf(builder);
    if (dialect === 'sqlite') await sql`pragma synchronous = off`.execute(builder);
    // Without the dashboard migration first (unless an earlier run applied it), to measure with and without its index.
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(builder).then(
      ({ rows }) => rows.map((row) => row.name),
      (): string[] => [],
    );
    const indexed = applied.includes(DASHBOARD_MIGRATION);
    const before = Object.fromEntries(Object.entries(migrations).filter(([migration]) => migration < DASHBOARD_MIGRATION));
    await migrateToLatest(builder, indexed ? migrations : before);
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from account`.execute(builder);
    const accounts = Number(rows[0]?.n ?? 0);
    if (accounts === 0) {
      process.stdout.write(`${name}: generating ${ACCOUNTS} accounts and ${ENTRIES} entries\n`);
      const started = performance.now();
      await generate(builder, dialect);
      process.stdout.write(`${name}: generated in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    } else {
      process.stdout.write(`${name}: ${accounts} accounts already there\n`);
    }
    if (!indexed) await measure(name, db, 'without the dashboard index');
    const started = performance.now();
    await migrateToLatest(builder, migrations);
    if (!indexed) process.stdout.write(`  the dashboard migration took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    if (dialect === 'postgres') await sql`vacuum analyze ledger_entry`.execute(builder);
    await measure(name, db, 'with the dashboard index');
  } finally {
    await builder.destroy();
    await db.destroy();
  }
}

const chosen = process.argv.slice(2);
for (const name of chosen.length > 0 ? chosen : Object.keys(TARGETS)) await run(name);
