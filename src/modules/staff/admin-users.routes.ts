import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { FlashMessage } from '../../platform/views/components.js';
import type { Database } from '../../schema.js';
import {
  ADMIN_USERS_DONE,
  ADMIN_USERS_PATH,
  ADMIN_USERS_TITLE,
  adminUsersBody,
  type AdminUsersView,
  type RowProblem,
} from './admin-users.views.js';
import { serviceProblem, showAgainWhenInvalid, typedText, type FormProblem } from '../../platform/views/form-problems.js';
import { actorOf, principalOf } from './principal.js';
import { ROLES } from './roles.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { changeRole, createUser, listUsers, setDisabled, setPassword } from './users.js';

const ACCESS = { access: 'users:manage' } as const;
/** Longer than any password the policy accepts, short enough to bound the work. */
const PASSWORD_FIELD_MAX = 1024;
const ROLE_RULE = `Please choose a role: ${ROLES.join(', ')}.`;

const role = z.enum(ROLES, { error: ROLE_RULE });
const password = (missing: string) =>
  z.string({ error: missing }).min(1, { error: missing }).max(PASSWORD_FIELD_MAX, { error: 'That password is too long.' });

const createForm = z.object(
  {
    username: z.string({ error: 'Please enter a user name.' }).trim().min(1, { error: 'Please enter a user name.' }).max(64, { error: 'A user name has at most 64 characters.' }),
    role,
    password: password('Please enter an initial password.'),
    csrf_token: z.string().optional(),
  },
  { error: 'Please fill in the form to create a user.' },
);
const roleForm = z.object({ role, csrf_token: z.string().optional() }, { error: 'Please choose a role.' });
const passwordForm = z.object({ password: password('Please enter the new password.'), csrf_token: z.string().optional() }, { error: 'Please enter the new password.' });

const USER_ID_RULE = 'There is no such user: a user id is a positive whole number.';
const userParams = z.object({
  id: z.coerce
    .number({ error: USER_ID_RULE })
    .int({ error: USER_ID_RULE })
    .positive({ error: USER_ID_RULE })
    .max(Number.MAX_SAFE_INTEGER, { error: USER_ID_RULE }),
});

const doneQuery = z.object({ done: z.string({ error: 'This page takes no such query.' }).optional() });

function doneFlash(done: string | undefined): FlashMessage[] {
  return done !== undefined && Object.hasOwn(ADMIN_USERS_DONE, done) ? [{ kind: 'success', text: ADMIN_USERS_DONE[done as keyof typeof ADMIN_USERS_DONE] }] : [];
}

/** Which field of the create form each service refusal concerns. */
const CREATE_REFUSALS = { BAD_USERNAME: 'username', USERNAME_TAKEN: 'username', UNKNOWN_ROLE: 'role', WEAK_PASSWORD: 'password' } as const;

type PageExtras = Pick<AdminUsersView, 'createProblems' | 'createForm' | 'rowProblem'> & { readonly flash?: readonly FlashMessage[] };


/** The staff navigation's link to these pages. */
export const ADMIN_USERS_NAV: NavEntry = { href: ADMIN_USERS_PATH, label: 'Users', access: 'users:manage', admin: true };

/**
 * User administration (users:manage): list, create, change role, disable,
 * enable, reset password. Every change goes through users.ts, which writes
 * its audit row in the same transaction and ends the user's sessions where
 * the change calls for it. A refusal shows this page again with the message.
 */
