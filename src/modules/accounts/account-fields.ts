import { z } from 'zod';
import { multiLineText } from '../../platform/http/text-hygiene.js';
import { ACCTID_MAX_LENGTH, ACCTID_PROBLEMS, DEFAULT_TERMS_DAYS, MAX_TERMS_DAYS, normalizeAcctId } from './account.js';

/**
 * The fields staff edit, in one schema for the form and the API: the same
 * rules and the same messages wherever an account is written.
 */
export const NAME_MAX = 200;
export const EMAIL_MAX = 254;
export const PHONE_MAX = 40;
export const NOTES_MAX = 2000;

export const acctidField = z
  .string({ error: 'Please enter an account ID.' })
  .max(ACCTID_MAX_LENGTH + 20, `Account IDs are at most ${ACCTID_MAX_LENGTH} characters long.`)
  .transform((value, context) => {
    const check = normalizeAcctId(value);
    if (check.ok) return check.acctid;
    context.addIssue({ code: 'custom', message: ACCTID_PROBLEMS[check.reason] });
    return z.NEVER;
  });

const nameField = z
  .string({ error: 'Please enter a name.' })
  .trim()
  .min(1, 'Please enter a name.')
  .max(NAME_MAX, `The name can be at most ${NAME_MAX} characters.`);

/** Blank means "none": stored as null. */
const optional = <T extends z.ZodType<string | null>>(field: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? null : typeof value === 'string' ? value.trim() : value), field.nullable());

const emailField = optional(
  z
    .string({ error: 'The email address must be text.' })
    .max(EMAIL_MAX, `The email address can be at most ${EMAIL_MAX} characters.`)
    .pipe(z.email({ error: 'Please enter an email address like name@example.com.' })),
);

const phoneField = optional(
  z
    .string({ error: 'The phone number must be text.' })
    .max(PHONE_MAX, `The phone number can be at most ${PHONE_MAX} characters.`)
    .regex(/^\+?[0-9 ().-]{3,}$/, 'Please enter a phone number using digits, spaces, + ( ) - and dots.'),
);

const notesField = multiLineText(
  z
    .string({ error: 'The notes must be text.' })
    .max(NOTES_MAX, `The notes can be at most ${NOTES_MAX} characters.`)
    .transform((value) => value.trim()),
);

/**
 * Payment terms take two shapes: the API's is a JSON integer (the text "30"
 * is refused, as amount_cents refuses "1250"); a form's input and an import
 * file's cell are text, read by termsDaysText. One range and one meaning.
 */
export const TERMS_DAYS_API_RULE = `terms_days must be a whole number of days from 0 to ${MAX_TERMS_DAYS}, as a JSON integer (0 = due on receipt).`;
export const TERMS_DAYS_RULE = `Please enter the payment terms as a whole number of days from 0 to ${MAX_TERMS_DAYS}, such as ${DEFAULT_TERMS_DAYS} (0 means due on receipt).`;

const termsDaysField = z
  .number({ error: TERMS_DAYS_API_RULE })
  .int({ error: TERMS_DAYS_API_RULE })
  .min(0, { error: TERMS_DAYS_API_RULE })
  .max(MAX_TERMS_DAYS, { error: TERMS_DAYS_API_RULE })
  .describe(
    `Payment terms: an invoice (a charge) is due this many days after its effective_on unless it gives its own due_on; 0 = due on receipt. ${DEFAULT_TERMS_DAYS} when a new account leaves it out. A change applies to invoices recorded afterwards; recorded ones keep their due dates.`,
  );

/** Payment terms as typed (a form, an import file's cell): digits only, "30" → 30. */
export const termsDaysText = z
  .string({ error: TERMS_DAYS_RULE })
  .trim()
  .regex(/^[0-9]{1,3}$/, { error: TERMS_DAYS_RULE })
  .transform(Number)
  .refine((days) => days <= MAX_TERMS_DAYS, { error: TERMS_DAYS_RULE });

/** Whether the account is sent overdue reminders: a JSON boolean in the API. */
const remindersField = z
  .boolean({ error: 'reminders must be true or false (a JSON boolean).' })
  .describe('Whether overdue reminders are e-mailed to the account (the reminder policy decides when). true when a new account leaves it out.');

/** Reminders as a form sends them: "on" or "off". */
export const remindersText = z.enum(['on', 'off'], { error: 'Please choose whether this account is sent overdue reminders.' }).transform((value) => value === 'on');

/** What may change about an account after it is created. */
export const accountDetails = {
  name: nameField,
  email: emailField.optional(),
  phone: phoneField.optional(),
  notes: notesField.optional(),
  /** Left out: DEFAULT_TERMS_DAYS for a new account, unchanged for an existing one. */
  terms_days: termsDaysField.optional(),
  /** Left out: on for a new account, unchanged for an existing one. */
  reminders: remindersField.optional(),
};

export const newAccountFields = z.strictObject({ acctid: acctidField, ...accountDetails });
export const accountChanges = z.strictObject({
  name: nameField.optional(),
  email: emailField.optional(),
  phone: phoneField.optional(),
  notes: notesField.optional(),
  terms_days: termsDaysField.optional(),
  reminders: remindersField.optional(),
});

export type NewAccountInput = z.output<typeof newAccountFields>;
export type AccountChanges = z.output<typeof accountChanges>;

/** The first message for each field of a failed parse: what a form shows next to each input. */
export function fieldProblems(error: z.ZodError): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '');
     
    problems[field] ??= issue.message;
  }
  return problems;
}
