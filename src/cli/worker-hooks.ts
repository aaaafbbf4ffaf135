/**
 * What the outbox worker runs on behalf of the features: per purpose, the
 * check just before a message is sent (say no, and it is cancelled); per
 * attachment kind, how to build the file; and the daily job. The features
 * provide them; this is where they are put together.
 */
import type { Deps } from '../deps.js';
import type { AttachmentRenderers, BeforeSendChecks, DailyJob } from '../modules/outbox/index.js';
import { REMINDER_PURPOSE, reminderStillDue, runReminders, STATEMENT_ATTACHMENT, statementAttachment } from '../modules/reminders/index.js';
import { linkForConfig, signatureOf } from './collections.js';

export interface WorkerHooks {
  readonly beforeSend: BeforeSendChecks;
  readonly attachments: AttachmentRenderers;
  readonly daily: DailyJob | null;
}

/** Batches the daily reminder run works through at once (a connection each, beside the worker's own). */
const DAILY_REMINDER_WRITERS = 2;

/** `reads`: where the daily reminder scan reads (a replica when there are any); the primary when left out. */
export function workerHooks(deps: Pick<Deps, 'config'> & Partial<Pick<Deps, 'reads'>>): WorkerHooks {
  const { config } = deps;
  const timeZone = config.display.timeZone;
  const company = signatureOf(config);
  const at = config.remindersAt;
  return {
    beforeSend: { [REMINDER_PURPOSE]: reminderStillDue({ timeZone }) },
    attachments: { [STATEMENT_ATTACHMENT]: statementAttachment(company) },
    daily:
      at === null
        ? null
        : {
            at,
            timeZone,
            name: 'reminders',
            run: async (db, today) => {
              const now = Date.now();
              const reads = deps.reads ? await deps.reads.readsFor(null) : db;
              const report = await runReminders(db, { reads, asOf: today, company, linkFor: linkForConfig(config, now), now, concurrency: DAILY_REMINDER_WRITERS });
              return `${report.queued} queued, ${report.alreadyReminded} already reminded, ${report.withoutEmail.length} without e-mail`;
            },
          },
  };
}
