/**
 * `crm import FILE` and `crm export`: bulk accounts in and out, through the
 * importer and exporter the admin page uses too (src/modules/import-export/).
 * This file only wires them to the terminal: options, progress on stderr,
 * the report on stdout, the exit code.
 */
import { once } from 'node:events';
import { closeSync, createReadStream, createWriteStream, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { stringify } from 'csv-stringify/sync';
import { CLI_ACTOR } from '../modules/audit/index.js';
import {
  exportAccounts,
  EXPORT_FORMATS,
  importAccounts,
  IMPORT_BATCH_SIZE,
  IMPORT_BATCH_SIZE_MAX,
  reportCounts,
  rowsPerSecond,
  type ExportFormat,
  type ImportProgress,
  type ImportReport,
  type RowError,
} from '../modules/import-export/index.js';
import { CliFailure, commandReads, formatTable, note, print, withDatabase } from './context.js';

/** Bad rows listed on stdout at most; --errors FILE has every one. */
const LISTED_ERRORS_MAX = 10_000;
const PROGRESS_INTERVAL_MS = 2000;

interface ImportCommandOptions {
  readonly partial?: boolean;
  readonly update?: boolean;
  readonly dryRun?: boolean;
  readonly errors?: string;
  readonly batchSize?: number;
  readonly progressInterval?: number;
}

function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const value = /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!(value >= min && value <= max)) throw new InvalidArgumentError(`It must be a whole number from ${min} to ${max}.`);
    return value;
  };
}

const PHASE_WORDS = { check: 'checked', write: 'imported' } as const;

/**
 * Progress on stderr: a bar with rows/s and ETA on a terminal; elsewhere (a
 * log, CI) one plain line every couple of seconds.
 */
class ProgressReport {
  #bar: SingleBar | undefined;
  #phase: ImportProgress['phase'] | undefined;
  #phaseStarted = 0;
  #lastLine = 0;

  constructor(
    private readonly terminal: boolean,
    private readonly intervalMs: number,
  ) {}