export const adminUserRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database> }> = async (app, { db }) => {
  async function showUsers(request: FastifyRequest, reply: FastifyReply, status: number, { flash = [], ...extras }: PageExtras = {}) {
    const users = await listUsers(db);
    const body = adminUsersBody({ users, csrfToken: reply.formToken(), selfId: principalOf(request).userId, ...extras });
    return reply.code(status).type(HTML).send(staffPage(request, reply, { title: ADMIN_USERS_TITLE, body, flash, current: ADMIN_USERS_PATH }));
  }

  /** A row action's refusal (LAST_ADMIN, a weak password) shown on that row; anything else goes to the scope. */
  async function showRowRefusal(request: FastifyRequest, reply: FastifyReply, error: unknown, row: Omit<RowProblem, 'message'>, codes: readonly string[]) {
    const problem = serviceProblem(error, Object.fromEntries(codes.map((code) => [code, null])));
    if (!problem) throw error;
    return showUsers(request, reply, problem.status, { rowProblem: { ...row, message: problem.message } });
  }

  /** A row form that fails its schema: the page again, the message on that row (the id passed its schema first). */
  const showAgainOnRow = (control: 'role' | 'password') =>
    showAgainWhenInvalid('body', (request, reply, problems) => {
      const userId = Number((request.params as { id?: unknown }).id);
      const message = problems.map((problem) => problem.message).join(' ');
      return showUsers(request, reply, 400, { rowProblem: { userId, control, message } });
    });

  const done = (reply: FastifyReply, key: keyof typeof ADMIN_USERS_DONE) => reply.redirect(`${ADMIN_USERS_PATH}?done=${key}`, 303);

  app.get(ADMIN_USERS_PATH, { config: ACCESS, schema: { querystring: doneQuery } }, async (request, reply) =>
    showUsers(request, reply, 200, { flash: doneFlash(request.query.done) }),
  );

  app.post(
    ADMIN_USERS_PATH,
    {
      config: ACCESS,
      schema: { body: createForm },
      errorHandler: showAgainWhenInvalid('body', (request, reply, problems) =>
        showUsers(request, reply, 400, { createProblems: problems, createForm: { username: typedText(request.body, 'username', 64), role: typedText(request.body, 'role', 16) } }),
      ),
    },
    async (request, reply) => {
      const { username, role: chosenRole, password: initial } = request.body;
      try {
        await createUser(db, actorOf(request), { username, role: chosenRole, password: initial });
      } catch (error) {
        const problem = serviceProblem(error, CREATE_REFUSALS);
        if (!problem) throw error;
        const problems: FormProblem[] = [problem];
        return showUsers(request, reply, problem.status, { createProblems: problems, createForm: { username, role: chosenRole } });
      }
      return done(reply, 'created');
    },
  );

  app.post(
    `${ADMIN_USERS_PATH}/:id/role`,
    {
      config: ACCESS,
      schema: { params: userParams, body: roleForm },
      errorHandler: showAgainOnRow('role'),
    },
    async (request, reply) => {
      const { id } = request.params;
      try {
        await changeRole(db, actorOf(request), id, request.body.role);
      } catch (error) {
        return showRowRefusal(request, reply, error, { userId: id, control: 'role', role: request.body.role }, ['LAST_ADMIN']);
      }
      return done(reply, 'role');
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`${ADMIN_USERS_PATH}/:id/${action}`, { config: ACCESS, schema: { params: userParams } }, async (request, reply) => {
      const { id } = request.params;
      try {
        await setDisabled(db, actorOf(request), id, disabled);
      } catch (error) {
        return showRowRefusal(request, reply, error, { userId: id, control: action }, ['LAST_ADMIN']);
      }
      return done(reply, disabled ? 'disabled' : 'enabled');
    });
  }

  app.post(
    `${ADMIN_USERS_PATH}/:id/password`,
    {
      config: ACCESS,
      schema: { params: userParams, body: passwordForm },
      errorHandler: showAgainOnRow('password'),
    },
    async (request, reply) => {
      const { id } = request.params;
      try {
        await setPassword(db, actorOf(request), id, request.body.password);
      } catch (error) {
        return showRowRefusal(request, reply, error, { userId: id, control: 'password' }, ['WEAK_PASSWORD']);
      }
      return done(reply, 'password');
    },
  );
};
