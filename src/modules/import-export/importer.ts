/**
 * Bulk import of accounts (CSV or the seed's JSON), used by `crm import` and
 * the admin upload page alike: read, check every row, then write in batches
 * through the accounts service, so every new account gets its search terms,
 * opening ledger entries and (one per batch) an audit event, and every
 * change to an existing one goes through updateAccount and ledger
 * adjustments, so totals always equal the sums of entries.
 *
 * - all-or-nothing (the default): a first pass reads and checks the whole
 *   file (and which accounts exist) without writing; only when no row is
 *   bad does a second pass write it, in batches inside ONE transaction.
 * - partial: one pass; each batch of good rows is written in its own
 *   transaction as soon as it is read; bad rows are reported.
 * - dry run: the first pass only.
 *
 * Memory is bounded by the batch size, except for the ids seen so far (to
 * find an id listed twice), which is one short string per row.
 */
import type { Kysely, Transaction } from 'kysely';
import { lockForUpdate } from '../../platform/db/dialect.js';
import { AppError, FieldsError } from '../../shared/errors.js';
import { centsFromColumn, formatCents, negateCents, subtractCents, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { createAccounts, termsOf, updateAccount, type AccountChanges, type NewAccount } from '../accounts/index.js';
import type { Actor } from '../audit/index.js';
import { recordEntry } from '../ledger/index.js';
import { detectFormat, readRows, type ImportFormat, type ImportSource } from './import-readers.js';
import { checkRow, isRowError, type ImportRow, type RowError } from './import-rows.js';

export type { ImportFormat, ImportSource } from './import-readers.js';
export type { RowError } from './import-rows.js';

export type ImportMode = 'all-or-nothing' | 'partial';

/** Rows written per multi-row insert (and per transaction with --partial). */
export const IMPORT_BATCH_SIZE = 500;
/** The most a caller may ask for: 2,000 opening entries of 7 values stay under SQLite's 32,766 variables. */
export const IMPORT_BATCH_SIZE_MAX = 1000;
/**
 * Search terms (every prefix of the id and of each name word) a batch may
 * insert at most: three parameters each (term, acctid, sort_name) must stay
 * under SQLite's 32,766 variables per statement (PostgreSQL allows 65,535).
 * Long many-word names make smaller batches.
 */
export const BATCH_TERMS_MAX = 10_000;
/** The memo of the ledger adjustments an --update records. */
export const ADJUSTMENT_MEMO = 'Import adjustment';
/** Bad rows a report keeps (all of them go to onRowError). */
export const REPORT_ERRORS_KEPT = 1000;

export interface ImportProgress {
  /** check: reading and checking without writing (all-or-nothing, dry run); write: writing. */
  readonly phase: 'check' | 'write';
  /** Rows read so far in this phase. */
  readonly rows: number;
  /** Bytes of the file read so far in this phase. */
  readonly bytes: number;
  readonly totalBytes?: number | undefined;
  /** Known in the writing pass after a check pass. */
  readonly totalRows?: number | undefined;
}

export interface ImportOptions {
  readonly actor: Actor;
  readonly mode?: ImportMode;
  /** Existing accounts are updated (details, and totals through ledger adjustments) instead of skipped. */
  readonly update?: boolean;
  /** Check and count only; nothing is written. */
  readonly dryRun?: boolean;
  /** Detected from the name or the content when absent. */
  readonly format?: ImportFormat;
  readonly batchSize?: number;
  /** After each batch, and at the end of each phase. */
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Each bad row, once, as it is found. */
  readonly onRowError?: (error: RowError) => void;
  /** How many bad rows the report keeps (default 1000). */
  readonly keepErrors?: number;
  /** The most data rows an upload may have: the row past it stops the import (no limit when absent). */
  readonly maxRows?: number;
  /** The business time zone (CRM_TIME_ZONE): the adjustments an update records are dated today there. UTC when absent. */
  readonly timeZone?: string;
}

export interface ImportCounts {
  /** New accounts. */
  readonly imported: number;
  /** Existing accounts changed (--update). */
  readonly updated: number;
  /** Existing accounts left as they were (without --update, or already the same). */
  readonly skipped: number;
}

export interface ImportReport extends ImportCounts {
  readonly format: ImportFormat;
  readonly mode: ImportMode;
  readonly update: boolean;
  readonly dryRun: boolean;
  /** Data rows read (the header is not a row). */
  readonly rows: number;
  readonly rejected: number;
  /** The first `keepErrors` bad rows, in the order found. */
  readonly errors: readonly RowError[];
  /** What the check found the import would do: the counts of a dry run, or of an all-or-nothing import that was refused. */
  readonly planned: ImportCounts;
  /** Whether anything was written. */
  readonly written: boolean;
  /** The file could not be read to its end (a broken header or quote). */
  readonly stopped: boolean;
  readonly durationMs: number;
}

/** The database changed between the check and the write (all-or-nothing): nothing was written. */
export class ImportConflictError extends AppError {
  override name = 'ImportConflictError';
  constructor(detail: string, options: { readonly cause?: unknown } = {}) {
    super(409, 'IMPORT_CONFLICT', `Nothing was imported: ${detail} Run the import again.`, options);
  }
}

interface Update {
  readonly acctid: string;
  readonly changes: AccountChanges;
  /** Signed adjustment amounts: + raises due, − raises paid. */
  readonly adjustments: readonly Cents[];
}

interface Plan {
  readonly inserts: NewAccount[];
  readonly updates: Update[];
  skipped: number;
  readonly errors: RowError[];
}

const NO_COUNTS: ImportCounts = { imported: 0, updated: 0, skipped: 0 };

/** What writing these rows would do, given the accounts that exist now (locked when `lock`, inside the writing transaction). */
async function planBatch(db: Queryable, rows: readonly ImportRow[], update: boolean, lock: boolean): Promise<Plan> {
  const ids = rows.map((row) => row.acctid);
  let query = db.selectFrom('account').select(['acctid', 'name', 'email', 'phone', 'terms_days', 'paid_cents', 'due_cents']).where('acctid', 'in', ids);
  if (lock) query = lockForUpdate(db, query);
  const existing = new Map((await query.execute()).map((account) => [account.acctid, account]));
  const plan: Plan = { inserts: [], updates: [], skipped: 0, errors: [] };
  for (const row of rows) {
    const current = existing.get(row.acctid);
    if (!current) {
      plan.inserts.push({
        acctid: row.acctid,
        name: row.name ?? row.acctid,
        email: row.email ?? null,
        phone: row.phone ?? null,
        ...(row.termsDays === undefined ? {} : { terms_days: row.termsDays }),
        openingPaidCents: row.paidCents,
        openingDueCents: row.dueCents,
      });
      continue;
    }
    if (!update) {
      plan.skipped++;
      continue;
    }
    const paid = centsFromColumn(current.paid_cents);
    const due = centsFromColumn(current.due_cents);
    const lower: string[] = [];
    if (row.paidCents < paid) lower.push(`paid ${formatCents(row.paidCents)} is less than the ${formatCents(paid)} already paid`);
    if (row.dueCents < due) lower.push(`due ${formatCents(row.dueCents)} is less than the ${formatCents(due)} already due`);
    if (lower.length > 0) {
      plan.errors.push({
        line: row.line,
        acctid: row.acctid,
        reason: `Account ${row.acctid} exists and ${lower.join(', and ')}: totals only grow by ledger entries, so an import cannot lower them (record a correcting adjustment instead).`,
      });
      continue;
    }
    const changes: { name?: string; email?: string | null; phone?: string | null; terms_days?: number } = {};
    if (row.name !== undefined && row.name !== current.name) changes.name = row.name;
    if (row.email !== undefined && row.email !== current.email) changes.email = row.email;
    if (row.phone !== undefined && row.phone !== current.phone) changes.phone = row.phone;
    if (row.termsDays !== undefined && row.termsDays !== Number(current.terms_days)) changes.terms_days = row.termsDays;
    const adjustments: Cents[] = [];
    if (row.dueCents > due) adjustments.push(subtractCents(row.dueCents, due));
    if (row.paidCents > paid) adjustments.push(negateCents(subtractCents(row.paidCents, paid)));
    if (Object.keys(changes).length === 0 && adjustments.length === 0) plan.skipped++;
    else plan.updates.push({ acctid: row.acctid, changes, adjustments });
  }
  return plan;
}

async function writePlan(trx: Transaction<Database>, actor: Actor, plan: Plan, timeZone = 'UTC'): Promise<void> {
  await createAccounts(trx, actor, plan.inserts);
  for (const { acctid, changes, adjustments } of plan.updates) {
    if (Object.keys(changes).length > 0) await updateAccount(trx, actor, acctid, changes);
    for (const amountCents of adjustments) await recordEntry(trx, actor, { acctid, kind: 'adjustment', amountCents, memo: ADJUSTMENT_MEMO }, { timeZone });
  }
}

const isDuplicateAccount = (error: unknown) => error instanceof FieldsError && error.code === 'DUPLICATE_ACCOUNT';

/** The bookkeeping of one import: counts and the bad rows. */
class Tally {
  rows = 0;
  imported = 0;
  updated = 0;
  skipped = 0;
  rejected = 0;
  stopped = false;
  readonly errors: RowError[] = [];

  constructor(private readonly options: ImportOptions) {}

  reject(error: RowError): void {
    this.rejected++;
    if (this.errors.length < (this.options.keepErrors ?? REPORT_ERRORS_KEPT)) this.errors.push(error);
    this.options.onRowError?.(error);
  }

  count(plan: Plan): void {
    this.imported += plan.inserts.length;
    this.updated += plan.updates.length;
    this.skipped += plan.skipped;
  }

  counts(): ImportCounts {
    return { imported: this.imported, updated: this.updated, skipped: this.skipped };
  }
}

interface PassOptions {
  readonly phase: ImportProgress['phase'];
  /** Find ids listed twice (the first pass over a file). */
  readonly findDuplicates: boolean;
  readonly totalRows?: number;
  /** A bad row, or a problem reading the file. */
  readonly onError: (error: RowError, fatal: boolean) => void;
  readonly onBatch: (rows: readonly ImportRow[]) => Promise<void>;
}

/** Reads the file once: checks each row and hands on full batches of good ones; returns the number of data rows. */
async function pass(source: ImportSource, format: ImportFormat, options: ImportOptions, { phase, findDuplicates, totalRows, onError, onBatch }: PassOptions): Promise<number> {
  const batchSize = Math.max(1, Math.min(options.batchSize ?? IMPORT_BATCH_SIZE, IMPORT_BATCH_SIZE_MAX));
  const reader = readRows(source, format);
  const firstLine = new Map<string, number>();
  let rows = 0;
  let batch: ImportRow[] = [];
  let batchTerms = 0;
  const progress = () => options.onProgress?.({ phase, rows, bytes: reader.bytes(), totalBytes: source.size, totalRows });
  // The batch being written while the next one is read and checked: the file's parsing and
  // checks overlap the database's work instead of adding to it (decision 29). One at a time,
  // in order, so memory stays two batches and a failed write stops the reading at the next batch.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    batchTerms = 0;
    await writing;
    writing = onBatch(full).then(progress);
    // Handled where it is awaited (the next flush, or the end of the pass); this only keeps a
    // failure from counting as unhandled while the next batch is read.
    writing.catch(() => undefined);
  };
  try {
    for await (const item of reader.items) {
      if ('error' in item) {
        if (!item.fatal) rows++;
        onError(item.error, item.fatal ?? false);
        if (item.fatal) break;
        continue;
      }
      rows++;
      if (options.maxRows !== undefined && rows > options.maxRows) {
        const line = item.row.line.toLocaleString('en-US');
        onError({ line: item.row.line, acctid: '', reason: `Line ${line} is past the ${options.maxRows.toLocaleString('en-US')} rows an upload may have. Import larger files with the crm import command.` }, true);
        rows--;
        break;
      }
      const row = checkRow(item.row);
      if (isRowError(row)) {
        onError(row, false);
        continue;
      }
      if (findDuplicates) {
        const seen = firstLine.get(row.acctid);
        if (seen !== undefined) {
          onError({ line: row.line, acctid: row.acctid, reason: `Account ${row.acctid} is already on line ${seen} of this file.` }, false);
          continue;
        }
        firstLine.set(row.acctid, row.line);
      }
      // Only a written batch inserts search terms; a checked one only looks the ids up.
      const terms = phase === 'write' ? termsOf(row.acctid, row.name ?? row.acctid).length : 0;
      if (batchTerms + terms > BATCH_TERMS_MAX) await flush();
      batch.push(row);
      batchTerms += terms;
      if (batch.length >= batchSize) await flush();
    }
    // The good rows read before a fatal problem are written too (--partial); all-or-nothing writes nothing after any problem.
    await flush();
    await writing;
  } finally {
    reader.close();
    // Never leave with a batch still being written (a failed read must not end the transaction under it).
    await writing.catch(() => undefined);
  }
  progress();
  return rows;
}

