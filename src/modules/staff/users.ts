import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../platform/db/constraint.js';
import { lockForUpdate } from '../../platform/db/dialect.js';
import { AppError } from '../../shared/errors.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { hashPassword, isAcceptableHash, PASSWORD_MAX_LENGTH, passwordProblem, verifyPassword } from './password.js';
import { isRole, ROLES, type Role } from './roles.js';
import { endUserSessions } from './sessions.js';
import type { StaffUserRow } from './staff.tables.js';

/** A staff user as the rest of the app sees it: never the password hash. */
export interface StaffUser {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  /** Sign-in is refused until then (ms since the epoch); null when not locked. */
  readonly lockedUntil: number | null;
  readonly createdAt: number;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{2,63}$/;
export const USERNAME_RULE = '3 to 64 characters: letters, digits, dots, dashes, underscores or @, starting with a letter or digit';

/** User names compare without case and surrounding spaces. */
export function normalizeUsername(typed: string): string {
  return typed.trim().toLowerCase();
}

export function usernameProblem(username: string): string | null {
  return USERNAME_PATTERN.test(username) ? null : `A user name must be ${USERNAME_RULE}.`;
}

export function toStaffUser(row: Pick<StaffUserRow, 'id' | 'username' | 'role' | 'disabled' | 'locked_until' | 'created_at'>): StaffUser {
  const lockedUntil = row.locked_until === null ? null : Number(row.locked_until);
  return {
    id: Number(row.id),
    username: row.username,
    // The table's CHECK constraint allows only known roles.
    role: row.role as Role,
    disabled: Boolean(Number(row.disabled)),
    lockedUntil: lockedUntil !== null && lockedUntil > Date.now() ? lockedUntil : null,
    createdAt: Number(row.created_at),
  };
}

const USER_COLUMNS = ['id', 'username', 'role', 'disabled', 'locked_until', 'created_at'] as const;

export class UserNotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'USER_NOT_FOUND', `There is no staff user ${what}.`);
  }
}

export async function findUserByName(db: Queryable, username: string): Promise<StaffUser | undefined> {
  const row = await db.selectFrom('staff_user').select(USER_COLUMNS).where('username', '=', normalizeUsername(username)).executeTakeFirst();
  return row && toStaffUser(row);
}

export async function findUserById(db: Queryable, id: number): Promise<StaffUser | undefined> {
  const row = await db.selectFrom('staff_user').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toStaffUser(row);
}

async function requireUser(db: Queryable, id: number): Promise<StaffUser> {
  const user = await findUserById(db, id);
  if (!user) throw new UserNotFoundError(`with id ${id}`);
  return user;
}

export async function listUsers(db: Queryable): Promise<StaffUser[]> {
  const rows = await db.selectFrom('staff_user').select(USER_COLUMNS).orderBy('username').execute();
  return rows.map(toStaffUser);
}

export async function countUsers(db: Queryable): Promise<number> {
  const { count } = await db.selectFrom('staff_user').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw new AppError(400, 'UNKNOWN_ROLE', `The role must be one of: ${ROLES.join(', ')}.`);
  return role;
}

function checkNewPassword(username: string, password: string): void {
  const problem = passwordProblem(username, password);
  if (problem) throw new AppError(400, 'WEAK_PASSWORD', problem);
}

export interface NewUser {
  readonly username: string;
  readonly role: string;
  /** Plain text, checked against the policy; or an argon2id hash from a bootstrap file. */
  readonly password: string;
  readonly passwordIsHash?: boolean;
}

/** Creates a user and its audit row in one transaction. */
export async function createUser(db: Kysely<Database>, actor: Actor, input: NewUser): Promise<StaffUser> {
  const username = normalizeUsername(input.username);
  const badName = usernameProblem(username);
  if (badName) throw new AppError(400, 'BAD_USERNAME', badName);
  const role = checkRole(input.role);
  if (input.passwordIsHash && !isAcceptableHash(input.password)) {
    throw new AppError(400, 'WEAK_PASSWORD_HASH', 'The password hash must be argon2id with at least m=19456, t=2, p=1 (as `crm` makes them).');
  }
  if (!input.passwordIsHash) checkNewPassword(username, input.password);
  const passwordHash = input.passwordIsHash ? input.password : await hashPassword(input.password);
  const now = Date.now();
  try {
    return await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('staff_user')
        .values({ username, role, password_hash: passwordHash, disabled: 0, failed_logins: 0, locked_until: null, created_at: now, updated_at: now })
        .execute();
      const user = await findUserByName(trx, username);
      if (!user) throw new Error('the inserted user is not visible in its own transaction');
      await recordAudit(trx, actor, { action: 'user.created', target: username, after: { role, disabled: false } }, now);
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError(409, 'USERNAME_TAKEN', `The user name "${username}" is already taken.`, { cause: error });
    throw error;
  }
}

