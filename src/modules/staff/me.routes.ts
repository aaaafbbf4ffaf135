import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { keyedLimit } from '../../platform/http/rate-limit.js';
import type { FlashMessage } from '../../platform/views/components.js';
import type { Database } from '../../schema.js';
import { recordAudit } from '../audit/index.js';
import { serviceProblem, showAgainWhenInvalid, typedText, type FormProblem } from '../../platform/views/form-problems.js';
import { MAX_TOKEN_DAYS, ME_DONE, ME_PATH, ME_TITLE, meBody, type MeView } from './me.views.js';
import { actorOf, principalOf } from './principal.js';
import { createSession, SESSION_COOKIE, sessionCookieOptions, type SessionPolicy } from './sessions.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { createToken, listTokens, revokeToken, TOKEN_LABEL_MAX, type TokenPolicy } from './tokens.js';
import { isCurrentPassword, setPassword } from './users.js';

const DAY_MS = 86_400_000;
/** Longer than any password the policy accepts, short enough to bound the work. */
const PASSWORD_FIELD_MAX = 1024;

const passwordForm = z
  .object(
    {
      current_password: z
        .string({ error: 'Please enter your current password.' })
        .min(1, { error: 'Please enter your current password.' })
        .max(PASSWORD_FIELD_MAX, { error: 'That password is too long.' }),
      new_password: z
        .string({ error: 'Please enter a new password.' })
        .min(1, { error: 'Please enter a new password.' })
        .max(PASSWORD_FIELD_MAX, { error: 'The new password is too long.' }),
      confirm_password: z.string({ error: 'Please type the new password again.' }).max(PASSWORD_FIELD_MAX, { error: 'The new password is too long.' }),
      csrf_token: z.string().optional(),
    },
    { error: 'Please fill in the password form.' },
  )
  .refine((form) => form.new_password === form.confirm_password, {
    path: ['confirm_password'],
    error: 'The two new passwords are not the same: type the same new password twice.',
  });

const EXPIRY_RULE = `The expiry must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}, or empty for a token that does not expire.`;

const tokenForm = z.object(
  {
    label: z
      .string({ error: 'Please give the token a label.' })
      .trim()
      .min(1, { error: 'Please give the token a label, such as the name of the script that will use it.' })
      .max(TOKEN_LABEL_MAX, { error: `The label must be at most ${TOKEN_LABEL_MAX} characters.` }),
    expires_in_days: z
      .string({ error: EXPIRY_RULE })
      .trim()
      .regex(/^\d{0,3}$/, { error: EXPIRY_RULE })
      .transform((days) => (days === '' ? null : Number(days)))
      .refine((days) => days === null || (days >= 1 && days <= MAX_TOKEN_DAYS), { error: EXPIRY_RULE })
      .optional(),
    csrf_token: z.string().optional(),
  },
  { error: 'Please fill in the token form.' },
);

const TOKEN_ID_RULE = 'There is no such token: a token id is a positive whole number.';
const tokenParams = z.object({
  id: z.coerce
    .number({ error: TOKEN_ID_RULE })
    .int({ error: TOKEN_ID_RULE })
    .positive({ error: TOKEN_ID_RULE })
    .max(Number.MAX_SAFE_INTEGER, { error: TOKEN_ID_RULE }),
});

const meQuery = z.object({ done: z.string({ error: 'This page takes no such query.' }).optional() });

function doneFlash(done: string | undefined): FlashMessage[] {
  return done !== undefined && Object.hasOwn(ME_DONE, done) ? [{ kind: 'success', text: ME_DONE[done as keyof typeof ME_DONE] }] : [];
}

export interface MeRoutesOptions {
  readonly db: Kysely<Database>;
  /** The fresh session after a password change gets the same limits as one from sign-in. */
  readonly session: SessionPolicy;
  /** Current-password checks per minute per user (each is an argon2 verification); 0 = no limit. */
  readonly passwordChecksPerMinute: number;
  /** How many live API tokens a user may hold. */
  readonly tokens: TokenPolicy;
}

type MeExtras = Omit<MeView, 'username' | 'role' | 'tokens' | 'csrfToken' | 'now'> & { readonly flash?: readonly FlashMessage[] };


/** The staff navigation's link to these pages. */
export const ME_NAV: NavEntry = { href: ME_PATH, label: 'My account', access: 'self' };

/**
 * "My account" (any signed-in user): who they are, changing their own
 * password (which rotates this browser's session and ends the others), and
 * their API tokens: create (shown once), list, revoke.
 */