/**
 * Imports accounts from `source` as `options` say, and reports what it did:
 * counts, and every bad row with its line and reason (the first
 * `keepErrors` in the report, all of them through onRowError).
 * @throws ImportConflictError when, all-or-nothing, the database changed between the check and the write (nothing is written).
 */
export async function importAccounts(db: Kysely<Database>, source: ImportSource, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const mode = options.mode ?? 'all-or-nothing';
  const update = options.update ?? false;
  const dryRun = options.dryRun ?? false;
  const format = options.format ?? (await detectFormat(source));
  const tally = new Tally(options);
  const onError = (error: RowError, fatal: boolean) => {
    tally.reject(error);
    if (fatal) tally.stopped = true;
  };
  let planned: ImportCounts;

  if (mode === 'partial' && !dryRun) {
    tally.rows = await pass(source, format, options, {
      phase: 'write',
      findDuplicates: true,
      onError,
      onBatch: async (rows) => {
        const attempt = () =>
          db.transaction().execute(async (trx) => {
            const plan = await planBatch(trx, rows, update, true);
            await writePlan(trx, options.actor, plan, options.timeZone);
            return plan;
          });
        // Another writer may create one of these ids between the look-up and the insert: look again once.
        let plan: Plan;
        try {
          plan = await attempt();
        } catch (error) {
          if (!isDuplicateAccount(error)) throw error;
          plan = await attempt();
        }
        for (const error of plan.errors) tally.reject(error);
        tally.count(plan);
      },
    });
    planned = tally.counts();
  } else {
    const check = new Tally(options);
    tally.rows = await pass(source, format, options, {
      phase: 'check',
      findDuplicates: true,
      onError,
      onBatch: async (rows) => {
        const plan = await planBatch(db, rows, update, false);
        for (const error of plan.errors) tally.reject(error);
        check.count(plan);
      },
    });
    planned = check.counts();
    const nothingToWrite = planned.imported === 0 && planned.updated === 0;
    if (!dryRun && tally.rejected === 0 && !nothingToWrite) {
      const totalRows = tally.rows;
      try {
        await db.transaction().execute(async (trx) => {
          await pass(source, format, options, {
            phase: 'write',
            findDuplicates: false,
            totalRows,
            onError: (error) => {
              throw new ImportConflictError(`line ${error.line} reads differently than when it was checked (has the file changed?).`);
            },
            onBatch: async (rows) => {
              const plan = await planBatch(trx, rows, update, true);
              const [changed] = plan.errors;
              if (changed) throw new ImportConflictError(`account ${changed.acctid} (line ${changed.line}) changed while the file was imported.`);
              await writePlan(trx, options.actor, plan, options.timeZone);
              tally.count(plan);
            },
          });
        });
      } catch (error) {
        if (isDuplicateAccount(error)) throw new ImportConflictError('an account in the file was created by someone else while the file was imported.', { cause: error });
        throw error;
      }
    } else if (!dryRun && tally.rejected === 0) {
      tally.skipped = planned.skipped;
    }
  }

  const counts = tally.counts();
  return {
    format,
    mode,
    update,
    dryRun,
    rows: tally.rows,
    rejected: tally.rejected,
    errors: tally.errors,
    ...(dryRun ? NO_COUNTS : counts),
    planned,
    written: !dryRun && counts.imported + counts.updated > 0,
    stopped: tally.stopped,
    durationMs: performance.now() - started,
  };
}

/** The rows per second a report stands for (rows read over the whole time). */
export function rowsPerSecond(report: Pick<ImportReport, 'rows' | 'durationMs'>): number {
  return report.durationMs > 0 ? Math.round((report.rows * 1000) / report.durationMs) : report.rows;
}
