import { z } from 'zod';
import { dateIn, isIsoDate, type IsoDate } from '../../shared/dates.js';
import { FieldsError } from '../../shared/errors.js';
import { AGING_PAGE_SIZE_DEFAULT, AGING_PAGE_SIZE_MAX, type AgingKey } from './aging-report.js';

/**
 * The as-of day, page size and cursor of the aging report, shared by the
 * API and the page: the day is a real calendar day, not after today in the
 * business time zone, and today when left out.
 */

/** A zod check of an as-of day against today in `timeZone`, read when the request is checked. */
export function asOfField(timeZone: string) {
  return z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined || value === '') return;
      if (!isIsoDate(value)) context.addIssue({ code: 'custom', message: 'The as-of date must be a real calendar day written YYYY-MM-DD, such as 2026-03-31.' });
      else if (value > dateIn(timeZone)) context.addIssue({ code: 'custom', message: `The as-of date cannot be in the future: the latest is today, ${dateIn(timeZone)} (${timeZone}).` });
    })
    .describe('The day the figures are as of: YYYY-MM-DD, not in the future (today in the business time zone when left out).');
}

/** The as-of day asked for, or today. */
export function asOfOrToday(asOf: string | undefined, timeZone: string): IsoDate {
  return asOf === undefined || asOf === '' ? dateIn(timeZone) : asOf;
}

export const limitField = z.coerce
  .number({ error: 'The limit must be a number.' })
  .int('The limit must be a whole number.')
  .min(1, 'The limit must be at least 1.')
  .max(AGING_PAGE_SIZE_MAX, `The limit can be at most ${AGING_PAGE_SIZE_MAX}.`)
  .default(AGING_PAGE_SIZE_DEFAULT)
  .describe(`Accounts per page, 1 to ${AGING_PAGE_SIZE_MAX}.`);

export const cursorField = z.string().max(200, 'This page link is not valid.').optional().describe('From the previous page\'s "next" link.');

/** Where the next page starts, opaque to clients: the last row's total and account id. */
export function encodeAgingCursor([total, acctid]: AgingKey): string {
  return Buffer.from(JSON.stringify([total, acctid])).toString('base64url');
}

/** @throws FieldsError 400 INVALID_CURSOR (field `cursor`) for anything encodeAgingCursor did not make. */
export function decodeAgingCursor(cursor: string | undefined): AgingKey | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && Number.isSafeInteger(decoded[0]) && typeof decoded[1] === 'string' && decoded[1].length <= 15) return [decoded[0] as number, decoded[1]];
  } catch {
    // Refused below, like any other cursor that is not ours.
  }
  throw new FieldsError(400, 'INVALID_CURSOR', { cursor: 'This page link is not valid (it was changed or cut). Start again from the first page.' });
}
