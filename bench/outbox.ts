/**
 * npm run bench:outbox: how fast the outbox worker sends to a local SMTP
 * server. Queues BENCH_OUTBOX_MESSAGES reminder-sized messages (2,000 by
 * default; text and HTML parts rendered by renderMail with a table of
 * invoices) in the database BENCH_OUTBOX_DATABASE_URL names (default
 * MariaDB crm_bench_outbox, made if missing; its outbox emptied first),
 * starts an smtp-server in this process that reads each message to its end
 * and answers 250, then runs the built `crm worker --once` (as production
 * runs it: node dist/cli/main.js) BENCH_OUTBOX_WORKERS times side by side.
 * Reports messages per second over the sending span (first to last
 * sent_at recorded) and over the processes' whole wall time (start-up
 * included), the workers' CPU time, and checks that every message arrived
 * exactly once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { migrateDatabase } from '../src/migrations/index.js';
import { enqueueMessages } from '../src/modules/outbox/index.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import { renderMail } from '../src/platform/mail/index.js';
import type { Database } from '../src/schema.js';
import { ROOT } from '../test/support/paths.js';
import { loadAverage } from './support.js';

const URL_TEXT = process.env.BENCH_OUTBOX_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/crm_bench_outbox';
const MESSAGES = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 2000);
const WORKERS = Number(process.env.BENCH_OUTBOX_WORKERS ?? 1);

async function ensureDatabase(): Promise<void> {
  if (!URL_TEXT.startsWith('mysql')) return;
  const server = new URL(URL_TEXT);
  const name = server.pathname.slice(1);
  server.pathname = '/mysql';
  const admin = createDatabase<Database>(parseDatabaseUrl(server.href), { poolSize: 1, connectTimeoutMs: 5000 });
  await sql`create database if not exists ${sql.id(name)}`.execute(admin);
  await admin.destroy();
}

/** An SMTP server that takes every message whole and counts each Message-ID. */
async function sink(): Promise<{ port: number; seen: Map<string, number>; close: () => Promise<void> }> {
  const seen = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '?';
        seen.set(id, (seen.get(id) ?? 0) + 1);
        callback(null, 'OK queued');
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return { port: (server.server.address() as AddressInfo).port, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function message(index: number) {
  const invoices = Array.from({ length: 3 }, (_, row) => [`INV-${100_000 + index * 3 + row}`, `${(1234.5 * (row + 1)).toFixed(2)} USD`, String(30 + row * 15)]);
  const { text, html } = renderMail({
    company: { name: 'Globomantics', address: ['1 Main Street', 'Springfield, IL 62701'] },
    greeting: `Dear customer ${index},`,
    paragraphs: ['Our records show these invoices as overdue. If you have paid them already, thank you, and please ignore this message.', 'Total overdue: 7,407.00 USD.'],
    table: { head: ['Invoice', 'Amount', 'Days late'], rows: invoices },
    link: { href: `https://crm.example.com/s/bench${index}`, text: 'Your statement and open invoices' },
  });
  return { purpose: 'bench', acctid: `B${String(index).padStart(9, '0')}`, to: `customer${index}@example.com`, subject: `Your account is overdue (${index})`, text, html, dedupeKey: `bench:${Date.now()}:${index}` };
}

function runWorker(port: number): Promise<{ cpuSeconds: number; stdout: string }> {
  // bash's `time` reports the command's CPU seconds (user, system) on the last line of stderr.
  const child = spawn('bash', ['-c', 'TIMEFORMAT="%U %S"; time "$@"', 'bash', process.execPath, 'dist/cli/main.js', 'worker', '--once'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: URL_TEXT, SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789', SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Billing <billing@globomantics.test>', PUBLIC_BASE_URL: 'https://crm.example.com' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`crm worker --once failed (${String(code)}): ${stderr.slice(-2000)}`);
    const [user = 0, system = 0] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    return { cpuSeconds: user + system, stdout };
  });
}

await ensureDatabase();
const db = createDatabase<Database>(parseDatabaseUrl(URL_TEXT), { poolSize: 2, connectTimeoutMs: 5000 });
try {
  await migrateDatabase(db);
  await db.deleteFrom('outbox_message').execute();
  const queuedAt = Date.now();
  await enqueueMessages(db, Array.from({ length: MESSAGES }, (_, index) => message(index)), queuedAt);
  console.log(`${MESSAGES} messages queued in ${((Date.now() - queuedAt) / 1000).toFixed(1)} s (${URL_TEXT.replace(/\/\/[^@]*@/, '//')})`);
  if (spawnSync('bash', ['scripts/build-if-stale.sh'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');

  const smtp = await sink();
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: WORKERS }, () => runWorker(smtp.port)));
  const wallSeconds = (performance.now() - started) / 1000;
  await smtp.close();

  const span = await db
    .selectFrom('outbox_message')
    .select((eb) => [eb.fn.min('sent_at').as('first'), eb.fn.max('sent_at').as('last'), eb.fn.countAll<number>().as('sent')])
    .where('status', '=', 'sent')
    .executeTakeFirstOrThrow();
  const sent = Number(span.sent);
  const spanSeconds = (Number(span.last) - Number(span.first)) / 1000;
  const copies = [...smtp.seen.values()];
  console.log(`workers            ${WORKERS} (crm worker --once, pool of 8 SMTP connections, 32 messages claimed at a time)`);
  console.log(`sent               ${sent} of ${MESSAGES}; at the server ${copies.length} distinct Message-IDs, ${copies.filter((n) => n > 1).length} received twice`);
  console.log(`sending span       ${spanSeconds.toFixed(2)} s: ${(sent / spanSeconds).toFixed(0)} messages/s (first to last sent_at)`);
  console.log(`wall, with start-up ${wallSeconds.toFixed(2)} s: ${(sent / wallSeconds).toFixed(0)} messages/s`);
  console.log(`worker CPU         ${runs.map((run) => run.cpuSeconds.toFixed(2)).join(' + ')} s`);
  console.log(`load average       ${loadAverage()}`);
  if (sent !== MESSAGES || copies.length !== MESSAGES || copies.some((n) => n !== 1)) process.exitCode = 1;
} finally {
  await db.destroy();
}
