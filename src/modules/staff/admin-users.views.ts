import { errorSummary, field, form, pill, scrollRegion, select, table, type FieldError, type SelectChoice } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { ME_PATH } from './me.views.js';
import { PASSWORD_MIN_LENGTH } from './password.js';
import { isRole, ROLES } from './roles.js';
import { USERNAME_RULE, type StaffUser } from './users.js';
import { shownTime, timeTag } from '../../platform/views/format.js';

export const ADMIN_USERS_PATH = '/admin/users';
export const ADMIN_USERS_TITLE = 'Users';

/** `?done=` keys and the fixed message each shows; nothing from the query is ever shown. */
export const ADMIN_USERS_DONE = {
  created: 'The user was created. They can sign in now with the initial password you gave them.',
  role: 'The role was changed. That user has been signed out everywhere; the new role applies from their next sign-in.',
  disabled: 'The user was disabled: they were signed out everywhere and their API tokens stopped working.',
  enabled: 'The user was enabled and can sign in again.',
  password: 'The password was reset. That user has been signed out everywhere.',
} as const;

const ROLE_CHOICES: readonly SelectChoice[] = ROLES.map((role) => ({ value: role, label: role }));

/** What the create form had when it was refused (never the password). */
export interface CreateFormView {
  readonly username: string;
  readonly role: string;
}

/** A refused action on one user's row: which control it concerns and why. */
export interface RowProblem {
  readonly userId: number;
  readonly control: 'role' | 'disable' | 'enable' | 'password';
  readonly message: string;
  /** The role that was asked for, shown selected again. */
  readonly role?: string;
}

export interface AdminUsersView {
  readonly users: readonly StaffUser[];
  readonly csrfToken: string;
  /** The signed-in admin: their own row links to My account for their password. */
  readonly selfId: number;
  readonly createProblems?: readonly FormProblem[];
  readonly createForm?: CreateFormView;
  readonly rowProblem?: RowProblem;
}

const CREATE_IDS: Readonly<Record<string, string>> = { username: 'new_username', role: 'new_role', password: 'new_password' };
const controlId = (control: RowProblem['control'], userId: number) => `${control}-${userId}`;

export function userStatus(user: StaffUser): string {
  if (user.disabled) return 'disabled';
  if (user.lockedUntil !== null) return `locked until ${shownTime(user.lockedUntil)}`;
  return 'active';
}

function createSection({ csrfToken, createProblems: problems = [], createForm: typed = { username: '', role: 'viewer' } }: AdminUsersView): SafeHtml {
  const messageFor = (name: string) => problems.find((problem) => problem.field === name)?.message;
  return html`<section aria-labelledby="create-heading">
<h2 id="create-heading">Create a user</h2>
${form({
  action: ADMIN_USERS_PATH,
  csrfToken,
  fields: [
    field({ name: 'username', id: CREATE_IDS.username, label: 'User name', value: typed.username, required: true, maxLength: 64, autocomplete: 'off', hint: `${USERNAME_RULE}.`, error: messageFor('username') }),
    // An unknown role typed in a forged form shows the least one, never the browser's first (admin).
    select({ name: 'role', id: CREATE_IDS.role, label: 'Role', choices: ROLE_CHOICES, value: isRole(typed.role) ? typed.role : 'viewer', required: true, error: messageFor('role') }),
    field({
      name: 'password',
      id: CREATE_IDS.password,
      label: 'Initial password',
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      maxLength: 256,
      hint: `At least ${PASSWORD_MIN_LENGTH} characters, without the user name; not a common password. Give it to them in person; they can change it on ${ME_PATH}.`,
      error: messageFor('password'),
    }),
  ],
  submitLabel: 'Create user',
})}
</section>`;
}

/** The forms on one user's row, each labelled with the user's name for screen readers. */
function actions(user: StaffUser, { csrfToken, selfId, rowProblem }: AdminUsersView): SafeHtml {
  const problem = rowProblem?.userId === user.id ? rowProblem : undefined;
  const errorOn = (control: RowProblem['control']) => (problem?.control === control ? problem.message : undefined);
  const forWhom = html`<span class="visually-hidden"> for ${user.username}</span>`;
  const base = `${ADMIN_USERS_PATH}/${user.id}`;
  const roleForm = form({
    action: `${base}/role`,
    csrfToken,
    fields: select({
      name: 'role',
      id: controlId('role', user.id),
      label: html`Role${forWhom}`,
      choices: ROLE_CHOICES,
      value: problem?.control === 'role' && problem.role ? problem.role : user.role,
      error: errorOn('role'),
    }),
    submitLabel: html`Change role${forWhom}`,
  });
  const toggle = user.disabled ? 'enable' : 'disable';
  const toggleError = errorOn(toggle);
  // The summary links to the message itself, just above the button it concerns.
  const toggleForm = html`${toggleError === undefined ? '' : html`<p class="field-error" id="${controlId(toggle, user.id)}">${toggleError}</p>\n`}${form({
    action: `${base}/${toggle}`,
    csrfToken,
    fields: [],
    submitLabel: html`${user.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${user.username}</span>`,
  })}`;
  const passwordForm =
    user.id === selfId
      ? html`<p>Your own password: <a href="${ME_PATH}">My account</a></p>`
      : form({
          action: `${base}/password`,
          csrfToken,
          fields: field({
            name: 'password',
            id: controlId('password', user.id),
            label: html`New password${forWhom}`,
            type: 'password',
            autocomplete: 'new-password',
            required: true,
            maxLength: 256,
            error: errorOn('password'),
          }),
          submitLabel: html`Reset password${forWhom}`,
        });
  return html`<div class="row-actions">
${roleForm}
${toggleForm}
${passwordForm}
</div>`;
}

function rowProblemSummary(problem: RowProblem | undefined, users: readonly StaffUser[]): FieldError[] {
  if (!problem) return [];
  const user = users.find((candidate) => candidate.id === problem.userId);
  return [{ field: controlId(problem.control, problem.userId), message: user ? html`${user.username}: ${problem.message}` : problem.message }];
}

/** The user administration page: create a user, then every user with their role, status and actions. */
export function adminUsersBody(view: AdminUsersView): SafeHtml {
  const createErrors: FieldError[] = (view.createProblems ?? []).map(({ field: name, message }) => {
    const id = name === undefined ? undefined : CREATE_IDS[name];
    return id === undefined ? { message } : { field: id, message };
  });
  const users = table({
    caption: 'Staff users',
    stacked: true,
    empty: 'There are no staff users yet.',
    rows: view.users,
    columns: [
      { header: 'User name', rowHeader: true, cell: (user) => user.username },
      { header: 'Role', cell: (user) => user.role },
      { header: 'Status', cell: (user) => pill(userStatus(user), user.disabled ? 'neutral' : user.lockedUntil !== null ? 'warning' : 'success') },
      { header: 'Created', cell: (user) => timeTag(user.createdAt) },
      { header: 'Actions', cell: (user) => actions(user, view) },
    ],
  });
  return html`<h1>${ADMIN_USERS_TITLE}</h1>
${errorSummary([...createErrors, ...rowProblemSummary(view.rowProblem, view.users)])}
${createSection(view)}
<section class="wide" aria-labelledby="users-heading">
<h2 id="users-heading">All users</h2>
<p>Changing a role, disabling a user or resetting their password signs them out everywhere. The last active admin can be neither disabled nor demoted.</p>
${scrollRegion('users-heading', users)}
</section>`;
}
