/**
 * `crm aging [--as-of D] [--format csv|json] [--out FILE]`: every account's
 * aging as of a day, through the same exportAging as the page's CSV
 * download (src/modules/receivables/). Batches of accounts by id, so memory
 * stays flat whatever the number of accounts; progress on stderr when the
 * output goes to a file.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { accountCount, AGING_EXPORT_FORMATS, exportAging, type AgingExportFormat } from '../modules/receivables/index.js';
import { dateIn, isIsoDate } from '../shared/dates.js';
import { note } from './context.js';
import { seconds, writeOut } from './import.js';
import { commandReads, withDatabase } from './context.js';

const PROGRESS_INTERVAL_MS = 2000;

function calendarDay(text: string): string {
  if (!isIsoDate(text)) throw new InvalidArgumentError('It must be a real calendar day written YYYY-MM-DD, such as 2026-03-31.');
  return text;
}

/** Accounts read of all: a bar on a terminal, elsewhere a line every couple of seconds. */
function progressOnStderr(total: number): { update(read: number, written: number): void; stop(): void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: 'aging |{bar}| {percentage}% | {value}/{total} accounts read | {written} written | ETA {eta_formatted}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(total, 1), 0, { written: 0 });
    return { update: (read, written) => bar.update(Math.min(read, total), { written }), stop: () => bar.stop() };
  }
  let last = performance.now();
  return {
    update(read, written) {
      const now = performance.now();
      if (now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      note(`read ${read} of ${total} accounts, ${written} written`);
    },
    stop: () => undefined,
  };
}

export function registerAgingCommand(program: Command): void {
  program
    .command('aging')
    .description("write every account's aging as of a day (current, 1-30, 31-60, 61-90, over 90 days past due, unapplied credit, total) as CSV or JSON; accounts whose figures are all zero are left out")
    .option('--as-of <date>', 'the day, YYYY-MM-DD, not in the future (default: today in CRM_TIME_ZONE)', calendarDay)
    .addOption(new Option('--format <format>', 'csv or json').choices(AGING_EXPORT_FORMATS).default('csv'))
    .option('--out <file>', 'write to this file instead of stdout (with progress on stderr)')
    .action(async function (this: Command, options: { asOf?: string; format: AgingExportFormat; out?: string }) {
      const started = performance.now();
      let read = 0;
      let written = 0;
      const end = await withDatabase(async (deps) => {
        const { config } = deps;
        const db = await commandReads(deps);
        const timeZone = config.display.timeZone;
        const today = dateIn(timeZone);
        const asOf = options.asOf ?? today;
        if (asOf > today) this.error(`error: option '--as-of <date>' argument '${asOf}' is invalid. It cannot be in the future: today is ${today} (${timeZone}).`, { exitCode: 2, code: 'crm.asOfInFuture' });
        const progress = options.out === undefined ? undefined : progressOnStderr(await accountCount(db));
        try {
          return await writeOut(
            exportAging(db, asOf, today, {
              format: options.format,
              onProgress: (accounts, rows) => {
                read = accounts;
                written = rows;
                progress?.update(accounts, rows);
              },
            }),
            options.out,
          );
        } finally {
          progress?.stop();
        }
      });
      const ms = performance.now() - started;
      if (end === 'closed') note(`Stopped after ${written} accounts: the output was closed.`);
      else note(`Wrote the aging of ${written} accounts (of ${read} read) as ${options.format}${options.out ? ` to ${options.out}` : ''} in ${seconds(ms)}.`);
    });
}
