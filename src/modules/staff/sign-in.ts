import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { PASSWORD_MAX_LENGTH, verifyPassword } from './password.js';
import { createSession, pruneExpiredSessions, type SessionPolicy } from './sessions.js';
import { normalizeUsername } from './users.js';

export interface LockoutPolicy {
  /** Failed sign-ins in a row before the account locks. */
  readonly threshold: number;
  /** The first lock's length; each further failure doubles it, up to maxMs. */
  readonly baseMs: number;
  readonly maxMs: number;
}

/** How long the account locks after `failures` failures in a row (0 below the threshold). */
export function lockoutMs(policy: LockoutPolicy, failures: number): number {
  if (policy.threshold <= 0 || failures < policy.threshold) return 0;
  const doublings = Math.min(failures - policy.threshold, 30);
  return Math.min(policy.baseMs * 2 ** doublings, policy.maxMs);
}

export type SignInResult =
  | { readonly ok: true; readonly sessionId: string; readonly user: { readonly id: number; readonly username: string; readonly role: string } }
  | { readonly ok: false };

export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** Where the attempt came from: the audit rows' ip and request id. */
  readonly from: Omit<Actor, 'name'>;
}

/**
 * Checks a user name and password and starts a session. Every path (unknown
 * user, disabled, locked, wrong or right password) does one argon2
 * verification, and every failure looks the same to the caller, so neither
 * the answer nor its timing tells whether the user exists.
 */
export async function signIn(db: Kysely<Database>, attempt: SignInAttempt, policies: { session: SessionPolicy; lockout: LockoutPolicy }): Promise<SignInResult> {
  const username = normalizeUsername(attempt.username).slice(0, 64);
  const now = Date.now();
  const user = await db
    .selectFrom('staff_user')
    .select(['id', 'username', 'role', 'password_hash', 'disabled', 'locked_until'])
    .where('username', '=', username)
    .executeTakeFirst();
  const locked = user?.locked_until != null && Number(user.locked_until) > now;
  const usable = user !== undefined && !Number(user.disabled) && !locked;
  // Code points, as the policy counts them; a longer one cannot match and would only cost argon2 time.
  const password = [...attempt.password].length > PASSWORD_MAX_LENGTH ? '' : attempt.password;
  const verified = await verifyPassword(usable ? user.password_hash : null, password);
  const actor: Actor = { name: user ? user.username : 'anonymous', ...attempt.from };

  if (verified && usable) {
    return db.transaction().execute(async (trx) => {
      await trx.updateTable('staff_user').set({ failed_logins: 0, locked_until: null }).where('id', '=', user.id).execute();
      const { id } = await createSession(trx, Number(user.id), attempt.from.ip ?? null, policies.session, now);
      await recordAudit(trx, actor, { action: 'session.signed_in', target: user.username }, now);
      await pruneExpiredSessions(trx, policies.session, now);
      return { ok: true, sessionId: id, user: { id: Number(user.id), username: user.username, role: user.role } };
    });
  }

  await db.transaction().execute(async (trx) => {
    const reason = !user ? 'unknown user' : Number(user.disabled) ? 'disabled' : locked ? 'locked' : 'wrong password';
    await recordAudit(trx, actor, { action: 'session.sign_in_failed', target: username, after: { reason } }, now);
    // Attempts while locked do not extend the lock: otherwise anyone could keep a colleague locked out for good.
    if (!user || locked || Number(user.disabled)) return;
    // An increment in SQL: two replicas failing at once both count.
    await trx.updateTable('staff_user').set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) })).where('id', '=', user.id).execute();
    const { failed_logins: failures } = await trx.selectFrom('staff_user').select('failed_logins').where('id', '=', user.id).executeTakeFirstOrThrow();
    const lockMs = lockoutMs(policies.lockout, Number(failures));
    if (lockMs > 0) {
      await trx.updateTable('staff_user').set({ locked_until: now + lockMs }).where('id', '=', user.id).execute();
      await recordAudit(trx, actor, { action: 'user.locked', target: user.username, after: { failures: Number(failures), lockedForSeconds: lockMs / 1000 } }, now);
    }
  });
  return { ok: false };
}
