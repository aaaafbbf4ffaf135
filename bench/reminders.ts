/**
 * npm run bench:reminders: how long `crm reminders run` takes to queue the
 * reminders of many accounts on MariaDB. Works on the database
 * BENCH_MYSQL_URL names (default crm_bench_reminders):
 * - with BENCH_REUSE=1, the database as it is (such as the million accounts
 *   `npm run bench:crm` leaves: BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/crm_scale_1000000);
 * - otherwise made afresh with BENCH_REMINDER_ACCOUNTS accounts (100,000 by
 *   default) in set-based SQL the way the ledger writes them, like bench:crm:
 *   each with an e-mail, invoices dated 60, 30 and 10 weeks back (due 30
 *   days later) and a payment that settled the oldest; so on today every
 *   account has two overdue invoices (about 180 and 40 days late).
 * Before measuring, reminder messages and records a previous run left are
 * removed (BENCH_REMINDERS_RESET=0 keeps them). Then the built command runs
 * twice: the first run queues, the second must queue nothing. Reports the
 * wall time of each (the process, start to exit), messages per second, the
 * command's own CPU time and the load average. Figures, not a pass/fail test,
 * except that the second run must queue nothing.
 */
import { spawnSync } from 'node:child_process';
import { createConnection, type Connection } from 'mysql2/promise';
import { migrateDatabase } from '../src/migrations/index.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import type { Database } from '../src/schema.js';
import { ROOT } from '../test/support/paths.js';
import { loadAverage } from './support.js';

const URL_TEXT = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_bench_reminders';
const ACCOUNTS = Number(process.env.BENCH_REMINDER_ACCOUNTS ?? 100_000);
const REUSE = process.env.BENCH_REUSE === '1';
const RESET = process.env.BENCH_REMINDERS_RESET !== '0';
const DAY_MS = 24 * 3600 * 1000;
const WEEK_MS = 7 * DAY_MS;
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

async function connect(database?: string): Promise<Connection> {
  const url = new URL(URL_TEXT);
  return createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username) || 'root', password: decodeURIComponent(url.password), ...(database ? { database } : {}), multipleStatements: false });
}

const databaseName = decodeURIComponent(new URL(URL_TEXT).pathname.slice(1)) || 'crm_bench_reminders';

