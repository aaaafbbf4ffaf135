import type { Kysely, Transaction } from 'kysely';
import { retryOnDeadlock } from '../../platform/db/deadlock.js';
import { dialectOf, insertUnlessPresent } from '../../platform/db/dialect.js';
import type { IsoDate } from '../../shared/dates.js';
import type { Database } from '../../schema.js';
import { enqueueMessages } from '../outbox/index.js';
import { readPolicy } from './policy.js';
import { reminderMessage, type LinkFor, type Signature } from './reminder-message.js';
import { batchEnd, selectBatch, SELECTION_BATCH_SIZE, type AccountToRemind, type BatchRange } from './selection.js';

export interface ReminderRunOptions {
  /** Where the scan reads (it tolerates lag: a reminder still due is checked again before it is sent): a replica; the primary when left out. */
  readonly reads?: Kysely<Database>;
  readonly asOf: IsoDate;
  readonly company: Signature;
  readonly linkFor: LinkFor;
  readonly now?: number;
  readonly batchSize?: number;
  /** Batches worked through at once, each on its own connection (SQLite: one writer, so 1). */
  readonly concurrency?: number;
  /** Only the accounts of this id range (a partial run; tests). Every account when left out. */
  readonly range?: BatchRange;
  /** After each batch: the accounts read so far. */
  readonly onProgress?: (progress: { accountsRead: number; queued: number }) => void;
}

export interface ReminderRunReport {
  readonly asOf: IsoDate;
  readonly accountsRead: number;
  /** Messages queued by this run. */
  readonly queued: number;
  /** Accounts with overdue invoices that were all reminded of their level already. */
  readonly alreadyReminded: number;
  /** Accounts that would be reminded but have no e-mail address, by id. */
  readonly withoutEmail: readonly string[];
  readonly durationMs: number;
}

/** Rows per INSERT of reminder records: well under every driver's parameter limit. */
const RECORD_ROWS_PER_INSERT = 500;

/**
 * Queues the batch's reminders, each with the records of the invoices it
 * reminds of (never the same level twice for an invoice), in one
 * transaction: a message exists exactly when its records do.
 */
async function queueBatch(trx: Transaction<Database>, accounts: readonly AccountToRemind[], { asOf, company, linkFor, now }: { asOf: IsoDate; company: Signature; linkFor: LinkFor; now: number }): Promise<void> {
  const messages = accounts.map((account) => ({ account, message: reminderMessage(account, { company, linkFor }) }));
  const ids = await enqueueMessages(
    trx,
    messages.map(({ message }) => message),
    now,
  );
  const records: { charge_id: number; days_late: number; acctid: string; as_of: string; message_id: number | null; created_at: number }[] = [];
  for (const { account, message } of messages) {
    const messageId = ids.get(message.dedupeKey) ?? null;
    for (const invoice of account.invoices) {
      if (invoice.needsReminder && invoice.reachedDays !== null) records.push({ charge_id: invoice.chargeId, days_late: invoice.reachedDays, acctid: account.acctid, as_of: asOf, message_id: messageId, created_at: now });
    }
  }
  for (let start = 0; start < records.length; start += RECORD_ROWS_PER_INSERT) {
    await insertUnlessPresent(trx, trx.insertInto('reminder_sent').values(records.slice(start, start + RECORD_ROWS_PER_INSERT)), ['charge_id', 'days_late']).execute();
  }
}

/**
 * The reminder policy run for day D over every account: batches of accounts
 * by id, each selected with set-based reads and queued in one transaction,
 * `concurrency` batches at a time. Running it again queues nothing new.
 */
export async function runReminders(db: Kysely<Database>, options: ReminderRunOptions): Promise<ReminderRunReport> {
  const started = performance.now();
  const { asOf, company, linkFor, batchSize = SELECTION_BATCH_SIZE, onProgress, reads = db } = options;
  const now = options.now ?? Date.now();
  const concurrency = dialectOf(db) === 'sqlite' ? 1 : Math.max(1, options.concurrency ?? 1);
  const levels = await readPolicy(db);
  let accountsRead = 0;
  let queued = 0;
  let alreadyReminded = 0;
  const withoutEmail: string[] = [];

  const work = async (range: BatchRange) => {
    const batch = await selectBatch(reads, { asOf, levels, range });
    if (batch.toRemind.length > 0) {
      // Read committed: batches queue side by side, and under repeatable read the outbox's dedupe reads and the
      // records' inserts take gap locks that make neighbouring batches wait for each other (MariaDB).
      const transaction = dialectOf(db) === 'sqlite' ? db.transaction() : db.transaction().setIsolationLevel('read committed');
      await retryOnDeadlock(() => transaction.execute((trx) => queueBatch(trx, batch.toRemind, { asOf, company, linkFor, now })));
    }
    accountsRead += batch.accountsRead;
    queued += batch.toRemind.length;
    alreadyReminded += batch.alreadyReminded;
    withoutEmail.push(...batch.withoutEmail.map((account) => account.acctid));
    onProgress?.({ accountsRead, queued });
  };

  const running = new Set<Promise<void>>();
  let failure: Error | undefined;
  let after = options.range?.after;
  const end = options.range?.upTo;
  for (;;) {
    const next = await batchEnd(reads, after, batchSize);
    const upTo = end !== undefined && (next === undefined || next > end) ? end : next;
    const task = work({ after, upTo }).catch((error: unknown) => {
      failure ??= error instanceof Error ? error : new Error('a reminder batch failed', { cause: error });
    });
    running.add(task);
    void task.finally(() => running.delete(task));
    if (running.size >= concurrency) await Promise.race(running);
    if (failure !== undefined || upTo === undefined || upTo === end) break;
    after = upTo;
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure;
  return { asOf, accountsRead, queued, alreadyReminded, withoutEmail: withoutEmail.sort(), durationMs: performance.now() - started };
}
