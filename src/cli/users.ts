/** `crm users …`: add, list, disable, enable, reset-password. */
import { Option, type Command } from 'commander';
import type { Kysely } from 'kysely';
import { CLI_ACTOR } from '../modules/audit/index.js';
import { createUser, findUserByName, listUsers, normalizeUsername, ROLES, setDisabled, setPassword, type StaffUser, usernameProblem, UserNotFoundError } from '../modules/staff/index.js';
import type { Database } from '../schema.js';
import { CliFailure, formatTable, formatTime, print, withDatabase } from './context.js';
import { checkPasswordSource, PASSWORD_STDIN_HELP, readNewPassword, type PasswordSource } from './password-input.js';

async function requireUser(db: Kysely<Database>, name: string): Promise<StaffUser> {
  const user = await findUserByName(db, name);
  if (!user) throw new UserNotFoundError(`named "${normalizeUsername(name)}" (crm users list shows them all)`);
  return user;
}

function status(user: StaffUser): string {
  if (user.disabled) return 'disabled';
  return user.lockedUntil === null ? 'active' : `locked until ${formatTime(user.lockedUntil)}`;
}

export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('staff users: who may sign in, with which role');

  users
    .command('add')
    .description('add a staff user; the password is asked for twice on a terminal, or read with --password-stdin')
    .argument('<name>', 'user name: 3 to 64 letters, digits, dots, dashes or underscores')
    .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', PASSWORD_STDIN_HELP)
    .action(async (name: string, options: PasswordSource & { role: string }, command: Command) => {
      const username = normalizeUsername(name);
      const badName = usernameProblem(username);
      if (badName) throw new CliFailure(badName);
      checkPasswordSource(command, options);
      await withDatabase(async ({ db }) => {
        // Before asking for a password that would be thrown away.
        if (await findUserByName(db, username)) throw new CliFailure(`The user name "${username}" is already taken.`);
        const password = await readNewPassword(username, options);
        const user = await createUser(db, CLI_ACTOR, { username, role: options.role, password });
        print(`Added ${user.role} ${user.username}.`);
      });
    });

  users
    .command('list')
    .description('every staff user: name, role, status and when they were added')
    .option('--json', 'one JSON array instead of a table')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const all = await listUsers(db);
        if (options.json) {
          const rows = all.map((user) => ({
            username: user.username,
            role: user.role,
            status: user.disabled ? 'disabled' : user.lockedUntil === null ? 'active' : 'locked',
            disabled: user.disabled,
            lockedUntil: user.lockedUntil === null ? null : new Date(user.lockedUntil).toISOString(),
            createdAt: new Date(user.createdAt).toISOString(),
          }));
          print(JSON.stringify(rows, null, 2));
          return;
        }
        if (all.length === 0) {
          print('No staff users yet. Add the first admin with: crm users add NAME --role admin');
          return;
        }
        print(formatTable(['NAME', 'ROLE', 'STATUS', 'CREATED'], all.map((user) => [user.username, user.role, status(user), formatTime(user.createdAt)])));
      });
    });

  users
    .command('disable')
    .description('stop a user from signing in: ends their sessions; their API tokens stop working')
    .argument('<name>', 'user name')
    .action(async (name: string) => {
      await withDatabase(async ({ db }) => {
        const user = await requireUser(db, name);
        if (user.disabled) return print(`${user.username} is already disabled.`);
        await setDisabled(db, CLI_ACTOR, user.id, true);
        print(`Disabled ${user.username}: their sessions have ended and their API tokens no longer work.`);
      });
    });

  users
    .command('enable')
    .description('let a disabled user sign in again (and clear a lockout)')
    .argument('<name>', 'user name')
    .action(async (name: string) => {
      await withDatabase(async ({ db }) => {
        const user = await requireUser(db, name);
        if (!user.disabled) return print(`${user.username} is already enabled.`);
        await setDisabled(db, CLI_ACTOR, user.id, false);
        print(`Enabled ${user.username}.`);
      });
    });

  users
    .command('reset-password')
    .description('set a new password: clears a lockout and ends the user’s sessions')
    .argument('<name>', 'user name')
    .option('--password-stdin', PASSWORD_STDIN_HELP)
    .action(async (name: string, options: PasswordSource, command: Command) => {
      checkPasswordSource(command, options);
      await withDatabase(async ({ db }) => {
        const user = await requireUser(db, name);
        const password = await readNewPassword(user.username, options);
        await setPassword(db, CLI_ACTOR, user.id, password);
        print(`Set a new password for ${user.username}; their sessions have ended.`);
      });
    });
}
