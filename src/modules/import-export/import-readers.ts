/**
 * Reading an import file as a stream of rows, each with the line it starts
 * on: CSV (csv-parse) with the header `acctid,name,email,phone,paid,due`, or
 * the seed file's JSON array `[{"acctid":"ACCT100","paid":60.00,"due":100.00}]`.
 * Memory stays bounded whatever the file's size: one CSV record or one JSON
 * entry at a time.
 */
import { extname } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse, type CsvError } from 'csv-parse';
import { unprotectCell } from '../../shared/csv-cell.js';
import { shownAcctid, type RawRow, type RowError } from './import-rows.js';

export type ImportFormat = 'csv' | 'json';

/** Where the rows come from; `open` may be called more than once (all-or-nothing reads the file twice). */
export interface ImportSource {
  /** A file name: its extension can tell the format. */
  readonly name: string;
  open(): Readable;
  /** Bytes, when known: what a progress bar measures against. */
  readonly size?: number;
}

/** What a reader yields: a row to check, or a problem at a line. `fatal`: the file cannot be read any further. */
export type ReadItem = { readonly row: RawRow } | { readonly error: RowError; readonly fatal?: boolean };

/** Counts the bytes that pass, for progress. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** `.json` is JSON and `.csv` CSV; anything else is JSON when its first non-blank character is `[`. */
export async function detectFormat(source: ImportSource): Promise<ImportFormat> {
  const extension = extname(source.name).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.csv') return 'csv';
  const stream = source.open();
  try {
    let seen = 0;
    for await (const chunk of stream) {
      const text = (chunk as Buffer).toString('utf8').replace(/^\uFEFF/, '');
      const first = /\S/.exec(text);
      if (first) return first[0] === '[' ? 'json' : 'csv';
      seen += (chunk as Buffer).length;
      if (seen > 1 << 20) break;
    }
    return 'csv';
  } finally {
    stream.destroy();
  }
}

/** Reads rows from a fresh stream of the source; `bytes()` says how far it has read. */
export interface RowReader {
  readonly items: AsyncIterable<ReadItem>;
  bytes(): number;
  /** Releases the file when reading stops early (a fatal problem, or the caller gave up). */
  close(): void;
}

export function readRows(source: ImportSource, format: ImportFormat): RowReader {
  const counter = new ByteCounter();
  const input = source.open();
  input.on('error', (error) => counter.destroy(error));
  input.pipe(counter);
  return {
    items: format === 'json' ? jsonRows(counter) : csvRows(counter),
    bytes: () => counter.bytes,
    close: () => {
      input.destroy();
      counter.destroy();
    },
  };
}

// ---------------------------------------------------------------- CSV

/** The columns an import reads; the export's computed balance and status are accepted and ignored. */
export const CSV_COLUMNS = ['acctid', 'name', 'email', 'phone', 'paid', 'due'] as const;
const IGNORED_COLUMNS = ['balance', 'status'] as const;
const REQUIRED_COLUMNS = ['acctid', 'paid', 'due'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

const CSV_HELP = `The first line must name the columns: ${CSV_COLUMNS.join(',')} (name, email and phone may be left out).`;

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

function csvProblem(error: CsvError): string {
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

async function* csvRows(input: Readable): AsyncGenerator<ReadItem> {
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true });
  const lines = new CrlfToLf();
  input.on('error', (error) => parser.destroy(error));
  lines.on('error', (error) => parser.destroy(error));
  input.pipe(lines).pipe(parser);
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
      yield { row: { line, acctid: at('acctid'), name: text('name'), email: text('email'), phone: text('phone'), paid: at('paid'), due: at('due') } };
    }
  } catch (error) {
    const csv = error as CsvError & { lines?: number };
    if (typeof csv.code !== 'string' || !csv.code.startsWith('CSV_')) throw error;
    // A broken quote leaves no reliable way to tell where the next row starts: stop rather than guess.
    yield { error: { line: csv.lines ?? 0, acctid: '', reason: `The file cannot be read from here on: ${csvProblem(csv)}.` }, fatal: true };
    return;
  }
  if (!columns) yield { error: { line: 1, acctid: '', reason: `The file is empty. ${CSV_HELP}` }, fatal: true };
}

// ---------------------------------------------------------------- JSON

