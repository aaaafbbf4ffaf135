import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../schema.js';
import type { Role } from './roles.js';

/** Host-only, Secure, HttpOnly: see sessionCookieOptions. */
export const SESSION_COOKIE = '__Host-crm-session';

export interface SessionPolicy {
  /** A session unused this long is over. */
  readonly idleMs: number;
  /** A session this old is over, however busy. */
  readonly maxAgeMs: number;
}

/** Writing last_seen_at on every request would make each page a write; this often is enough for the idle timeout. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The session cookie's attributes; clear it with the same ones (`sessionCookieOptions(0)`): browsers
 * ignore a Set-Cookie for a `__Host-` name that is not Secure, so a bare clearCookie would not remove it.
 */
export function sessionCookieOptions(maxAgeMs: number) {
  // SameSite=Lax: a link to a staff page from mail or chat opens signed in; state changes still need the session's CSRF token.
  return { path: '/', httpOnly: true, secure: true, sameSite: 'lax' as const, maxAge: Math.floor(maxAgeMs / 1000) };
}

export function hashSessionId(id: string): string {
  return hash('sha256', id, 'hex');
}

/** The signed-in user a session belongs to, as each request sees it. */
export interface SessionUser {
  readonly idHash: string;
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
}

/** Starts a session for a user; returns the cookie's value (256 random bits), stored only as its hash. */
export async function createSession(db: Queryable, userId: number, ip: string | null, policy: SessionPolicy, now = Date.now()): Promise<{ id: string; idHash: string }> {
  const id = randomBytes(32).toString('base64url');
  const idHash = hashSessionId(id);
  await db
    .insertInto('staff_session')
    .values({ id_hash: idHash, user_id: userId, created_at: now, last_seen_at: now, expires_at: now + policy.maxAgeMs, ip: ip?.slice(0, 64) ?? null })
    .execute();
  return { id, idHash };
}

/**
 * The live session a cookie names, or undefined when there is none, it is
 * idle or old, or its user is disabled. Refreshes last-seen at most once a minute.
 */
export async function findLiveSession(db: Queryable, id: string, policy: SessionPolicy, now = Date.now()): Promise<SessionUser | undefined> {
  if (id.length !== 43) return undefined;
  const idHash = hashSessionId(id);
  const row = await db
    .selectFrom('staff_session')
    .innerJoin('staff_user', 'staff_user.id', 'staff_session.user_id')
    .select(['staff_session.last_seen_at', 'staff_session.expires_at', 'staff_user.id', 'staff_user.username', 'staff_user.role', 'staff_user.disabled'])
    .where('staff_session.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const lastSeen = Number(row.last_seen_at);
  if (Boolean(Number(row.disabled)) || now >= Number(row.expires_at) || now - lastSeen >= policy.idleMs) return undefined;
  if (now - lastSeen >= TOUCH_EVERY_MS) {
    await db.updateTable('staff_session').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  }
  return { idHash, userId: Number(row.id), username: row.username, role: row.role as Role };
}

export async function endSession(db: Queryable, idHash: string): Promise<void> {
  await db.deleteFrom('staff_session').where('id_hash', '=', idHash).execute();
}

/** Ends every session of a user, on every replica at once (disabled, new role, new password). */
export async function endUserSessions(db: Queryable, userId: number): Promise<void> {
  await db.deleteFrom('staff_session').where('user_id', '=', userId).execute();
}

/** Deletes sessions past their absolute or idle limit; every replica may run it. */
export async function pruneExpiredSessions(db: Queryable, policy: SessionPolicy, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('staff_session')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - policy.idleMs)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The CSRF token for a session's forms: an HMAC of the session (keyed by the
 * shared secret), so every replica computes the same token, a token from
 * another session never matches, and rotating the session changes it.
 */
export function sessionFormToken(secret: string, idHash: string): string {
  return createHmac('sha256', secret).update(`csrf:${idHash}`).digest('base64url');
}

export function isSessionFormToken(secret: string, idHash: string, posted: unknown): boolean {
  if (typeof posted !== 'string') return false;
  const expected = Buffer.from(sessionFormToken(secret, idHash));
  const given = Buffer.from(posted);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
