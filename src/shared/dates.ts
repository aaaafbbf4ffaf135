/**
 * Business dates (an invoice's date, its due date, a payment's receipt date,
 * an as-of date) are calendar days written `YYYY-MM-DD`: no time, no time
 * zone. Stored as that text, they compare and sort as dates on every database
 * and reach JavaScript without a driver's time-zone conversion. Arithmetic
 * runs on UTC midnights, where every day has 24 hours.
 */
export type IsoDate = string;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  if (year < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function utcMidnight(date: IsoDate): number {
  if (!isIsoDate(date)) throw new RangeError(`not a date: ${date}`);
  return Date.parse(`${date}T00:00:00Z`);
}

function fromUtcMidnight(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day `days` after `date` (before, when negative). */
export function addDays(date: IsoDate, days: number): IsoDate {
  return fromUtcMidnight(utcMidnight(date) + days * DAY_MS);
}

/** Whole days from `from` to `to`: positive when `to` is later. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / DAY_MS);
}

/** The later of two dates. */
export function laterOf(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day it is at `at` (ms since the epoch) in an IANA time zone: "today" for the business. */
export function dateIn(timeZone: string, at: number = Date.now()): IsoDate {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA writes dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(at);
}

/** The UTC day of an instant: how existing entries got their business date. */
export function utcDateOf(at: number): IsoDate {
  return fromUtcMidnight(Math.floor(at / DAY_MS) * DAY_MS);
}
