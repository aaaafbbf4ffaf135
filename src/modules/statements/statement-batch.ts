import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { FieldsError } from '../../shared/errors.js';
import { ZERO_CENTS } from '../../shared/money.js';
import type { DisplaySettings } from '../../platform/views/format.js';
import type { Database } from '../../schema.js';
import { balancesAsOf } from '../ledger/index.js';
import { openingDay, statementFrom, type Statement, type StatementPeriod } from './statement.js';
import { PdfRenderers } from './statement-pdf.pool.js';
import { statementFileName, type Company } from './statement.pdf.js';

/** Accounts read per keyset batch: memory stays flat however many there are. */
export const STATEMENT_BATCH_SIZE = 500;

/**
 * Statements read at a time: split among the readers, each share one
 * repeatable-read transaction (one consistent reading, its opening balances
 * summed in one query, short: on SQLite it holds the write lock).
 */
const STATEMENTS_PER_READ = 40;

/** Connections reading statements side by side: a statement waits on the database more than it works. */
export const STATEMENT_READERS = 4;

/** Statements being drawn or written at once, per drawing thread, and at least two reads' worth: the workers draw one read while the next is read. */
const IN_FLIGHT_PER_WORKER = 4;

export interface BatchProgress {
  /** Accounts looked at so far, and how many there are in all. */
  readonly examined: number;
  readonly total: number;
  readonly written: number;
}

export interface BatchReport {
  readonly period: StatementPeriod;
  readonly examined: number;
  /** Statements written: one per account whose balance on the last day was not zero. */
  readonly written: number;
  /** Accounts with a balance whose period has more entries than a statement lists, with why. */
  readonly skipped: readonly { readonly acctid: string; readonly reason: string }[];
  readonly durationMs: number;
}

export interface BatchOptions {
  readonly period: StatementPeriod;
  readonly outDir: string;
  readonly company: Company;
  /** How figures and dates are written (CRM_LOCALE; the time zone is not used for business dates). */
  readonly display: DisplaySettings;
  /** Drawing threads; one per core but one (at most four) unless told; 0 draws in this thread. */
  readonly workers?: number;
  /** Transactions reading statements at once (STATEMENT_READERS unless told); the pool needs as many connections, and one more. */
  readonly readers?: number;
  readonly onProgress?: (progress: BatchProgress) => void;
}

/**
 * One PDF statement for every account whose balance as of the period's last
 * day is not zero, written to `outDir` as statement-{acctid}-{to}.pdf
 * (replacing one of that name). Accounts are read in keyset batches by id,
 * their balances as of the day summed by the database a batch at a time;
 * the statements of those with a balance are read as the API reads them,
 * forty at a time by several transactions side by side, then drawn by worker
 * threads while the next are read, with a bounded number in flight, so
 * memory does not grow with the number of accounts. Each file appears whole
 * (written under a temporary name, then renamed).
 */
export async function writeStatements(db: Kysely<Database>, { period, outDir, company, display, workers, readers = STATEMENT_READERS, onProgress }: BatchOptions): Promise<BatchReport> {
  const started = performance.now();
  // The operator names the directory (--out).
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  await mkdir(outDir, { recursive: true });
  const { count } = await db.selectFrom('account').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow();
  const total = Number(count);
  const skipped: { acctid: string; reason: string }[] = [];
  let examined = 0;
  let written = 0;
  let failure: Error | undefined;
  const inFlight = new Set<Promise<void>>();
  const renderers = new PdfRenderers({ display, company }, workers);
  const window = renderers.size === 0 ? 1 : Math.max(renderers.size * IN_FLIGHT_PER_WORKER, 2 * STATEMENTS_PER_READ);
  const progress = () => onProgress?.({ examined, total: Math.max(total, examined), written });
  const draw = async (statement: Statement) => {
    const job: Promise<void> = renderers
      .render(statement)
      .then((bytes) => writeWhole(join(outDir, statementFileName(statement.account.acctid, period.to)), bytes))
      .then(
        () => {
          written += 1;
          progress();
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= window) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };
  try {
    let after: string | undefined;
    for (;;) {
      let batch = db.selectFrom('account').select(['acctid', 'name']).orderBy('acctid').limit(STATEMENT_BATCH_SIZE);
      if (after !== undefined) batch = batch.where('acctid', '>', after);
      const accounts = await batch.execute();
      if (accounts.length === 0) break;
      after = accounts.at(-1)?.acctid;
      const balances = await balancesAsOf(db, accounts.map(({ acctid }) => acctid), period.to);
      const batchStart = examined;
      const positions = new Map(accounts.map(({ acctid }, index) => [acctid, index]));
      const withBalance = accounts.filter(({ acctid }) => (balances.get(acctid) ?? 0) !== 0);
      for (let start = 0; start < withBalance.length; start += STATEMENTS_PER_READ) {
        const group = withBalance.slice(start, start + STATEMENTS_PER_READ);
        const statements = await readStatements(db, group, period, readers, skipped);
        for (const statement of statements) await draw(statement);
        examined = batchStart + (positions.get(group.at(-1)?.acctid ?? '') ?? 0) + 1;
        progress();
      }
      examined = batchStart + accounts.length;
      progress();
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  } finally {
    await Promise.allSettled(inFlight);
    await renderers.close();
  }
  skipped.sort((a, b) => (a.acctid < b.acctid ? -1 : 1));
  return { period, examined, written, skipped, durationMs: performance.now() - started };
}

/**
 * The statements of these accounts, read by up to `readers` transactions side
 * by side; an account whose period is too long is added to `skipped` instead.
 */
async function readStatements(db: Kysely<Database>, accounts: readonly Statement['account'][], period: StatementPeriod, readers: number, skipped: { acctid: string; reason: string }[]): Promise<Statement[]> {
  const share = Math.ceil(accounts.length / Math.max(1, readers));
  const shares = Array.from({ length: Math.ceil(accounts.length / share) }, (_, index) => accounts.slice(index * share, (index + 1) * share));
  const read = await Promise.all(
    shares.map((lane) =>
      db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const openings = await balancesAsOf(trx, lane.map(({ acctid }) => acctid), openingDay(period));
          const statements: Statement[] = [];
          for (const account of lane) {
            try {
              statements.push(await statementFrom(trx, account, openings.get(account.acctid) ?? ZERO_CENTS, period, 'from'));
            } catch (error) {
              if (!(error instanceof FieldsError) || error.code !== 'STATEMENT_TOO_LONG') throw error;
              skipped.push({ acctid: account.acctid, reason: error.message });
            }
          }
          return statements;
        }),
    ),
  );
  return read.flat();
}

/** Writes a file under a temporary name beside it, then renames it: a reader never sees half a PDF. */
async function writeWhole(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // The operator names the directory (--out); the file name is built from a checked account id and date.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    await writeFile(temporary, bytes);
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