/**
 * Another active admin exists: the last one may not be disabled or demoted, or nobody could manage users.
 * Locks every active admin's row first, so two admins demoting each other at once cannot both count the
 * other as the one who remains: the second waits for the first to commit, then sees its change.
 */
async function assertAnotherActiveAdmin(db: Queryable, exceptId: number): Promise<void> {
  const activeAdmins = await lockForUpdate(db, db.selectFrom('staff_user').select('id').where('role', '=', 'admin').where('disabled', '=', 0).orderBy('id')).execute();
  if (!activeAdmins.some((row) => Number(row.id) !== exceptId)) throw new AppError(409, 'LAST_ADMIN', 'This is the last active admin: make another user admin first.');
}

/** Changes a user's role and signs them out everywhere, so the new role applies from their next sign-in. */
export async function changeRole(db: Kysely<Database>, actor: Actor, userId: number, newRole: string): Promise<StaffUser> {
  const role = checkRole(newRole);
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, userId);
    if (user.role === role) return user;
    if (user.role === 'admin' && !user.disabled) await assertAnotherActiveAdmin(trx, userId);
    const now = Date.now();
    await trx.updateTable('staff_user').set({ role, updated_at: now }).where('id', '=', userId).execute();
    await endUserSessions(trx, userId);
    await recordAudit(trx, actor, { action: 'user.role_changed', target: user.username, before: { role: user.role }, after: { role } }, now);
    return { ...user, role };
  });
}

/** Disabling ends every session of the user at once; their API tokens stop working with it. */
export async function setDisabled(db: Kysely<Database>, actor: Actor, userId: number, disabled: boolean): Promise<StaffUser> {
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, userId);
    if (user.disabled === disabled) return user;
    if (disabled && user.role === 'admin') await assertAnotherActiveAdmin(trx, userId);
    const now = Date.now();
    await trx
      .updateTable('staff_user')
      .set({ disabled: disabled ? 1 : 0, updated_at: now, ...(disabled ? {} : { failed_logins: 0, locked_until: null }) })
      .where('id', '=', userId)
      .execute();
    if (disabled) await endUserSessions(trx, userId);
    await recordAudit(trx, actor, { action: disabled ? 'user.disabled' : 'user.enabled', target: user.username, before: { disabled: user.disabled }, after: { disabled } }, now);
    return { ...user, disabled };
  });
}

/**
 * Sets a new password (an admin's reset or the user's own change), clears any
 * lockout and ends all the user's sessions; a user who changed their own gets
 * a fresh session from the caller.
 */
export async function setPassword(db: Kysely<Database>, actor: Actor, userId: number, password: string): Promise<StaffUser> {
  const existing = await requireUser(db, userId);
  checkNewPassword(existing.username, password);
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, userId);
    const now = Date.now();
    await trx.updateTable('staff_user').set({ password_hash: passwordHash, failed_logins: 0, locked_until: null, updated_at: now }).where('id', '=', userId).execute();
    await endUserSessions(trx, userId);
    await recordAudit(trx, actor, { action: 'user.password_changed', target: user.username }, now);
    return { ...user, lockedUntil: null };
  });
}

/**
 * Whether `password` is the user's current password, checked before they set
 * a new one. An unknown or disabled user, or a password longer than the
 * policy allows, is false after the same argon2 work.
 */
export async function isCurrentPassword(db: Queryable, userId: number, password: string): Promise<boolean> {
  const row = await db.selectFrom('staff_user').select(['password_hash', 'disabled']).where('id', '=', userId).executeTakeFirst();
  const usable = row !== undefined && !Number(row.disabled);
  const tooLong = [...password].length > PASSWORD_MAX_LENGTH;
  const verified = await verifyPassword(usable ? row.password_hash : null, tooLong ? '' : password);
  return verified && usable && !tooLong;
}
