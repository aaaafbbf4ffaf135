import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { prepared } from '../../platform/db/prepared.js';
import { AppError } from '../../shared/errors.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import type { Role } from './roles.js';
import type { ApiTokenRow } from './staff.tables.js';

/** Secret scanners (GitHub's, secretlint's) can match this prefix to find a leaked token. */
export const TOKEN_PREFIX = 'crm_';
/** crm_ + 43 base64url characters (256 random bits). */
const TOKEN_PATTERN = /^crm_[A-Za-z0-9_-]{43}$/;
/** Updating last_used_at on every call would make each API read a write. */
const LAST_USED_EVERY_MS = 60_000;

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export interface ApiTokenInfo {
  readonly id: number;
  readonly userId: number;
  readonly label: string;
  /** The token's first characters, to tell tokens apart. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

/** The principal behind a bearer token: its owner, with the owner's role. */
export interface TokenUser {
  readonly tokenId: number;
  readonly userId: number;
  readonly username: string;
  readonly role: Role;
}

const millis = (value: number | string | bigint | null) => (value === null ? null : Number(value));

function toInfo(row: ApiTokenRow): ApiTokenInfo {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    label: row.label,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    lastUsedAt: millis(row.last_used_at),
    expiresAt: millis(row.expires_at),
    revokedAt: millis(row.revoked_at),
  };
}

export async function listTokens(db: Queryable, userId: number): Promise<ApiTokenInfo[]> {
  const rows = await db.selectFrom('api_token').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').execute();
  return rows.map(toInfo);
}

export interface NewToken {
  readonly userId: number;
  readonly username: string;
  readonly label: string;
  /** ms since the epoch; null for a token that does not expire. */
  readonly expiresAt: number | null;
}

export const TOKEN_LABEL_MAX = 100;

export interface TokenPolicy {
  /**
   * Live (unrevoked, unexpired) tokens a user may hold at once: each token has
   * its own rate limit, so tokens without end would multiply what one user may do.
   */
  readonly livePerUser: number;
}

/** Creates a token; the returned `token` is the only time anyone sees it. */
export async function createToken(db: Kysely<Database>, actor: Actor, input: NewToken, policy: TokenPolicy): Promise<{ token: string; info: ApiTokenInfo }> {
  const label = input.label.trim();
  if (label === '' || label.length > TOKEN_LABEL_MAX) throw new AppError(400, 'BAD_TOKEN_LABEL', `A token needs a label of 1 to ${TOKEN_LABEL_MAX} characters, to recognise it later.`);
  const now = Date.now();
  if (input.expiresAt !== null && input.expiresAt <= now) throw new AppError(400, 'BAD_TOKEN_EXPIRY', 'A token’s expiry must be in the future.');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const prefix = token.slice(0, 10);
  const tokenHash = hashToken(token);
  return db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom('api_token')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('user_id', '=', input.userId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow();
    if (Number(live.count) >= policy.livePerUser) {
      throw new AppError(
        409,
        'TOO_MANY_TOKENS',
        `${actor.name === input.username ? 'You already have' : `${input.username} already has`} ${policy.livePerUser} live API tokens, the most allowed. ` +
          'Revoke one you no longer use, then create this one.',
      );
    }
    await trx
      .insertInto('api_token')
      .values({ user_id: input.userId, label, token_hash: tokenHash, prefix, created_at: now, expires_at: input.expiresAt })
      .execute();
    const row = await trx.selectFrom('api_token').select('id').where('token_hash', '=', tokenHash).executeTakeFirstOrThrow();
    const id = Number(row.id);
    await recordAudit(trx, actor, { action: 'token.created', target: `token ${id} of ${input.username}`, after: { label, prefix, expiresAt: input.expiresAt } }, now);
    const info: ApiTokenInfo = { id, userId: input.userId, label, prefix, createdAt: now, lastUsedAt: null, expiresAt: input.expiresAt, revokedAt: null };
    return { token, info };
  });
}

/**
 * Revokes a token. With `ownerId`, only that user's token (a user managing
 * their own); without, any (an operator). Revoking twice is not an error.
 */
export async function revokeToken(db: Kysely<Database>, actor: Actor, tokenId: number, ownerId?: number): Promise<ApiTokenInfo> {
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('api_token')
      .innerJoin('staff_user', 'staff_user.id', 'api_token.user_id')
      .selectAll('api_token')
      .select('staff_user.username')
      .where('api_token.id', '=', tokenId);
    if (ownerId !== undefined) query = query.where('api_token.user_id', '=', ownerId);
    const row = await query.executeTakeFirst();
    if (!row) throw new AppError(404, 'TOKEN_NOT_FOUND', `There is no API token with id ${tokenId}${ownerId === undefined ? '' : ' among yours'}.`);
    const info = toInfo(row);
    if (info.revokedAt !== null) return info;
    const now = Date.now();
    await trx.updateTable('api_token').set({ revoked_at: now }).where('id', '=', tokenId).execute();
    await recordAudit(trx, actor, { action: 'token.revoked', target: `token ${tokenId} of ${row.username}`, before: { label: row.label, prefix: row.prefix } }, now);
    return { ...info, revokedAt: now };
  });
}

/** Compiled once: every API request runs it. */
const tokenOwner = prepared((db: Queryable, tokenHash: string) =>
  db
    .selectFrom('api_token')
    .innerJoin('staff_user', 'staff_user.id', 'api_token.user_id')
    .select(['api_token.id', 'api_token.expires_at', 'api_token.revoked_at', 'api_token.last_used_at', 'staff_user.id as user_id', 'staff_user.username', 'staff_user.role', 'staff_user.disabled'])
    .where('api_token.token_hash', '=', tokenHash),
);

/** The owner of a live token, or undefined: unknown, revoked, expired, or its owner disabled. */
export async function findTokenUser(db: Queryable, token: string, now = Date.now()): Promise<TokenUser | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const tokenHash = hashToken(token);
  const [row] = await tokenOwner(db, tokenHash);
  if (!row || row.revoked_at !== null || Boolean(Number(row.disabled))) return undefined;
  if (row.expires_at !== null && now >= Number(row.expires_at)) return undefined;
  const lastUsed = millis(row.last_used_at);
  if (lastUsed === null || now - lastUsed >= LAST_USED_EVERY_MS) {
    await db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', Number(row.id)).execute();
  }
  return { tokenId: Number(row.id), userId: Number(row.user_id), username: row.username, role: row.role as Role };
}
