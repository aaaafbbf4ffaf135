import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';

/**
 * The reminder policy: levels of days past due, each with the subject and
 * text of its message. An invoice reaches a level on the day it is that many
 * days past due; an account is sent one message for the highest level any of
 * its invoices has reached and not yet been reminded of.
 */
export interface ReminderLevel {
  /** Days past due at which an invoice reaches this level (1 or more). */
  readonly daysLate: number;
  readonly subject: string;
  /** Plain text; paragraphs separated by a blank line. */
  readonly body: string;
}

export const MAX_LEVELS = 6;
export const MAX_DAYS_LATE = 3650;
export const SUBJECT_MAX = 200;
export const BODY_MAX = 4000;

/** What a subject or text may name, each filled in per account. */
export const PLACEHOLDERS = {
  customer: "the account's name",
  acctid: 'the account ID',
  total_overdue: 'the total overdue, e.g. 1,234.50 USD',
  invoice_count: 'how many invoices are overdue',
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

const PLACEHOLDER_LIST = Object.keys(PLACEHOLDERS)
  .map((name) => `{${name}}`)
  .join(', ');

/** Each {name} in `text`, in order. */
function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{([^{}\s]{0,40})\}/g)].map((match) => match[1] ?? '');
}

/** `text` with each known {placeholder} replaced; unknown ones cannot be saved (see levelProblems). */
export function fillPlaceholders(text: string, values: Readonly<Record<Placeholder, string>>): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as Placeholder] : whole));
}

const daysText = z
  .string()
  .trim()
  .regex(/^[0-9]{1,4}$/, { error: `Please enter the days past due as a whole number from 1 to ${MAX_DAYS_LATE}, such as 7.` })
  .transform(Number)
  .refine((days) => days >= 1 && days <= MAX_DAYS_LATE, { error: `Please enter the days past due as a whole number from 1 to ${MAX_DAYS_LATE}, such as 7.` });

function textRule(label: 'subject' | 'text', max: number, multiLine: boolean) {
  return z
    .string()
    .transform((value) => value.replace(/\r\n?/g, '\n').trim())
    .pipe(
      z
        .string()
        .min(1, { error: `Please enter the ${label} of the message.` })
        .max(max, { error: `The ${label} can be at most ${max} characters.` })
        .refine((value) => multiLine || !value.includes('\n'), { error: `The ${label} must be one line.` })
        .superRefine((value, context) => {
          const unknown = placeholdersIn(value).filter((name) => !Object.hasOwn(PLACEHOLDERS, name));
          if (unknown.length > 0) context.addIssue({ code: 'custom', message: `The ${label} names ${unknown.map((name) => `{${name}}`).join(', ')}, which is not filled in: use ${PLACEHOLDER_LIST}.` });
        }),
    );
}

/** One level as typed on the admin page (days as text). */
export const levelInput = z.object({ days: daysText, subject: textRule('subject', SUBJECT_MAX, false), body: textRule('text', BODY_MAX, true) });

/** Problems with the policy as a whole, by the level index they concern. */
export function policyProblems(levels: readonly ReminderLevel[]): { index: number; field: 'days'; message: string }[] {
  const problems: { index: number; field: 'days'; message: string }[] = [];
  const seen = new Map<number, number>();
  levels.forEach((level, index) => {
    const first = seen.get(level.daysLate);
    if (first === undefined) seen.set(level.daysLate, index);
    else problems.push({ index, field: 'days', message: `Level ${first + 1} is already at ${level.daysLate} days: each level needs its own number of days.` });
  });
  return problems;
}

/** The levels, fewest days first. */
export async function readPolicy(db: Queryable): Promise<ReminderLevel[]> {
  const rows = await db.selectFrom('reminder_level').select(['days_late', 'subject', 'body']).orderBy('days_late').execute();
  return rows.map((row) => ({ daysLate: Number(row.days_late), subject: row.subject, body: row.body }));
}

/** Replaces the policy with `levels` (already checked), audited with what it was. */
export async function savePolicy(trx: Transaction<Database>, actor: Actor, levels: readonly ReminderLevel[], at = Date.now()): Promise<void> {
  if (levels.length === 0 || levels.length > MAX_LEVELS) throw new Error(`a policy has 1 to ${MAX_LEVELS} levels`);
  const before = await readPolicy(trx);
  const sorted = [...levels].sort((a, b) => a.daysLate - b.daysLate);
  await trx.deleteFrom('reminder_level').execute();
  await trx
    .insertInto('reminder_level')
    .values(sorted.map((level) => ({ days_late: level.daysLate, subject: level.subject, body: level.body, updated_at: at })))
    .execute();
  await recordAudit(trx, actor, { action: 'reminders.policy.updated', target: 'reminder policy', before: { levels: before }, after: { levels: sorted } }, at);
}
