/**
 * `crm statements --as-of D --out DIR [--from D1]`: a PDF statement for every
 * account with a balance, through the statements module's batch writer
 * (src/modules/statements/). This file wires it to the terminal: options,
 * the progress bar on stderr, the summary on stdout, the exit code.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { isIsoDate, dateIn } from '../shared/dates.js';
import { configureDisplay } from '../platform/views/format.js';
import { periodRuleMessage, STATEMENT_MAX_ENTRIES, STATEMENT_READERS, statementPeriod, writeStatements, type BatchReport } from '../modules/statements/index.js';
import { queueStatementMails } from '../modules/reminders/index.js';
import { commandLinkFor, signatureOf } from './collections.js';
import { CliFailure, commandReads, note, print, withDatabase } from './context.js';

interface StatementsOptions {
  readonly asOf?: string;
  readonly from?: string;
  readonly out?: string;
  readonly email?: boolean;
}

/** Where each option's date goes in the period, as the messages name it. */
const OPTION_OF = { to: '--as-of', from: '--from' } as const;

function isoDate(text: string): string {
  if (!isIsoDate(text)) throw new InvalidArgumentError('It must be a real calendar day, written YYYY-MM-DD (like 2026-11-30).');
  return text;
}

function describe(report: BatchReport, outDir: string): string {
  const seconds = report.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(report.written / seconds) : report.written;
  const lines = [
    `Wrote ${report.written} statement${report.written === 1 ? '' : 's'} for ${report.period.from} to ${report.period.to} to ${outDir}.`,
    `accounts examined  ${report.examined}`,
    `with a balance     ${report.written + report.skipped.length}`,
    `written            ${report.written}`,
    `skipped            ${report.skipped.length}`,
    `time               ${seconds.toFixed(2)} s`,
    `rate               ${rate} statements/s`,
  ];
  return lines.join('\n');
}

/** --email: each account's statement queued as an e-mail with the PDF attached (drawn by the worker when it sends). */
async function emailStatements(options: StatementsOptions, command: Command): Promise<void> {
  const report = await withDatabase(async ({ db, config }) => {
    const today = dateIn(config.display.timeZone);
    const { period, broken } = statementPeriod({ to: options.asOf, from: options.from }, today);
    if (!period) {
      const messages = broken.map((rule) => periodRuleMessage(rule, OPTION_OF[rule.field], today, options.asOf ?? today));
      return command.error(`error: ${messages.join(' ')}`, { exitCode: 2, code: 'crm.invalidPeriod' });
    }
    const now = Date.now();
    return queueStatementMails(db, { period, company: signatureOf(config), linkFor: commandLinkFor(config, now), now });
  });
  print(
    [
      `Queued ${report.queued} statement e-mail${report.queued === 1 ? '' : 's'} for ${report.period.from} to ${report.period.to}.`,
      `accounts examined  ${report.accountsRead}`,
      `queued             ${report.queued}`,
      `without e-mail     ${report.withoutEmail.length}`,
    ].join('\n'),
  );
  for (const acctid of report.withoutEmail) note(`${acctid}: not e-mailed: no e-mail address`);
}

async function runStatements(options: StatementsOptions, command: Command): Promise<void> {
  if (options.email === true) {
    if (options.out !== undefined) return command.error('error: use either --out (write PDF files) or --email (queue e-mails), not both', { exitCode: 2, code: 'crm.conflictingOptions' });
    return emailStatements(options, command);
  }
  const outDir = options.out;
  if (outDir === undefined) return command.error("error: required option '--out <dir>' not specified (or --email to queue the statements as e-mails)", { exitCode: 2, code: 'commander.missingMandatoryOptionValue' });
  const report = await withDatabase(async (deps) => {
    const { config } = deps;
    configureDisplay(config.display);
    const today = dateIn(config.display.timeZone);
    const { period, broken } = statementPeriod({ to: options.asOf, from: options.from }, today);
    if (!period) {
      const messages = broken.map((rule) => periodRuleMessage(rule, OPTION_OF[rule.field], today, options.asOf ?? today));
      return command.error(`error: ${messages.join(' ')}`, { exitCode: 2, code: 'crm.invalidPeriod' });
    }
    const bar = new SingleBar(
      {
        format: 'statements |{bar}| {percentage}% | {value}/{total} accounts | {written} written | ETA {eta_formatted}',
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 200,
        // Without a terminal (a log, CI): a plain line every two seconds.
        noTTYOutput: true,
        notTTYSchedule: 2000,
      },
      Presets.shades_classic,
    );
    bar.start(1, 0, { written: 0 });
    try {
      return await writeStatements(await commandReads(deps), {
        period,
        outDir,
        company: config.company,
        display: config.display,
        onProgress: ({ examined, total, written }) => {
          bar.setTotal(total);
          bar.update(examined, { written });
        },
      });
    } finally {
      bar.stop();
    }
    // The readers, and one more for the accounts and balances read between them.
  }, { poolSize: STATEMENT_READERS + 1 });
  print(describe(report, outDir));
  for (const { acctid, reason } of report.skipped) note(`${acctid}: not written: ${reason}`);
  if (report.skipped.length > 0) {
    throw new CliFailure(
      `${report.skipped.length} account${report.skipped.length === 1 ? ' has' : 's have'} more than ${STATEMENT_MAX_ENTRIES} entries in the period: no statement was written for ${report.skipped.length === 1 ? 'it' : 'them'}; run again with a later --from`,
    );
  }
}

export function registerStatementsCommand(program: Command): void {
  program
    .command('statements')
    .description('write a PDF statement for every account whose balance on the --as-of day is not zero (--out), or queue it as an e-mail to each account (--email)')
    .option('--out <dir>', 'the directory to write statement-{acctid}-{date}.pdf files to (made if missing; a file of the same name is replaced)')
    .option('--email', "instead of files: queue each account's statement as an e-mail to its address, the PDF attached (sent by crm worker); once per account and period")
    .option('--as-of <date>', "the statement date, YYYY-MM-DD: the period's last day, not in the future (default: today in CRM_TIME_ZONE)", isoDate)
    .option('--from <date>', "the period's first day, YYYY-MM-DD (default: the first day of the --as-of month)", isoDate)
    .addHelpText('after', `\nA period with more than ${STATEMENT_MAX_ENTRIES} entries on one account is not written for it (exit 1).\nExit codes: 0 every statement written, 1 some not written (or a failure), 2 bad arguments.`)
    .action(async (options: StatementsOptions, command: Command) => runStatements(options, command));
}
