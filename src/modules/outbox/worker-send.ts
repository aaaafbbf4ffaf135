import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { SendFailure, type MailTransport } from '../../platform/mail/index.js';
import type { Database } from '../../schema.js';
import type { OutboxMessageRow } from './outbox.table.js';
import { recordSent, recordUnsent } from './record.js';
import { nextPause, type RetryPolicy } from './retry.js';

/** A message as the checks before sending see it. */
export interface PendingMessage {
  readonly id: number;
  readonly purpose: string;
  readonly acctid: string | null;
  readonly to: string;
  readonly subject: string;
  readonly createdAt: number;
}

export type SendDecision = { send: true } | { send: false; reason: string };
/** Per purpose: asked just before sending; "no" cancels the message with the reason. */
export type BeforeSendChecks = Readonly<Record<string, (db: Kysely<Database>, message: PendingMessage) => Promise<SendDecision>>>;
/** Per attachment kind: builds the file from the reference stored with the message. */
export type AttachmentRenderers = Readonly<
  Record<string, (db: Kysely<Database>, ref: Record<string, string>) => Promise<{ filename: string; contentType: string; content: Buffer }>>
>;

export type SendOutcome = 'sent' | 'retrying' | 'failed' | 'cancelled';

interface SendJob {
  readonly db: Kysely<Database>;
  readonly transport: MailTransport;
  readonly worker: string;
  readonly row: OutboxMessageRow;
  readonly retry: RetryPolicy;
  readonly beforeSend: BeforeSendChecks;
  readonly attachments: AttachmentRenderers;
  readonly logger: Logger;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One claimed message: checked, its attachment built, sent, and the outcome recorded. */
export async function sendOne(job: SendJob): Promise<SendOutcome> {
  const { db, row, worker, logger } = job;
  const id = Number(row.id);
  const message: PendingMessage = { id, purpose: row.purpose, acctid: row.acctid, to: row.to_address, subject: row.subject, createdAt: Number(row.created_at) };
  const temporary = async (error: string, response: string | null = null): Promise<SendOutcome> => {
    const pauseMs = nextPause(Number(row.attempts), job.retry);
    const status = pauseMs === null ? 'failed' : 'pending';
    await recordUnsent(db, id, worker, { status, error, pauseMs: pauseMs ?? 0, response }, Date.now());
    logger.warn({ outbox: id, attempts: Number(row.attempts), error, retryInMs: pauseMs }, pauseMs === null ? 'outbox message failed after a day of tries' : 'outbox message not sent; will retry');
    return pauseMs === null ? 'failed' : 'retrying';
  };

  const check = Object.hasOwn(job.beforeSend, row.purpose) ? job.beforeSend[row.purpose] : undefined;
  if (check) {
    let decision: SendDecision;
    try {
      decision = await check(db, message);
    } catch (error) {
      return temporary(`the check before sending failed: ${describe(error)}`);
    }
    if (!decision.send) {
      await recordUnsent(db, id, worker, { status: 'cancelled', error: decision.reason }, Date.now());
      logger.info({ outbox: id, reason: decision.reason }, 'outbox message cancelled');
      return 'cancelled';
    }
  }

  let attachments: { filename: string; contentType: string; content: Buffer }[] = [];
  if (row.attachment_kind !== null) {
    const render = Object.hasOwn(job.attachments, row.attachment_kind) ? job.attachments[row.attachment_kind] : undefined;
    if (!render) return temporary(`no renderer for attachments of kind "${row.attachment_kind}" in this worker`);
    try {
      attachments = [await render(db, JSON.parse(row.attachment_ref ?? '{}') as Record<string, string>)];
    } catch (error) {
      return temporary(`the attachment could not be built: ${describe(error)}`);
    }
  }

  try {
    const accepted = await job.transport.send({ to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body, messageId: row.message_id!, attachments });
    await recordSent(db, id, accepted.response, Date.now());
    return 'sent';
  } catch (error) {
    if (error instanceof SendFailure && error.permanent) {
      await recordUnsent(db, id, worker, { status: 'failed', error: error.message, response: error.message }, Date.now());
      logger.warn({ outbox: id, error: error.message }, 'outbox message refused by the SMTP server');
      return 'failed';
    }
    return temporary(describe(error), error instanceof SendFailure ? error.message : null);
  }
}
