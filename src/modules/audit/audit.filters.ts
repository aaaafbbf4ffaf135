import { z } from 'zod';

/**
 * The audit log's filters as the page and the API take them: who (actor),
 * what (action), when (from, to) and where to continue (before, an event id).
 * Dates are UTC days: from 2026-11-29 starts at 00:00 UTC that day, and to
 * 2026-11-29 takes the whole day (up to 00:00 UTC the day after).
 */

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_API_MAX_LIMIT = 200;
const DAY_MS = 86_400_000;
const ACTOR_MAX = 80;
const ACTION_MAX = 64;

/** ms since the epoch at 00:00 UTC of a YYYY-MM-DD day (already validated). */
export function utcDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** ms since the epoch at 00:00 UTC of the day after: the exclusive end of that day. */
export function utcDayEnd(day: string): number {
  return utcDayStart(day) + DAY_MS;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An API bound: a date is a UTC day (to: the whole day), a date-time that instant. */
export function instantBound(value: string, end: 'from' | 'to'): number {
  if (DATE_ONLY.test(value)) return end === 'from' ? utcDayStart(value) : utcDayEnd(value);
  return Date.parse(value);
}

/** An empty field of a GET form means "no filter". */
const blankAsAbsent = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const text = (name: string, max: number) =>
  z.preprocess(
    blankAsAbsent,
    z
      .string({ error: `Give one ${name} to filter by.` })
      .trim()
      .max(max, { error: `The ${name} filter is at most ${max} characters long.` })
      .optional(),
  );

const EVENT_ID_RULE = 'The “before” position must be an event id (a positive whole number): start again from the newest events.';
const eventId = z.preprocess(
  blankAsAbsent,
  z.coerce
    .number({ error: EVENT_ID_RULE })
    .int({ error: EVENT_ID_RULE })
    .positive({ error: EVENT_ID_RULE })
    .max(Number.MAX_SAFE_INTEGER, { error: EVENT_ID_RULE })
    .optional(),
);

const day = (which: 'from' | 'to') =>
  z.preprocess(blankAsAbsent, z.iso.date({ error: `The “${which}” date must be a real date written year-month-day, like 2026-11-29.` }).optional());

/** The audit page's query: its GET form's fields and the "Older" link's `before`. */
export const auditPageQuery = z
  .object(
    { actor: text('actor', ACTOR_MAX), action: text('action', ACTION_MAX), from: day('from'), to: day('to'), before: eventId },
    { error: 'The filters could not be read.' },
  )
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    path: ['to'],
    error: 'The “to” date is before the “from” date.',
  });

const instant = (which: 'from' | 'to') =>
  z.preprocess(
    blankAsAbsent,
    z
      .union([z.iso.date(), z.iso.datetime({ offset: true })], {
        error: `${which} must be an ISO 8601 date (2026-11-29, a UTC day) or date-time with seconds and a zone (2026-11-29T09:30:00Z).`,
      })
      .optional(),
  );

const LIMIT_RULE = `limit must be a whole number from 1 to ${AUDIT_API_MAX_LIMIT}.`;

/** GET /api/v1/audit's query. */
export const auditApiQuery = z
  .object(
    {
      actor: text('actor', ACTOR_MAX),
      action: text('action', ACTION_MAX),
      from: instant('from'),
      to: instant('to'),
      before: eventId,
      limit: z.preprocess(
        blankAsAbsent,
        z.coerce.number({ error: LIMIT_RULE }).int({ error: LIMIT_RULE }).min(1, { error: LIMIT_RULE }).max(AUDIT_API_MAX_LIMIT, { error: LIMIT_RULE }).default(AUDIT_PAGE_SIZE),
      ),
    },
    { error: 'The query could not be read.' },
  )
  .refine((query) => query.from === undefined || query.to === undefined || instantBound(query.from, 'from') < instantBound(query.to, 'to'), {
    path: ['to'],
    error: 'to must be later than from.',
  });

/** The filters a link to the next page must keep, in a stable order; empty ones left out. */
export function filterParams(filters: Readonly<Record<string, string | number | undefined>>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== undefined && value !== '') params.set(name, String(value));
  return params;
}
