/**
 * CSV rows (csv-parse) with the header `acctid,name,email,phone,terms_days,paid,due`,
 * each with the line it starts on. Each record is bounded in size and
 * number of values before it is built, so memory stays flat whatever the
 * file.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { ReadItem } from './import-readers.js';
import { unprotectCell } from '../../shared/csv-cell.js';
import { shownAcctid } from './import-rows.js';

/** The columns an import reads; the export's computed balance and status are accepted and ignored. */
export const CSV_COLUMNS = ['acctid', 'name', 'email', 'phone', 'terms_days', 'paid', 'due'] as const;
const IGNORED_COLUMNS = ['balance', 'status'] as const;
const REQUIRED_COLUMNS = ['acctid', 'paid', 'due'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

const CSV_HELP = `The first line must name the columns: ${CSV_COLUMNS.join(',')} (name, email, phone and terms_days may be left out).`;

/** Where each column is in a record, or a reason the header is unusable. */
function readHeader(record: readonly string[]): Map<CsvColumn, number> | string {
  const positions = new Map<CsvColumn, number>();
  for (const [index, raw] of record.entries()) {
    const name = raw.trim().toLowerCase();
    if ((IGNORED_COLUMNS as readonly string[]).includes(name)) continue;
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      return `unknown column ${JSON.stringify(raw.slice(0, 40))}. ${CSV_HELP}`;
    }
    if (positions.has(name as CsvColumn)) return `the column ${name} appears twice. ${CSV_HELP}`;
    positions.set(name as CsvColumn, index);
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !positions.has(column));
  if (missing.length > 0) return `the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing. ${CSV_HELP}`;
  return positions;
}

/**
 * Turns CRLF line ends into LF before csv-parse, whose line count takes a
 * CRLF inside a quoted value or on an empty line for two lines. A CR that
 * ends a chunk waits for the next one.
 */
class CrlfToLf extends Transform {
  #heldCr = false;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let input = chunk;
    if (this.#heldCr) {
      this.#heldCr = false;
      if (input[0] !== 0x0a) this.push(Buffer.from([0x0d]));
    }
    if (input.length > 0 && input[input.length - 1] === 0x0d) {
      this.#heldCr = true;
      input = input.subarray(0, -1);
    }
    if (!input.includes(0x0d)) return callback(null, input);
    const out = Buffer.allocUnsafe(input.length);
    let length = 0;
    for (let i = 0; i < input.length; i++) {
      const byte = input[i] ?? 0;
      if (byte === 0x0d && input[i + 1] === 0x0a) continue;
      out[length++] = byte;
    }
    callback(null, out.subarray(0, length));
  }
  override _flush(callback: TransformCallback): void {
    callback(null, this.#heldCr ? Buffer.from([0x0d]) : undefined);
  }
}

/** The line a record starts on: the line it ends on, less the line breaks inside its (quoted) values. */
function startLine(endLine: number, record: readonly string[]): number {
  let breaks = 0;
  for (const value of record) {
    for (let at = value.indexOf('\n'); at !== -1; at = value.indexOf('\n', at + 1)) breaks++;
  }
  return endLine - breaks;
}

/** A record longer than this is not an account. */
export const CSV_RECORD_MAX_BYTES = 64 * 1024;
/** The most values a record may have: the export's 9 columns and room for a stray few, far from what would tire the server. */
export const CSV_VALUES_MAX = 32;

/** Why RecordBounds stopped the file, and where. */
interface BoundProblem {
  readonly code: 'CSV_TOO_MANY_VALUES' | 'CSV_MAX_RECORD_SIZE';
  readonly lines: number;
}

/**
 * Bounds each record's size and number of values on the bytes, before
 * csv-parse builds the record. (csv-parse has no bound on values, and a line
 * of commas is values without characters; its max_record_size costs the
 * importer two thirds of its speed in garbage collection at a 96 MiB heap.)
 * Passes on whole records only, so at a record out of bounds it ends the
 * stream after the last good one and says why in `problem`. Quotes are
 * followed only to tell a separator or line break inside a value from one
 * between values: a doubled quote toggles twice, no change.
 */
