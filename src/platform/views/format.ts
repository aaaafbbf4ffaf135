/**
 * How staff pages write money, counts and moments: one Intl.NumberFormat and
 * one set of Intl.DateTimeFormat, in the business's locale and time zone
 * (CRM_LOCALE, CRM_TIME_ZONE). The settings are the process's, set once by
 * the composition root; the API and the public lookup keep their own fixed
 * formats.
 */
import { CURRENCY, decimalFromCents, type Cents } from '../../shared/money.js';
import { html, type SafeHtml } from './html.js';
import { pill } from './components.js';

export interface DisplaySettings {
  /** A BCP 47 locale: "en-US", "de-DE". */
  readonly locale: string;
  /** An IANA time zone: "UTC", "Europe/Berlin". */
  readonly timeZone: string;
}

const DAY_MS = 86_400_000;

function formatters({ locale, timeZone }: DisplaySettings) {
  return {
    settings: { locale, timeZone },
    amount: new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    count: new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }),
    compact: new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }),
    exact: new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'full', timeStyle: 'long' }),
    clock: new Intl.DateTimeFormat(locale, { timeZone, hour: 'numeric', minute: '2-digit' }),
    weekday: new Intl.DateTimeFormat(locale, { timeZone, weekday: 'short', hour: 'numeric', minute: '2-digit' }),
    dateTime: new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit' }),
    date: new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', year: 'numeric' }),
    dayMonth: new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short' }),
    calendarDay: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }),
    // A business date is a calendar day with no time zone: written as the UTC midnight it is stored as.
    businessDay: new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }),
    businessDayLong: new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'full' }),
  };
}

let current = formatters({ locale: 'en-US', timeZone: 'UTC' });

/** Sets the locale and time zone every page uses from now on (once, at start). */
export function configureDisplay(settings: DisplaySettings): void {
  current = formatters(settings);
}

/** The business time zone, as shown beside times ("UTC", "Europe/Berlin"). */
export function timeZoneName(): string {
  return current.settings.timeZone;
}

/** Intl formats a decimal string without going through a float, so amounts of any size stay exact. */
const decimal = (cents: Cents | bigint) => decimalFromCents(cents) as Intl.StringNumericLiteral;

/** An amount with the locale's separators and the currency once: "124,623,315.64 USD". */
export function money(cents: Cents | bigint): string {
  return `${amount(cents)} ${CURRENCY}`;
}

/** An amount without the currency, for a column whose header names it: "124,623,315.64". */
export function amount(cents: Cents | bigint): string {
  return current.amount.format(decimal(cents));
}

/** An amount in short units for chart axes: "12.3K", "1.2M". */
export function moneyShort(cents: Cents | bigint): string {
  return current.compact.format(decimal(cents));
}

/** A whole count with the locale's separators: "1,000,000". */
export function count(value: number | bigint): string {
  return current.count.format(value);
}

/** A balance: the amount, and for a negative one (the customer is in credit) a "credit" pill rather than an alarm colour. */
export function balance(cents: Cents | bigint): SafeHtml {
  return cents < 0 ? html`${money(cents)} ${pill('credit', 'info')}` : html`${money(cents)}`;
}

/** The calendar day of a moment in the business time zone, comparable as text ("2026-12-05"). */
function dayOf(ms: number): string {
  return current.calendarDay.format(ms);
}

/**
 * A moment as people say it: "just now", "5 min ago", "2 h ago" today;
 * "yesterday 14:05"; the weekday and time within the last week; the date
 * and time after that. The clock is the business time zone's.
 */
export function shownTime(ms: number, now = Date.now()): string {
  const ago = now - ms;
  if (ago >= 0 && ago < 60_000) return 'just now';
  if (ago >= 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  const today = dayOf(now);
  if (ago >= 0 && dayOf(ms) === today) return `${Math.floor(ago / 3_600_000)} h ago`;
  if (ago >= 0 && dayOf(ms) === dayOf(now - DAY_MS)) return `yesterday ${current.clock.format(ms)}`;
  if (ago >= 0 && ago < 7 * DAY_MS) return current.weekday.format(ms);
  return current.dateTime.format(ms);
}

/** A date alone: "Dec 5, 2026"; with `short`, without the year: "Dec 5". */
export function shownDate(ms: number, short = false): string {
  return (short ? current.dayMonth : current.date).format(ms);
}

/** A business date (YYYY-MM-DD: an invoice's date, a due date) as people read it: "Dec 5, 2026". */
export function businessDate(date: string): string {
  return current.businessDay.format(Date.parse(`${date}T00:00:00Z`));
}

/** A business date on a page: `<time>` with the date itself, shown short, the weekday and full date on hover. */
export function dateTag(date: string): SafeHtml {
  const at = Date.parse(`${date}T00:00:00Z`);
  return html`<time datetime="${date}" title="${current.businessDayLong.format(at)}">${current.businessDay.format(at)}</time>`;
}

/** The exact moment, for a title: "Saturday, December 5, 2026 at 1:32:27 PM UTC". */
export function exactTime(ms: number): string {
  return current.exact.format(ms);
}

/** A moment on a page: `<time>` with the machine-readable instant, shown as people say it, the exact moment on hover. */
export function timeTag(ms: number, now = Date.now()): SafeHtml {
  return html`<time datetime="${new Date(ms).toISOString()}" title="${exactTime(ms)}">${shownTime(ms, now)}</time>`;
}
