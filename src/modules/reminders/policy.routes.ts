import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { multiLineText } from '../../platform/http/text-hygiene.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { typedText } from '../../platform/views/form-problems.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import type { Database } from '../../schema.js';
import { actorOf } from '../staff/index.js';
import { BODY_MAX, levelInput, MAX_LEVELS, policyProblems, readPolicy, savePolicy, SUBJECT_MAX, type ReminderLevel } from './policy.js';
import { fieldName, policyBody, REMINDERS_PATH, REMINDERS_TITLE, type LevelFormValues } from './policy.views.js';

const ACCESS = { access: 'reminders:manage' } as const;

/** The staff navigation's link to the policy. */
export const REMINDERS_NAV: NavEntry = { href: REMINDERS_PATH, label: 'Reminders', access: 'reminders:manage', admin: true };

const doneQuery = z.object({ done: z.enum(['saved'], { error: 'This page takes no such query.' }).optional() });
// Fields level_0_days … level_5_body as text (the texts may hold line breaks); read and checked one level at a time below.
const policyForm = z.object({
  csrf_token: z.string().optional(),
  ...Object.fromEntries(
    Array.from({ length: MAX_LEVELS }, (_, index) => [
      [fieldName(index, 'days'), z.string().optional()],
      [fieldName(index, 'subject'), z.string().optional()],
      [fieldName(index, 'body'), multiLineText(z.string()).optional()],
    ]).flat(),
  ),
});

/** The levels as typed, and what is wrong with them (field by field), or the levels to save. */
function readForm(body: Record<string, unknown>): { typed: LevelFormValues[]; problems: FormProblem[]; levels: ReminderLevel[] } {
  const typed: LevelFormValues[] = [];
  const problems: FormProblem[] = [];
  const levels: ReminderLevel[] = [];
  const indexes: number[] = [];
  for (let index = 0; index < MAX_LEVELS; index += 1) {
    const level = { days: typedText(body, fieldName(index, 'days'), 20), subject: typedText(body, fieldName(index, 'subject'), SUBJECT_MAX + 100), body: typedText(body, fieldName(index, 'body'), BODY_MAX + 200) };
    if (level.days.trim() === '' && level.subject.trim() === '' && level.body.trim() === '') continue;
    typed.push(level);
    // Shown again in the order typed, empty groups left out: problems are named by where the level is shown.
    const shownAt = typed.length - 1;
    const checked = levelInput.safeParse(level);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const name = fieldName(shownAt, String(issue.path[0]) as keyof LevelFormValues);
        if (!problems.some((problem) => problem.field === name)) problems.push({ field: name, message: `Level ${shownAt + 1}: ${issue.message}` });
      }
      continue;
    }
    levels.push({ daysLate: checked.data.days, subject: checked.data.subject, body: checked.data.body });
    indexes.push(typed.length - 1);
  }
  if (typed.length === 0) problems.push({ field: fieldName(0, 'days'), message: 'Keep at least one level: without one, no reminder is ever sent (turn reminders off per account instead).' });
  for (const { index, field, message } of policyProblems(levels)) problems.push({ field: fieldName(indexes[index] ?? 0, field), message: `Level ${(indexes[index] ?? 0) + 1}: ${message}` });
  return { typed, problems, levels };
}

/**
 * The reminder policy at /admin/reminders (reminders:manage, admins): the
 * levels, each with its days past due, subject and text, stored in the
 * database and audited when changed. A refused form shows the page again
 * with each message beside its field and every value as typed.
 */
export const reminderPolicyRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly mailConfigured: boolean }> = async (app, { db, mailConfigured }) => {
  const show = (request: FastifyRequest, reply: FastifyReply, status: number, levels: readonly LevelFormValues[], problems: readonly FormProblem[] = [], done = false) =>
    reply
      .code(status)
      .type(HTML)
      .send(
        staffPage(request, reply, {
          title: REMINDERS_TITLE,
          body: policyBody({ levels, csrfToken: reply.formToken(), problems, mailConfigured }),
          flash: done ? [{ kind: 'success', text: 'The reminder policy was saved. It applies from the next run.' }] : [],
          current: REMINDERS_PATH,
        }),
      );
  const stored = async () => (await readPolicy(db)).map((level) => ({ days: String(level.daysLate), subject: level.subject, body: level.body }));

  app.get(REMINDERS_PATH, { config: ACCESS, schema: { querystring: doneQuery } }, async (request, reply) => show(request, reply, 200, await stored(), [], request.query.done === 'saved'));

  app.post(REMINDERS_PATH, { config: ACCESS, schema: { body: policyForm } }, async (request, reply) => {
    const { typed, problems, levels } = readForm(request.body);
    if (problems.length > 0) return show(request, reply, 400, typed, problems);
    await db.transaction().execute((trx) => savePolicy(trx, actorOf(request), levels));
    return reply.redirect(`${REMINDERS_PATH}?done=saved`, 303);
  });
};