  update(progress: ImportProgress): void {
    const now = performance.now();
    if (progress.phase !== this.#phase) {
      this.stop();
      this.#phase = progress.phase;
      this.#phaseStarted = now;
      this.#lastLine = now;
    }
    const seconds = (now - this.#phaseStarted) / 1000;
    const rate = seconds > 0 ? Math.round(progress.rows / seconds) : 0;
    if (!this.terminal) {
      if (now - this.#lastLine >= this.intervalMs) {
        this.#lastLine = now;
        note(`${PHASE_WORDS[progress.phase]} ${progress.rows} rows, ${rate} rows/s`);
      }
      return;
    }
    // After a check pass the rows are known; otherwise the bytes read measure the way.
    const byRows = progress.totalRows !== undefined;
    const total = byRows ? (progress.totalRows ?? 0) : (progress.totalBytes ?? 0);
    const value = byRows ? progress.rows : progress.bytes;
    const payload = { phase: progress.phase === 'check' ? 'checking' : 'importing', rows: progress.rows, rate };
    if (!this.#bar) {
      this.#bar = new SingleBar(
        { format: '{phase} |{bar}| {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 20 },
        Presets.shades_classic,
      );
      this.#bar.start(Math.max(total, 1), Math.min(value, total), payload);
    } else {
      this.#bar.update(Math.min(value, total), payload);
    }
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}

/** Every bad row as CSV (line,acctid,reason), written as they are found. */
class ErrorsFile {
  readonly #fd: number;
  constructor(readonly path: string) {
    // The operator names the file on the command line.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, stringify([['line', 'acctid', 'reason']]));
  }
  add(error: RowError): void {
    writeSync(this.#fd, stringify([[error.line, error.acctid, error.reason]]));
  }
  close(): void {
    closeSync(this.#fd);
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** What the import did (stdout): the bad rows, one sentence, the counts. */
function describe(report: ImportReport, errorsFile: string | undefined): string {
  const out: string[] = [];
  if (report.errors.length > 0) {
    out.push(`Rejected rows:\n${formatTable(['LINE', 'ACCTID', 'REASON'], report.errors.map((error) => [String(error.line), error.acctid || '-', error.reason]))}`);
    const unlisted = report.rejected - report.errors.length;
    if (unlisted > 0) out.push(`… and ${unlisted} more rejected rows, not listed here; ${errorsFile ? `every one is in ${errorsFile}` : 'add --errors FILE to have every one in a CSV file'}.\n`);
  }
  const { planned } = report;
  if (report.dryRun) {
    out.push(`Dry run, nothing was written: ${planned.imported} would be imported, ${planned.updated} updated, ${planned.skipped} skipped; ${report.rejected} rejected.`);
  } else if (report.mode === 'all-or-nothing' && report.rejected > 0) {
    out.push(
      `Nothing was written: ${report.rejected} of ${report.rows} rows were rejected, and without --partial an import is all or nothing ` +
        `(the other rows would import ${planned.imported} and update ${planned.updated} accounts). Fix the rows, or add --partial to import the good ones.`,
    );
  } else if (report.stopped) {
    out.push(`The file could not be read to its end; the rows before the problem were imported.`);
  }
  const counts: [string, string][] = [
    ...reportCounts(report).map(([label, count]): [string, string] => [label, String(count)]),
    ['time', seconds(report.durationMs)],
    ['rate', `${rowsPerSecond(report)} rows/s`],
  ];
  const width = Math.max(...counts.map(([label]) => label.length)) + 2;
  out.push(counts.map(([label, value]) => `${label.padEnd(width)}${value}`).join('\n'));
  return out.join('\n');
}

async function runImport(file: string, options: ImportCommandOptions): Promise<void> {
  let size: number;
  try {
    // The operator's own file, named on the command line.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    const stat = statSync(file);
    if (!stat.isFile()) throw new CliFailure(`${file} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const errorsFile = options.errors === undefined ? undefined : new ErrorsFile(options.errors);
  const progress = new ProgressReport(process.stderr.isTTY, options.progressInterval ?? PROGRESS_INTERVAL_MS);
  let report: ImportReport;
  try {
    report = await withDatabase(({ db, config }) =>
      importAccounts(
        db,
        // eslint-disable-next-line security/detect-non-literal-fs-filename
        { name: file, size, open: () => createReadStream(file) },
        {
          actor: CLI_ACTOR,
          mode: options.partial ? 'partial' : 'all-or-nothing',
          update: options.update ?? false,
          dryRun: options.dryRun ?? false,
          batchSize: options.batchSize ?? IMPORT_BATCH_SIZE,
          keepErrors: LISTED_ERRORS_MAX,
          onProgress: (step) => progress.update(step),
          onRowError: (error) => errorsFile?.add(error),
          timeZone: config.display.timeZone,
        },
      ),
    );
  } finally {
    progress.stop();
    errorsFile?.close();
  }
  print(describe(report, errorsFile?.path));
  if (report.rejected > 0) {
    const rows = `${report.rejected} row${report.rejected === 1 ? ' was' : 's were'} rejected`;
    if (report.dryRun) throw new CliFailure(`${rows} (dry run: nothing was written)`);
    if (report.mode === 'all-or-nothing') throw new CliFailure(`${rows}; nothing was written`);
    throw new CliFailure(`${rows}; the good rows were imported (${report.imported} new, ${report.updated} updated)`);
  }
}

/** Resolves when the stream can take more, or has closed or failed (the caller looks at why). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Writes the chunks to stdout, or to FILE through FILE.partial (renamed when complete, so a failed export leaves no truncated FILE). */
export async function writeOut(chunks: AsyncIterable<string>, file: string | undefined): Promise<'complete' | 'closed'> {
  if (file === undefined) {
    // A reader that stops early (`crm export | head`) closes the pipe: stop writing, quietly.
    let failure: NodeJS.ErrnoException | undefined;
    const onError = (error: NodeJS.ErrnoException) => (failure = error);
    process.stdout.on('error', onError);
    try {
      for await (const chunk of chunks) {
        if (failure) break;
        if (!process.stdout.write(chunk)) await drained(process.stdout);
      }
    } finally {
      process.stdout.off('error', onError);
    }
    if (failure && failure.code !== 'EPIPE') throw failure;
    return failure ? 'closed' : 'complete';
  }
  const partial = `${file}.partial`;
  // The operator names the file on the command line.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  const out = createWriteStream(partial);
  try {
    for await (const chunk of chunks) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    renameSync(partial, file);
    return 'complete';
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('import accounts from a CSV (acctid,name,email,phone,terms_days,paid,due) or JSON seed file; all or nothing unless --partial')
    .argument('<file>', 'a .csv file with the header acctid,name,email,phone,terms_days,paid,due (amounts like 60.00; terms_days in days, 30 when left out), or a .json array like data/initial.json')
    .option('--partial', 'write the good rows (in batches, each its own transaction) and report the bad ones, instead of writing nothing when a row is bad')
    .option('--update', 'update accounts that already exist (name, email, phone, terms_days; paid and due through ledger adjustments) instead of skipping them')
    .option('--dry-run', 'check every row and report, writing nothing')
    .option('--errors <file>', 'also write every rejected row to this CSV file (line,acctid,reason)')
    .addOption(new Option('--batch-size <n>', 'rows per multi-row insert').argParser(wholeNumber(1, IMPORT_BATCH_SIZE_MAX)).hideHelp())
    .addOption(new Option('--progress-interval <ms>', 'milliseconds between progress lines when stderr is not a terminal').argParser(wholeNumber(0, 3_600_000)).hideHelp())
    .addHelpText('after', '\nExit codes: 0 every row was good, 1 rows were rejected (or the import failed), 2 bad arguments.')
    .action(async (file: string, options: ImportCommandOptions) => runImport(file, options));

  program
    .command('export')
    .description('write every account as CSV (re-importable with crm import) or JSON, to stdout or a file')
    .addOption(new Option('--format <format>', 'csv or json').choices(EXPORT_FORMATS).default('csv'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { format: ExportFormat; out?: string }) => {
      const started = performance.now();
      let accounts = 0;
      const end = await withDatabase(async (deps) => writeOut(exportAccounts(await commandReads(deps), { format: options.format, onProgress: (count) => (accounts = count) }), options.out));
      const ms = performance.now() - started;
      if (end === 'closed') note(`Stopped after ${accounts} accounts: the output was closed.`);
      else note(`Exported ${accounts} accounts as ${options.format}${options.out ? ` to ${options.out}` : ''} in ${seconds(ms)}.`);
    });
}