/** A fresh database of ACCOUNTS accounts, each with two overdue invoices today. */
async function fill(): Promise<void> {
  const server = await connect();
  await server.query(`drop database if exists \`${databaseName}\``);
  await server.query(`create database \`${databaseName}\` character set utf8mb4 collate utf8mb4_bin`);
  await server.end();
  const db = createDatabase<Database>(parseDatabaseUrl(URL_TEXT), { poolSize: 1, connectTimeoutMs: 5000 });
  await migrateDatabase(db);
  await db.destroy();
  const c = await connect(databaseName);
  try {
    const now = Date.now();
    // MariaDB's sequence engine: seq_1_to_N is the numbers 1 to N.
    await c.query(
      `insert into account (acctid, name, sort_name, email, paid_cents, due_cents, balance_cents, created_at, updated_at, notes)
       select concat('ACC', lpad(seq, 7, '0')), concat('Customer ', seq), concat('customer ', seq), concat('acc', lpad(seq, 7, '0'), '@example.com'), 0, 0, 0, ?, ?, ''
       from seq_1_to_${ACCOUNTS}`,
      [now, now],
    );
    const lastId = async () => Number(((await c.query('select coalesce(max(id), 0) as id from ledger_entry'))[0] as { id: number }[])[0]?.id ?? 0);
    const charges: { from: number; to: number; on: string }[] = [];
    for (const [weeksBack, cents] of [
      [60, 1000],
      [30, 2000],
      [10, 3000],
    ] as const) {
      const at = now - weeksBack * WEEK_MS;
      const on = dayOf(at);
      const from = await lastId();
      await c.query(
        `insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at, effective_on, due_on, reference)
         select acctid, 'charge', ?, balance_cents + ?, 'Bench charge', 'bench', ?, ?, ?, concat('INV-', acctid, '-', ?) from account order by acctid`,
        [cents, cents, at, on, dayOf(at + 30 * DAY_MS), weeksBack],
      );
      const to = await lastId();
      charges.push({ from, to, on });
      await c.query(`insert into open_item (entry_id, acctid, side, effective_on, due_on, amount_cents, open_cents) select id, acctid, 'charge', effective_on, due_on, amount_cents, amount_cents from ledger_entry where id > ? and id <= ?`, [from, to]);
      await c.query('update account set due_cents = due_cents + ?, balance_cents = balance_cents + ?', [cents, cents]);
    }
    const paidAt = now - 20 * WEEK_MS;
    const paidOn = dayOf(paidAt);
    const from = await lastId();
    await c.query(
      `insert into ledger_entry (acctid, kind, amount_cents, balance_after_cents, memo, actor, created_at, effective_on) select acctid, 'payment', 1000, balance_cents - 1000, 'Bench payment', 'bench', ?, ? from account order by acctid`,
      [paidAt, paidOn],
    );
    const to = await lastId();
    await c.query(`insert into open_item (entry_id, acctid, side, effective_on, due_on, amount_cents, open_cents, last_applied_on, settled_on) select id, acctid, 'credit', effective_on, effective_on, amount_cents, 0, ?, ? from ledger_entry where id > ? and id <= ?`, [paidOn, paidOn, from, to]);
    const oldest = charges[0]!;
    await c.query(
      `insert into allocation (acctid, charge_id, credit_id, amount_cents, effective_on, created_at)
       select p.acctid, ch.id, p.id, p.amount_cents, p.effective_on, ? from ledger_entry p join ledger_entry ch on ch.acctid = p.acctid and ch.effective_on = ? and ch.id > ? and ch.id <= ? where p.id > ? and p.id <= ?`,
      [paidAt, oldest.on, oldest.from, oldest.to, from, to],
    );
    await c.query('update open_item set open_cents = 0, last_applied_on = ?, settled_on = ? where entry_id > ? and entry_id <= ?', [paidOn, paidOn, oldest.from, oldest.to]);
    await c.query('update account set paid_cents = paid_cents + 1000, balance_cents = balance_cents - 1000');
    await c.query('analyze table account, open_item, ledger_entry, allocation');
  } finally {
    await c.end();
  }
}

async function reset(): Promise<void> {
  const c = await connect(databaseName);
  try {
    await c.query('delete from reminder_sent');
    await c.query("delete from outbox_message where purpose = 'reminder'");
  } finally {
    await c.end();
  }
}

function reminders(): { seconds: number; cpuSeconds: number; stdout: string } {
  const started = performance.now();
  // bash's `time` reports the command's CPU seconds (user, system) on the last line of stderr.
  const run = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time "$@"', 'bash', process.execPath, 'dist/cli/main.js', 'reminders', 'run'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', DATABASE_URL: URL_TEXT, SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789' },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`crm reminders run failed (${String(run.status)}): ${run.stderr.slice(-2000)}`);
  const [user = 0, system = 0] = (run.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { seconds, cpuSeconds: user + system, stdout: run.stdout };
}

if (!REUSE) {
  const started = performance.now();
  await fill();
  console.log(`${ACCOUNTS} accounts made in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
if (RESET) await reset();
if (spawnSync('bash', ['scripts/build-if-stale.sh'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
for (const pass of ['first', 'second'] as const) {
  const { seconds, cpuSeconds, stdout } = reminders();
  const queued = Number(/^queued\s+(\d+)/m.exec(stdout)?.[1] ?? Number.NaN);
  const examined = Number(/^accounts examined\s+(\d+)/m.exec(stdout)?.[1] ?? Number.NaN);
  console.log(`[${pass} run] ${examined} accounts, ${queued} queued in ${seconds.toFixed(1)} s (${Math.round(queued / seconds)} messages/s), CPU ${cpuSeconds.toFixed(1)} s, load ${loadAverage()}`);
  console.log(stdout.trim());
  if (pass === 'second' && queued !== 0) throw new Error(`the second run queued ${queued}: it must queue nothing`);
}
