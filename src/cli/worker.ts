/**
 * `crm worker [--once]`: sends the outbox's due messages, runs the daily
 * job, keeps a heartbeat. SIGTERM or SIGINT: finishes and records the
 * messages in hand, then exits 0.
 */
import type { Command } from 'commander';
import { createDeps } from '../deps.js';
import { migrations } from '../migrations/index.js';
import { runWorker } from '../modules/outbox/index.js';
import { describeTarget } from '../platform/db/database-url.js';
import { pendingMigrations } from '../platform/db/migrate.js';
import { waitForDatabase } from '../platform/db/wait-for-database.js';
import { createMailTransport } from '../platform/mail/index.js';
import { CliFailure, cliConfig, print } from './context.js';
import { workerHooks } from './worker-hooks.js';

async function work(options: { once?: boolean }): Promise<void> {
  const config = cliConfig();
  const deps = createDeps(config, { poolSize: 4, redis: false });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    deps.logger.info({ signal }, 'outbox worker stopping: finishing the messages in hand');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const { mail } = config;
  const transport = mail.smtpUrl && mail.from ? createMailTransport({ smtpUrl: mail.smtpUrl, requireTls: mail.requireTls, from: mail.from }) : null;
  try {
    const where = describeTarget(config.database);
    // A worker starting beside the database (compose, Kubernetes) waits for it as the server does.
    await waitForDatabase(deps.db, where, { attempts: options.once ? 1 : config.pool.connectAttempts, maxDelayMs: config.pool.connectMaxDelayMs });
    const pending = await pendingMigrations(deps.db, migrations);
    if (pending.length > 0) throw new CliFailure(`the ${where} has ${pending.length} migration(s) not applied yet; run \`crm migrate\` first`);
    // The daily reminder scan reads from a replica when there are any: the heartbeat and lag checks run beside the worker.
    if (deps.reads.routed) void deps.reads.start();
    const summary = await runWorker({ db: deps.db, transport, domain: mail.domain, logger: deps.logger, signal: stop.signal, once: options.once ?? false, ...workerHooks(deps) });
    if (options.once) {
      print(`sent ${summary.sent}, retrying ${summary.retrying}, failed ${summary.failed}, cancelled ${summary.cancelled}${transport ? '' : ' (SMTP_URL is not set: nothing was sent)'}`);
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    transport?.close();
    await deps.close();
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('send the outbox’s e-mail (SMTP_URL), run the daily job, keep a heartbeat; until SIGTERM')
    .option('--once', 'send what is due now, then exit')
    .action((options: { once?: boolean }) => work(options));
}
