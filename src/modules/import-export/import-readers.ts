/**
 * Reading an import file as a stream of rows, each with the line it starts
 * on: CSV (csv-parse) with the header `acctid,name,email,phone,terms_days,paid,due`, or
 * the seed file's JSON array `[{"acctid":"ACCT100","paid":60.00,"due":100.00}]`.
 * Memory stays bounded whatever the file's size: one CSV record or one JSON
 * entry at a time.
 */
import { extname } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { csvRows } from './csv-rows.js';
import type { RawRow, RowError } from './import-rows.js';
import { jsonRows } from './json-rows.js';

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
