/** `crm outbox list|retry|cancel`: the e-mail outbox, for operators. */
import { InvalidArgumentError, type Command } from 'commander';
import { CLI_ACTOR } from '../modules/audit/index.js';
import { cancelMessage, listMessages, OUTBOX_STATUSES, retryAll, retryMessage, type OutboxStatus } from '../modules/outbox/index.js';
import { formatTable, formatTime, note, print, withDatabase } from './context.js';

const LIST_MAX = 10_000;

function status(text: string): OutboxStatus {
  const found = OUTBOX_STATUSES.find((known) => known === text.trim().toLowerCase());
  if (!found) throw new InvalidArgumentError(`It must be one of ${OUTBOX_STATUSES.join(', ')}.`);
  return found;
}

function messageId(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new InvalidArgumentError('It must be a message id, a whole number (crm outbox list shows them).');
  return Number(text.trim());
}

function limit(text: string): number {
  const value = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : 0;
  if (value < 1 || value > LIST_MAX) throw new InvalidArgumentError(`It must be a whole number from 1 to ${LIST_MAX}.`);
  return value;
}

export function registerOutboxCommands(program: Command): void {
  const outbox = program.command('outbox').description('the e-mail outbox: list messages, send failed ones again, stop pending ones');

  outbox
    .command('list')
    .description('messages, newest first: id, recipient, subject, status, tries, last error, next try')
    .option('--status <status>', `only ${OUTBOX_STATUSES.join(', ')}`, status)
    .option('--limit <n>', `at most this many (default 100, at most ${LIST_MAX})`, limit, 100)
    .option('--json', 'one JSON array of {id, to, subject, status, attempts, last_error, next_attempt_at} instead of a table')
    .action(async (options: { status?: OutboxStatus; limit: number; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const messages = await listMessages(db, { status: options.status, limit: options.limit });
        if (options.json) {
          const rows = messages.map((message) => ({
            id: message.id,
            to: message.to,
            subject: message.subject,
            status: message.status,
            attempts: message.attempts,
            last_error: message.lastError,
            next_attempt_at: message.status === 'pending' ? new Date(message.nextAttemptAt).toISOString() : null,
          }));
          print(JSON.stringify(rows, null, 2));
          return;
        }
        if (messages.length === 0) {
          note(options.status ? `No ${options.status} messages.` : 'The outbox is empty.');
          return;
        }
        const rows = messages.map((message) => [
          String(message.id),
          message.to,
          message.subject.length > 40 ? `${message.subject.slice(0, 39)}…` : message.subject,
          message.inHand ? 'sending' : message.status,
          String(message.attempts),
          message.status === 'pending' ? formatTime(message.nextAttemptAt) : '-',
          (message.lastError ?? '').slice(0, 60),
        ]);
        print(formatTable(['ID', 'TO', 'SUBJECT', 'STATUS', 'TRIES', 'NEXT TRY', 'LAST ERROR'], rows));
      });
    });

  outbox
    .command('retry')
    .description('make a failed or waiting message due now (a failed one gets a fresh day of tries)')
    .argument('[id]', 'the message id', messageId)
    .option('--all', 'every failed message, and every waiting one')
    .action(async (id: number | undefined, options: { all?: boolean }, command: Command) => {
      if ((id === undefined) === !options.all) return command.error('error: give a message id or --all (not both)', { exitCode: 2, code: 'crm.retryTarget' });
      await withDatabase(async ({ db }) => {
        if (options.all) {
          const count = await db.transaction().execute((trx) => retryAll(trx, CLI_ACTOR));
          print(`${count} message${count === 1 ? '' : 's'} due now.`);
        } else {
          await db.transaction().execute((trx) => retryMessage(trx, id!, CLI_ACTOR));
          print(`Message ${id} is due now.`);
        }
      });
    });

  outbox
    .command('cancel')
    .description('stop a pending or failed message from being sent')
    .argument('<id>', 'the message id', messageId)
    .action(async (id: number) => {
      await withDatabase(async ({ db }) => {
        await db.transaction().execute((trx) => cancelMessage(trx, id, CLI_ACTOR));
        print(`Message ${id} is cancelled; it will not be sent.`);
      });
    });
}
