import { stringify } from 'csv-stringify/sync';
import type { IsoDate } from '../../shared/dates.js';
import { protectCell } from '../../shared/csv-cell.js';
import { decimalFromCents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import { AGING_BATCH_SIZE, agingOfEveryAccount, type AccountAgingRow } from './aging-report.js';
import { agingCentsFields } from '../ledger/index.js';

/**
 * Every account's aging as of a day as text, a batch at a time: the CSV
 * download of /receivables and `crm aging` write the same. Accounts in id
 * order, those with figures all zero left out; amounts as "1234.56" in the
 * CSV (no currency, no separators: a spreadsheet reads them as numbers),
 * integer cents in the JSON.
 */
export type AgingExportFormat = 'csv' | 'json';
export const AGING_EXPORT_FORMATS: readonly AgingExportFormat[] = ['csv', 'json'];

export const AGING_CSV_COLUMNS = ['acctid', 'name', 'current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90', 'credit', 'total'] as const;

function csvRecord({ acctid, name, aging }: AccountAgingRow): string[] {
  return [
    acctid,
    protectCell(name),
    ...[aging.currentCents, aging.days1To30Cents, aging.days31To60Cents, aging.days61To90Cents, aging.daysOver90Cents, aging.creditCents, aging.totalCents].map((value) => decimalFromCents(value)),
  ];
}

function jsonRecord({ acctid, name, aging }: AccountAgingRow): string {
  return JSON.stringify({
    acctid,
    name,
    ...agingCentsFields(aging),
  });
}

export interface AgingExportOptions {
  readonly format: AgingExportFormat;
  readonly batchSize?: number;
  /** After each batch: the accounts read so far, and how many were written. */
  readonly onProgress?: (accountsRead: number, written: number) => void;
}

/**
 * The text, one chunk per batch: CSV with a header line, or JSON
 * `{"as_of": D, "accounts": [...]}` with one account a line.
 */
export async function* exportAging(db: Queryable, asOf: IsoDate, today: IsoDate, { format, batchSize = AGING_BATCH_SIZE, onProgress }: AgingExportOptions): AsyncGenerator<string> {
  let written = 0;
  let read = 0;
  let head = format === 'csv' ? stringify([[...AGING_CSV_COLUMNS]]) : `{"as_of":${JSON.stringify(asOf)},"accounts":[`;
  for await (const rows of agingOfEveryAccount(db, asOf, today, { batchSize, onProgress: (count) => (read = count) })) {
    const text = format === 'csv' ? stringify(rows.map(csvRecord)) : rows.map((row, index) => `${written + index === 0 ? '\n' : ',\n'}${jsonRecord(row)}`).join('');
    yield head + text;
    head = '';
    written += rows.length;
    onProgress?.(read, written);
  }
  onProgress?.(read, written);
  if (head !== '') yield head;
  if (format === 'json') yield written === 0 ? ']}\n' : '\n]}\n';
}
