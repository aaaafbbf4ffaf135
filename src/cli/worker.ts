/**
 * `crm worker [--once]`: sends the outbox's due messages, runs the daily
 * job, keeps a heartbeat. SIGTERM or SIGINT: finishes and records the
 * messages in hand, then exits 0.
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeps, type Deps } from '../deps.js';
import { migrations } from '../migrations/index.js';
import { runWorker } from '../modules/outbox/index.js';
import { describeTarget } from '../platform/db/database-url.js';
import { pendingMigrations } from '../platform/db/migrate.js';
import { describeError, waitForDatabase, type RetryPolicy } from '../platform/db/wait-for-database.js';
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
    const policy = { attempts: options.once ? 1 : config.pool.connectAttempts, maxDelayMs: config.pool.connectMaxDelayMs };
    const onRetry = (attempt: number, delayMs: number, error: unknown) =>
      deps.logger.warn({ attempt, of: policy.attempts, retryInMs: delayMs, reason: describeError(error) }, `waiting for the ${where}`);
    // A worker starting beside the database (compose, Kubernetes) waits for it as the server does, and then for its
    // schema: on a new database the migration Job or the app applies it a moment later, and exiting would restart
    // the worker in a loop meanwhile.
    await waitForDatabase(deps.db, where, policy, onRetry);
    await waitForSchema(deps, where, policy, stop.signal);
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

/** Waits, with the database's retry policy, until no migration is pending; then refuses, naming the command that fixes it. */
async function waitForSchema({ db, logger }: Deps, where: string, { attempts, maxDelayMs }: RetryPolicy, signal: AbortSignal): Promise<void> {
  let delayMs = Math.max(1, Math.round(maxDelayMs / 10));
  for (let attempt = 1; ; attempt++) {
    const pending = (await pendingMigrations(db, migrations)).length;
    if (pending === 0) return;
    if (attempt >= attempts || signal.aborted) throw new CliFailure(`the ${where} has ${pending} migration(s) not applied yet; run \`crm migrate\` first`);
    logger.warn({ attempt, of: attempts, retryInMs: delayMs, pending }, `waiting for the ${where}'s migrations (crm migrate, or the app's MIGRATE_ON_START)`);
    await sleep(delayMs);
    delayMs = Math.min(maxDelayMs, delayMs * 2);
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('send the outbox’s e-mail (SMTP_URL), run the daily job, keep a heartbeat; until SIGTERM')
    .option('--once', 'send what is due now, then exit')
    .action((options: { once?: boolean }) => work(options));
}