/** An entry longer than this is not an account. */
const JSON_ENTRY_MAX = 64 * 1024;
const JSON_HELP = 'The JSON must be one array of accounts, like [{"acctid":"ACCT100","paid":60.00,"due":100.00}].';

/**
 * Splits a JSON array into its entries without holding the whole text:
 * tracks strings and brackets to find where each entry ends, then parses
 * each entry alone. A malformed entry is that row's problem; a file that is
 * not an array stops the import.
 */
async function* jsonRows(input: Readable): AsyncGenerator<ReadItem> {
  const decoder = new StringDecoder('utf8');
  type State = 'start' | 'before-entry' | 'entry' | 'after-entry' | 'end';
  let state = 'start' as State;
  let line = 1;
  let entry = '';
  let entryLine = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let first = true;
  let afterComma = false;

  const fail = (reason: string): ReadItem => ({ error: { line, acctid: '', reason: `${reason} ${JSON_HELP}` }, fatal: true });

  function finishEntry(): ReadItem {
    let value: unknown;
    try {
      value = JSON.parse(entry);
    } catch (error) {
      return { error: { line: entryLine, acctid: '', reason: `This entry is not valid JSON (${(error as Error).message.slice(0, 120)}).` } };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { error: { line: entryLine, acctid: '', reason: 'This entry is not an object like {"acctid":"ACCT100","paid":60.00,"due":100.00}.' } };
    }
    const fields = value as Record<string, unknown>;
    const own = (key: string) => (Object.hasOwn(fields, key) ? fields[key] : undefined);
    return { row: { line: entryLine, acctid: own('acctid'), name: own('name'), email: own('email'), phone: own('phone'), paid: own('paid'), due: own('due') } };
  }

  for await (const chunk of input) {
    const text = decoder.write(chunk as Buffer);
    let i = 0;
    let entryFrom = state === 'entry' ? 0 : -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) line++;
      switch (state) {
        case 'start':
          if (c === 0xfeff || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
          if (c !== 0x5b /* [ */) {
            yield fail('The file does not start with [.');
            return;
          }
          state = 'before-entry';
          break;
        case 'before-entry':
        case 'after-entry':
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
          if (c === 0x5d /* ] */) {
            if (afterComma) {
              yield fail('A comma is followed by ].');
              return;
            }
            state = 'end';
            break;
          }
          if (state === 'after-entry') {
            if (c !== 0x2c /* , */) {
              yield fail(`Entries must be separated by commas (line ${line}).`);
              return;
            }
            state = 'before-entry';
            afterComma = true;
            break;
          }
          if (c === 0x2c && (first || afterComma)) {
            yield fail('An entry is missing before a comma.');
            return;
          }
          state = 'entry';
          entry = '';
          entryLine = line;
          entryFrom = i;
          depth = 0;
          inString = false;
          escaped = false;
          first = false;
          afterComma = false;
          i--; // read this character again as part of the entry (never a line break: blanks were skipped)
          break;
        case 'entry': {
          let ends = false;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 0x5c /* \ */) escaped = true;
            else if (c === 0x22 /* " */) inString = false;
          } else if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            if (depth === 0) ends = true; // the array's own ]
            else depth--;
          } else if (c === 0x2c && depth === 0) ends = true;
          if (ends) {
            entry += text.slice(entryFrom, i);
            entryFrom = -1;
            yield finishEntry();
            state = 'after-entry';
            i--; // the comma or ] is read again between entries
          } else if (entry.length + (i - entryFrom) > JSON_ENTRY_MAX) {
            yield { error: { line: entryLine, acctid: '', reason: `An entry is longer than ${JSON_ENTRY_MAX} characters.` }, fatal: true };
            return;
          }
          break;
        }
        case 'end':
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
          yield fail('Something follows the closing ].');
          return;
      }
      i++;
    }
    if (state === 'entry' && entryFrom >= 0) entry += text.slice(entryFrom);
  }
  if (state === 'start') yield fail('The file is empty.');
  else if (state !== 'end') {
    // The last entry may be whole: it counts, then the file's problem is reported.
    if (state === 'entry' && depth === 0 && !inString && entry.trim() !== '') yield finishEntry();
    yield fail('The array is not closed with ].');
  }
}
