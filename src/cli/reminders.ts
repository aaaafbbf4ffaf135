/**
 * `crm reminders run [--as-of D]`: the reminder policy over every account
 * for a day, through the reminders module (src/modules/reminders/). This file
 * wires it to the terminal: options, the progress bar on stderr, the summary
 * on stdout, the exit code.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { dateIn, isIsoDate } from '../shared/dates.js';
import { runReminders, type ReminderRunReport } from '../modules/reminders/index.js';
import { accountCount } from '../modules/receivables/index.js';
import { dialectOf } from '../platform/db/dialect.js';
import { commandLinkFor, signatureOf } from './collections.js';
import { commandReads, note, print, withDatabase } from './context.js';

/** Batches worked through at once on MariaDB/MySQL and PostgreSQL, each on a connection of its own. */
const REMINDER_WRITERS = 4;

function isoDate(text: string): string {
  if (!isIsoDate(text)) throw new InvalidArgumentError('It must be a real calendar day, written YYYY-MM-DD (like 2026-11-30).');
  return text;
}

export function describeReminderRun(report: ReminderRunReport): string {
  const seconds = report.durationMs / 1000;
  return [
    `Reminders for ${report.asOf}: ${report.queued} queued.`,
    `accounts examined  ${report.accountsRead}`,
    `queued             ${report.queued}`,
    `already reminded   ${report.alreadyReminded}`,
    `without e-mail     ${report.withoutEmail.length}`,
    `time               ${seconds.toFixed(2)} s`,
  ].join('\n');
}

async function runCommand(options: { asOf?: string }): Promise<void> {
  const report = await withDatabase(
    async (deps) => {
      const { db, config } = deps;
      const asOf = options.asOf ?? dateIn(config.display.timeZone);
      const now = Date.now();
      const bar = new SingleBar(
        {
          format: 'reminders |{bar}| {percentage}% | {value}/{total} accounts | {queued} queued | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
          // A progress bar on a terminal only: a log or CI gets the summary alone.
          noTTYOutput: false,
        },
        Presets.shades_classic,
      );
      bar.start(await accountCount(db), 0, { queued: 0 });
      try {
        return await runReminders(db, {
          reads: await commandReads(deps),
          asOf,
          company: signatureOf(config),
          linkFor: commandLinkFor(config, now),
          now,
          concurrency: dialectOf(db) === 'sqlite' ? 1 : REMINDER_WRITERS,
          onProgress: ({ accountsRead, queued }) => bar.update(accountsRead, { queued }),
        });
      } finally {
        bar.stop();
      }
    },
    { poolSize: REMINDER_WRITERS + 1 },
  );
  print(describeReminderRun(report));
  for (const acctid of report.withoutEmail) note(`${acctid}: not reminded: no e-mail address`);
}

export function registerRemindersCommands(program: Command): void {
  const reminders = program.command('reminders').description('overdue reminders: queue the messages the reminder policy calls for');
  reminders
    .command('run')
    .description('queue, for every open account with an e-mail address and reminders on, one message for the highest level its overdue invoices reached and were not reminded of; running it again queues nothing new')
    .option('--as-of <date>', 'the day to remind for, YYYY-MM-DD (default: today in CRM_TIME_ZONE)', isoDate)
    .addHelpText('after', '\nAccounts without an e-mail address are counted and listed on stderr, not queued.\nExit codes: 0 done, 1 failed, 2 bad arguments.')
    .action(async (options: { asOf?: string }) => runCommand(options));
}