class RecordBounds extends Transform {
  problem: BoundProblem | undefined;
  #quoted = false;
  #values = 1;
  #line = 1;
  /** The start of the record being read, not yet passed on (at most CSV_RECORD_MAX_BYTES). */
  #held: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.problem) return callback();
    let recordStart = 0;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at];
      if (byte === 0x22 /* " */) this.#quoted = !this.#quoted;
      else if (byte === 0x0a /* \n */) {
        this.#line++;
        if (!this.#quoted) {
          this.#values = 1;
          recordStart = at + 1;
          continue;
        }
      } else if (byte === 0x2c /* , */ && !this.#quoted && ++this.#values > CSV_VALUES_MAX) {
        return this.#stop(chunk, recordStart, 'CSV_TOO_MANY_VALUES', callback);
      }
      const recordBytes = (recordStart === 0 ? this.#held.length : 0) + at - recordStart + 1;
      if (recordBytes > CSV_RECORD_MAX_BYTES) return this.#stop(chunk, recordStart, 'CSV_MAX_RECORD_SIZE', callback);
    }
    const whole = recordStart === 0 ? undefined : Buffer.concat([this.#held, chunk.subarray(0, recordStart)]);
    this.#held = recordStart === 0 ? Buffer.concat([this.#held, chunk]) : chunk.subarray(recordStart);
    callback(null, whole);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.problem ? undefined : this.#held);
  }

  #stop(chunk: Buffer, recordStart: number, code: BoundProblem['code'], callback: TransformCallback): void {
    this.problem = { code, lines: this.#line };
    const whole = recordStart === 0 ? undefined : Buffer.concat([this.#held, chunk.subarray(0, recordStart)]);
    this.#held = Buffer.alloc(0);
    if (whole) this.push(whole);
    this.push(null);
    callback();
  }
}

const thousands = (count: number) => count.toLocaleString('en-US');

/** Why the file cannot be read past `line`. */
function csvProblem(error: CsvError, line: number): string {
  const stop = 'Nothing after it was read.';
  switch (error.code as string) {
    case 'CSV_TOO_MANY_VALUES':
      return `Line ${thousands(line)} has more than ${CSV_VALUES_MAX} values, and an account has ${CSV_COLUMNS.length} (${CSV_COLUMNS.join(',')}). ${stop}`;
    case 'CSV_MAX_RECORD_SIZE':
      return `Line ${thousands(line)} is longer than ${thousands(CSV_RECORD_MAX_BYTES)} bytes, which no account needs. ${stop}`;
  }
  return `The file cannot be read from here on: ${csvReadProblem(error)}.`;
}

function csvReadProblem(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted value is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote closes a value but something other than a comma or a line break follows it';
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'text follows a closing quote';
    default:
      return `the CSV cannot be read (${error.message.slice(0, 120)})`;
  }
}

export async function* csvRows(input: Readable): AsyncGenerator<ReadItem> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
  });
  const lines = new CrlfToLf();
  const bounds = new RecordBounds();
  input.on('error', (error) => parser.destroy(error));
  lines.on('error', (error) => parser.destroy(error));
  bounds.on('error', (error) => parser.destroy(error));
  input.pipe(lines).pipe(bounds).pipe(parser);
  let columns: Map<CsvColumn, number> | undefined;
  let width = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = startLine(item.info.lines, item.record);
      const { record } = item;
      if (!columns) {
        const header = readHeader(record);
        if (typeof header === 'string') {
          yield { error: { line, acctid: '', reason: `The header is not usable: ${header}` }, fatal: true };
          return;
        }
        columns = header;
        width = record.length;
        continue;
      }
      const at = (column: CsvColumn) => {
        const index = columns?.get(column);
        return index === undefined ? undefined : record[index];
      };
      if (record.length !== width) {
        yield { error: { line, acctid: shownAcctid(at('acctid')), reason: `The row has ${record.length} values; the header names ${width} columns.` } };
        continue;
      }
      const text = (column: 'name' | 'email' | 'phone') => {
        const value = at(column);
        return value === undefined ? undefined : unprotectCell(value);
      };
      yield { row: { line, acctid: at('acctid'), name: text('name'), email: text('email'), phone: text('phone'), terms_days: at('terms_days'), paid: at('paid'), due: at('due') } };
    }
  } catch (error) {
    const csv = error as CsvError & { lines?: number };
    if (typeof csv.code !== 'string' || !csv.code.startsWith('CSV_')) throw error;
    // A broken quote leaves no reliable way to tell where the next row starts: stop rather than guess.
    const line = csv.lines ?? 0;
    yield { error: { line, acctid: '', reason: csvProblem(csv, line) }, fatal: true };
    return;
  }
  if (bounds.problem) {
    const { code, lines: line } = bounds.problem;
    yield { error: { line, acctid: '', reason: csvProblem({ code } as CsvError, line) }, fatal: true };
    return;
  }
  if (!columns) yield { error: { line: 1, acctid: '', reason: `The file is empty. ${CSV_HELP}` }, fatal: true };
}