export const meRoutes: FastifyPluginAsyncZod<MeRoutesOptions> = async (app, { db, session, passwordChecksPerMinute, tokens }) => {
  async function showMe(request: FastifyRequest, reply: FastifyReply, status: number, { flash = [], ...extras }: MeExtras = {}) {
    const { userId, username, role } = principalOf(request);
    const tokens = await listTokens(db, userId);
    const body = meBody({ username, role, tokens, csrfToken: reply.formToken(), now: Date.now(), ...extras });
    return reply.code(status).type(HTML).send(staffPage(request, reply, { title: ME_TITLE, body, flash, current: ME_PATH }));
  }

  const limitPasswordChecks = keyedLimit(app, {
    perMinute: passwordChecksPerMinute,
    key: (request) => `password-check:${principalOf(request).userId}`,
    whose: 'to change your password',
  });

  app.get(ME_PATH, { config: { access: 'self' }, schema: { querystring: meQuery } }, async (request, reply) =>
    showMe(request, reply, 200, { flash: doneFlash(request.query.done) }),
  );

  app.post(
    `${ME_PATH}/password`,
    {
      config: { access: 'self' },
      schema: { body: passwordForm },
      ...(limitPasswordChecks ? { preHandler: limitPasswordChecks } : {}),
      errorHandler: showAgainWhenInvalid('body', (request, reply, problems) => showMe(request, reply, 400, { passwordProblems: problems })),
    },
    async (request, reply) => {
      const { userId, username } = principalOf(request);
      const actor = actorOf(request);
      const { current_password: current, new_password: chosen } = request.body;
      if (!(await isCurrentPassword(db, userId, current))) {
        await recordAudit(db, actor, { action: 'user.password_change_refused', target: username, after: { reason: 'wrong current password' } });
        const problem: FormProblem = { field: 'current_password', message: 'Your current password is not right. Type the password you signed in with.' };
        return showMe(request, reply, 400, { passwordProblems: [problem] });
      }
      try {
        // Ends every session of the user, this one included (and writes the audit row).
        await setPassword(db, actor, userId, chosen);
      } catch (error) {
        const problem = serviceProblem(error, { WEAK_PASSWORD: 'new_password' });
        if (!problem) throw error;
        return showMe(request, reply, problem.status, { passwordProblems: [problem] });
      }
      // A fresh session for this browser: a copy of the old cookie is worth nothing now.
      const fresh = await createSession(db, userId, request.ip, session);
      reply.setCookie(SESSION_COOKIE, fresh.id, sessionCookieOptions(session.maxAgeMs));
      return reply.redirect(`${ME_PATH}?done=password`, 303);
    },
  );

  app.post(
    `${ME_PATH}/tokens`,
    {
      config: { access: 'self' },
      schema: { body: tokenForm },
      errorHandler: showAgainWhenInvalid('body', (request, reply, problems) =>
        showMe(request, reply, 400, {
          tokenProblems: problems,
          tokenForm: { label: typedText(request.body, 'label', TOKEN_LABEL_MAX), expiresInDays: typedText(request.body, 'expires_in_days', 10) },
        }),
      ),
    },
    async (request, reply) => {
      const { userId, username } = principalOf(request);
      const { label, expires_in_days: days } = request.body;
      const expiresAt = days === null || days === undefined ? null : Date.now() + days * DAY_MS;
      let created: Awaited<ReturnType<typeof createToken>>;
      try {
        created = await createToken(db, actorOf(request), { userId, username, label, expiresAt }, tokens);
      } catch (error) {
        const problem = serviceProblem(error, { BAD_TOKEN_LABEL: 'label', BAD_TOKEN_EXPIRY: 'expires_in_days', TOO_MANY_TOKENS: null });
        if (!problem) throw error;
        return showMe(request, reply, problem.status, { tokenProblems: [problem], tokenForm: { label, expiresInDays: days == null ? '' : String(days) } });
      }
      // 200, not a redirect: the token must never be in a URL or the history; the scope marks the page no-store.
      return showMe(request, reply, 200, { newToken: created });
    },
  );

  app.post(`${ME_PATH}/tokens/:id/revoke`, { config: { access: 'self' }, schema: { params: tokenParams } }, async (request, reply) => {
    // Only the caller's own tokens: another user's id is a 404, the same as one that does not exist.
    await revokeToken(db, actorOf(request), request.params.id, principalOf(request).userId);
    return reply.redirect(`${ME_PATH}?done=token_revoked`, 303);
  });
};
