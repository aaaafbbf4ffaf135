import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../../platform/db/constraint.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../../schema.js';

/**
 * Idempotent API writes. The key is claimed (inserted) in the same transaction
 * as the write and its answer, so the three commit together or not at all:
 * - a retry with the same key and request gets the stored answer again;
 * - the same key with another request is refused (422);
 * - two requests racing with one key: the second's insert waits on the key's
 *   unique index until the first commits, then fails, and it replays the
 *   first's answer. One write, whatever the timing (SQLite: one writer at a time).
 * A write that fails (4xx, 5xx) rolls back, key included: a retry runs it again.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_HEADER = 'idempotent-replayed';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

export interface IdempotentRequest {
  readonly userId: number;
  readonly key: string;
  /** The method, path and body: what "the same request" means. */
  readonly fingerprint: string;
}

/** The Idempotency-Key header's value, checked; undefined when the request has none. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!KEY_PATTERN.test(key)) throw new AppError(400, 'INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).');
  return key;
}

/** A request's fingerprint: method, path and body with its keys in a fixed order. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sorted(v)]))
        : value;
  return `${method} ${path}\n${JSON.stringify(sorted(body) ?? null)}`;
}

const hashOf = (fingerprint: string) => createHash('sha256').update(fingerprint).digest('hex');

function replay(row: { request_hash: string; status_code: number; response_body: string }, hash: string): StoredAnswer & { replayed: true } {
  // Both sides are hashes of requests this user sent; nothing secret is compared.
  // eslint-disable-next-line security/detect-possible-timing-attacks
  if (row.request_hash !== hash) {
    throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
  }
  return { statusCode: row.status_code, body: JSON.parse(row.response_body) as unknown, replayed: true };
}

/** Runs `write` once per key: the first time in a transaction that also stores its answer, afterwards by replaying that answer. */
export async function runIdempotently(
  db: Kysely<Database>,
  request: IdempotentRequest,
  write: (trx: Transaction<Database>) => Promise<StoredAnswer>,
  now = Date.now(),
): Promise<StoredAnswer & { replayed: boolean }> {
  const hash = hashOf(request.fingerprint);
  const mine = (q: Kysely<Database> | Transaction<Database>) =>
    q.selectFrom('idempotency_key').select(['request_hash', 'status_code', 'response_body']).where('user_id', '=', request.userId).where('idem_key', '=', request.key).where('created_at', '>', now - IDEMPOTENCY_TTL_MS);
  // This user's expired keys (this one included) go first, in a statement of their own: inside the
  // claiming transaction the delete's range locks (InnoDB) would deadlock concurrent claims by one user.
  await db.deleteFrom('idempotency_key').where('user_id', '=', request.userId).where('created_at', '<=', now - IDEMPOTENCY_TTL_MS).execute();
  try {
    return await db.transaction().execute(async (trx) => {
      const stored = await mine(trx).executeTakeFirst();
      if (stored) return replay(stored, hash);
      await trx.insertInto('idempotency_key').values({ user_id: request.userId, idem_key: request.key, request_hash: hash, status_code: 0, response_body: 'null', created_at: now }).execute();
      const answer = await write(trx);
      await trx
        .updateTable('idempotency_key')
        .set({ status_code: answer.statusCode, response_body: JSON.stringify(answer.body) })
        .where('user_id', '=', request.userId)
        .where('idem_key', '=', request.key)
        .execute();
      return { ...answer, replayed: false };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another request with this key committed first: answer as it did.
    const stored = await mine(db).executeTakeFirst();
    if (!stored) throw error;
    return replay(stored, hash);
  }
}
