import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { MailTransport } from '../../platform/mail/index.js';
import type { Database } from '../../schema.js';
import { dateIn } from '../../shared/dates.js';
import { claimDue } from './claim.js';
import { runDailyIfDue, type DailyJob } from './daily.js';
import { beat } from './heartbeat.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { sendOne, type AttachmentRenderers, type BeforeSendChecks } from './worker-send.js';

export interface WorkerOptions {
  readonly db: Kysely<Database>;
  /** Null without SMTP_URL: the worker keeps its heartbeat and daily job, and sends nothing. */
  readonly transport: MailTransport | null;
  /** The From address's domain, for Message-IDs. */
  readonly domain: string;
  readonly logger: Logger;
  readonly beforeSend?: BeforeSendChecks;
  readonly attachments?: AttachmentRenderers;
  readonly daily?: DailyJob | null;
  /** Stops the worker: it finishes and records the messages in hand, then returns. */
  readonly signal?: AbortSignal;
  /** Send what is due, then return. */
  readonly once?: boolean;
  readonly name?: string;
  /** How long a claim holds a message; a dead worker's messages fall due again after it. */
  readonly leaseMs?: number;
  /** Messages claimed (and sent in parallel) at a time. */
  readonly batchSize?: number;
  /** Pause between looks at the outbox while nothing is due. */
  readonly pollMs?: number;
  readonly retry?: RetryPolicy;
}

export interface WorkerSummary {
  readonly name: string;
  readonly sent: number;
  readonly retrying: number;
  readonly failed: number;
  readonly cancelled: number;
}

export const DEFAULT_LEASE_MS = 5 * 60_000;
const HEARTBEAT_EVERY_MS = 1000;

/** Waits `ms` or until the signal fires. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function workerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The outbox worker: beats its heartbeat, runs the daily job when due,
 * claims due messages under a lease, sends each, and records what happened.
 * Any number run at once; each message is claimed by one at a time.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { db, transport, logger, signal } = options;
  const name = options.name ?? workerName();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = options.batchSize ?? 32;
  const pollMs = options.pollMs ?? 2000;
  const retry = options.retry ?? DEFAULT_RETRY;
  const startedAt = Date.now();
  const counts = { sent: 0, retrying: 0, failed: 0, cancelled: 0 };
  let lastBeat = 0;
  let dailyDoneOn: string | null = null;
  if (!transport) logger.warn({ worker: name }, 'SMTP_URL is not set: the worker sends nothing; messages wait in the outbox');
  logger.info({ worker: name }, 'outbox worker started');

  while (!signal?.aborted) {
    try {
      const now = Date.now();
      if (now - lastBeat >= HEARTBEAT_EVERY_MS) {
        await beat(db, name, startedAt, now);
        lastBeat = now;
      }
      if (options.daily && dailyDoneOn !== dateIn(options.daily.timeZone, now)) dailyDoneOn = await runDailyIfDue(db, options.daily, name, now);
      const claimed = transport ? await claimDue(db, name, now, leaseMs, batchSize, options.domain) : [];
      if (claimed.length === 0) {
        if (options.once) break;
        await pause(pollMs, signal);
        continue;
      }
      const outcomes = await Promise.all(
        claimed.map((row) => sendOne({ db, transport: transport!, worker: name, row, retry, beforeSend: options.beforeSend ?? {}, attachments: options.attachments ?? {}, logger })),
      );
      for (const outcome of outcomes) counts[outcome] += 1;
    } catch (error) {
      // The database went away, most likely: claimed messages fall due again when their lease ends.
      logger.error({ worker: name, err: error }, 'outbox worker could not reach the database; trying again');
      if (options.once) throw error;
      await pause(pollMs, signal);
    }
  }
  await beat(db, name, startedAt, Date.now());
  logger.info({ worker: name, ...counts }, 'outbox worker stopped');
  return { name, ...counts };
}
