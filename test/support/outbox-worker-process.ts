/**
 * An outbox worker in a process of its own, for tests that kill it: the
 * database and SMTP server from the environment, a short lease so its
 * messages fall due again soon after it dies; OUTBOX_TEST_ONCE=1 sends what
 * is due and exits (printing its summary).
 */
import { pino } from 'pino';
import { runWorker } from '../../src/modules/outbox/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { createMailTransport } from '../../src/platform/mail/index.js';
import type { Database } from '../../src/schema.js';

const { OUTBOX_TEST_DATABASE_URL: databaseUrl = '', OUTBOX_TEST_SMTP_URL: smtpUrl = '', OUTBOX_TEST_LEASE_MS: leaseMs = '2000', OUTBOX_TEST_ONCE: runOnce = '' } = process.env;
const db = createDatabase<Database>(parseDatabaseUrl(databaseUrl), { poolSize: 2, connectTimeoutMs: 3000 });
const transport = createMailTransport({ smtpUrl, requireTls: false, from: 'Billing <billing@globomantics.test>', timeoutMs: 60_000 });
const summary = await runWorker({ db, transport, domain: 'globomantics.test', logger: pino({ level: 'silent' }), leaseMs: Number(leaseMs), pollMs: 100, once: runOnce === '1', batchSize: 4, name: `child-${process.pid}` });
process.stdout.write(`${JSON.stringify(summary)}\n`);
transport.close();
await db.destroy();
