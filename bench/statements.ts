/**
 * npm run bench:statements: how many PDF statements `crm statements` writes a
 * second. Makes a database of BENCH_STATEMENT_ACCOUNTS accounts (2,000 by
 * default) on SQLite (a temporary file) or, with BENCH_MYSQL_URL, on MariaDB
 * (that database, emptied first), each with an invoice a month from August to
 * November 2026 and payments, recorded through the ledger (so open items and
 * allocations are real) and a tenth of them paid up; then runs the command
 * as an operator does (`crm statements --as-of 2026-11-30 --out DIR`, the
 * built command: dist/cli/main.js, built first if stale) and reports the rate the command prints (statements
 * written ÷ the writing's own time) and the process's wall time.
 * Figures, not a pass/fail test. Local only; bounded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrateDatabase } from '../src/migrations/index.js';
import { recordEntry } from '../src/modules/ledger/index.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import { seedWithLedger } from '../src/prepare-database.js';
import type { Database } from '../src/schema.js';
import { cents } from '../src/shared/money.js';
import { ROOT } from '../test/support/paths.js';
import { accountName, acctidOf } from './accounts.js';
import { loadAverage } from './support.js';

const ACCOUNTS = Number(process.env.BENCH_STATEMENT_ACCOUNTS ?? 2000);
const MYSQL_URL = process.env.BENCH_MYSQL_URL;
const AS_OF = '2026-11-30';
const actor = { name: 'bench' };

async function databaseUrl(dir: string): Promise<string> {
  if (!MYSQL_URL) return `sqlite:${join(dir, 'crm.db')}`;
  const url = new URL(MYSQL_URL);
  const name = decodeURIComponent(url.pathname.slice(1)) || 'crm_bench_statements';
  const server = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
  await server.query(`drop database if exists \`${name}\``);
  await server.query(`create database \`${name}\``);
  await server.end();
  url.pathname = `/${name}`;
  return url.toString();
}

/** Account i: four monthly invoices of 100.00–1,099.99, paid in part; every tenth account paid up (no statement). */
async function fill(url: string): Promise<number> {
  const db = createDatabase<Database>(parseDatabaseUrl(url), { poolSize: 2, connectTimeoutMs: 5000 });
  await migrateDatabase(db);
  let entries = 0;
  for (let first = 0; first < ACCOUNTS; first += 500) {
    const batch = Array.from({ length: Math.min(500, ACCOUNTS - first) }, (_, k) => ({ acctid: acctidOf(first + k), paidCents: cents(0), dueCents: cents(0) }));
    await db.transaction().execute((trx) => seedWithLedger(trx, batch));
    for (const { acctid } of batch) await db.updateTable('account').set({ name: accountName(Number(acctid.slice(3))) }).where('acctid', '=', acctid).execute();
  }
  for (let i = 0; i < ACCOUNTS; i += 1) {
    const acctid = acctidOf(i);
    const invoice = 10_000 + ((i * 7919) % 100_000);
    const record = (kind: 'charge' | 'payment', amountCents: number, effectiveOn: string, reference: string) =>
      db.transaction().execute((trx) => recordEntry(trx, actor, { acctid, kind, amountCents: cents(amountCents), effectiveOn, reference, memo: kind === 'charge' ? 'Services' : 'Thank you' }));
    for (const [n, month] of ['08', '09', '10', '11'].entries()) await record('charge', invoice, `2026-${month}-05`, `INV-${i}-${n + 1}`);
    await record('payment', invoice, '2026-09-20', `PAY-${i}-1`);
    await record('payment', i % 10 === 0 ? invoice * 3 : Math.floor(invoice / 2), '2026-11-18', `PAY-${i}-2`);
    entries += 6;
  }
  await db.destroy();
  return entries;
}

const dir = mkdtempSync(join(tmpdir(), 'crm-statements-bench-'));
try {
  const url = await databaseUrl(dir);
  const filled = performance.now();
  const entries = await fill(url);
  console.log(`${ACCOUNTS} accounts, ${entries} entries on ${MYSQL_URL ? 'MariaDB' : 'SQLite'} in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
  const out = join(dir, 'out');
  if (spawnSync('bash', ['scripts/build-if-stale.sh'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  const started = performance.now();
  // bash's `time` reports the command's CPU seconds (user, system; every thread) on the last line of stderr.
  const run = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time "$@"', 'bash', process.execPath, 'dist/cli/main.js', 'statements', '--as-of', AS_OF, '--out', out], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'production', SESSION_SECRET: 'bench-statements-0123456789abcdef0123456789', DATABASE_URL: url },
    encoding: 'utf8',
  });
  const wall = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`crm statements failed (${String(run.status)}): ${run.stderr.slice(-2000)}`);
  const files = readdirSync(out).filter((name) => name.endsWith('.pdf')).length;
  const [user = 0, system = 0] = (run.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  console.log(run.stdout.trim());
  console.log(`${files} PDF files; the process took ${wall.toFixed(2)} s in all (${Math.round(files / wall)} statements/s including start-up)`);
  console.log(`CPU ${(user + system).toFixed(2)} s (user ${user} s, system ${system} s): ${(((user + system) * 1000) / files).toFixed(1)} ms a statement, start-up included; load average ${loadAverage()} (2 cores)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
