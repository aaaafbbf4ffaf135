/**
 * The import file readers on their own: CSV records bounded in size and
 * number of values (before a record is built), stopping at the line that
 * breaks the bound, and commas or line breaks inside quotes not counted.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { CSV_RECORD_MAX_BYTES, CSV_VALUES_MAX } from '../../src/modules/import-export/csv-rows.js';
import { readRows, type ImportFormat, type ReadItem } from '../../src/modules/import-export/import-readers.js';

/** Every item the reader yields for `text`, fed in chunks of `chunkSize` bytes. */
async function itemsOf(text: string, format: ImportFormat = 'csv', chunkSize = 7): Promise<ReadItem[]> {
  const data = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(data.length / chunkSize) }, (_, i) => data.subarray(i * chunkSize, (i + 1) * chunkSize));
  const reader = readRows({ name: `upload.${format}`, open: () => Readable.from(chunks) }, format);
  const items: ReadItem[] = [];
  try {
    for await (const item of reader.items) items.push(item);
  } finally {
    reader.close();
  }
  return items;
}

const HEADER = 'acctid,name,email,phone,paid,due';
const lines = (items: ReadItem[]) => items.map((item) => ('row' in item ? item.row.line : `error ${item.error.line}${item.fatal ? ' (fatal)' : ''}`));
const reasons = (items: ReadItem[]) => items.flatMap((item) => ('error' in item ? [item.error.reason] : []));

describe('the CSV reader', () => {
  test('commas and line breaks inside quotes are neither values nor lines of their own (CRLF too)', async () => {
    const name = `"Many, ${','.repeat(CSV_VALUES_MAX * 2)} commas\r\nand a line"`;
    const items = await itemsOf([HEADER, `A1,${name},,,1,2`, 'A2,Plain,,,1,2'].join('\r\n'));
    assert.deepEqual(lines(items), [2, 4]);
  });

  test(`a record with more than ${CSV_VALUES_MAX} values stops the file at its line, header or row`, async () => {
    const row = await itemsOf([HEADER, 'A1,Fine,,,1,2', ','.repeat(2_000), 'A3,Never read,,,1,2'].join('\n'));
    assert.deepEqual(lines(row), [2, 'error 3 (fatal)']);
    assert.match(reasons(row)[0] ?? '', /^Line 3 has more than 32 values, and an account has 7 \(acctid,name,email,phone,terms_days,paid,due\)\. Nothing after it was read\.$/);
    const header = await itemsOf(`acctid,paid,due${',x'.repeat(CSV_VALUES_MAX)}\nA1,1,2\n`);
    assert.deepEqual(lines(header), ['error 1 (fatal)']);
  });

  test(`a record longer than ${CSV_RECORD_MAX_BYTES} bytes stops the file at the line it reaches the bound`, async () => {
    const long = await itemsOf([HEADER, `A1,"${'x'.repeat(100)}\n${'y'.repeat(CSV_RECORD_MAX_BYTES)}",,,1,2`, 'A3,Never read,,,1,2'].join('\n'), 'csv', 4096);
    assert.deepEqual(lines(long), ['error 3 (fatal)']);
    assert.match(reasons(long)[0] ?? '', /^Line 3 is longer than 65,536 bytes, which no account needs\. Nothing after it was read\.$/);
    const justUnder = await itemsOf([HEADER, `A1,"${'x'.repeat(CSV_RECORD_MAX_BYTES - 20)}",,,1,2`].join('\n'), 'csv', 4096);
    assert.deepEqual(lines(justUnder), [2]);
  });
});

describe('the JSON reader (stream-json)', () => {
  test('each entry keeps the line it starts on, amounts and terms keep their text (never a float), a byte-order mark is skipped', async () => {
    const items = await itemsOf('\uFEFF[\n{"acctid":"A1","paid":0.10,"due":"2.50","terms_days":45},\n\n  {"acctid":"A2",\n"paid":1e2,"due":0,"terms_days":"7"}\n]\n', 'json', 5);
    assert.deepEqual(
      items.map((item) => ('row' in item ? [item.row.line, item.row.acctid, item.row.paid, item.row.due, item.row.terms_days] : item.error.reason)),
      [
        [2, 'A1', '0.10', '2.50', '45'],
        [4, 'A2', '1e2', '0', '7'],
      ],
    );
  });

  test('a file that is empty, not an array, unclosed, or with an entry past the bound stops with the reason', async () => {
    assert.match(reasons(await itemsOf('  \n', 'json'))[0] ?? '', /^The file is empty\./);
    assert.match(reasons(await itemsOf('{"acctid":"A1"}', 'json'))[0] ?? '', /^The file does not start with \[\./);
    const unclosed = await itemsOf('[{"acctid":"A1","paid":1,"due":2}', 'json');
    assert.deepEqual(lines(unclosed), [1, 'error 1 (fatal)']);
    assert.match(reasons(unclosed)[0] ?? '', /^The array is not closed with \]\./);
    const huge = await itemsOf(`[\n{"acctid":"A1","paid":1,"due":2},\n{"name":"${'x'.repeat(70_000)}"}\n]`, 'json', 65_536);
    assert.deepEqual(lines(huge), [2, 'error 3 (fatal)']);
    assert.match(reasons(huge)[0] ?? '', /^The entry on line 3 is longer than 65,536 characters/);
    assert.match(reasons(await itemsOf('[1] trailing', 'json')).at(-1) ?? '', /^Line 1 is not valid JSON \(unexpected characters\)/);
  });
});
