import { hash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../../shared/errors.js';
import { isUniqueViolation } from './constraint.js';
import { retryOnDeadlock } from './deadlock.js';
import type { IdempotencyTables } from './idempotency.table.js';

/**
 * Idempotent writes. The key is claimed (inserted) in the same transaction as
 * the write and its outcome, so the three commit together or not at all:
 * - a retry with the same key and request gets the stored outcome again;
 * - the same key with another request is refused (422);
 * - two requests racing with one key: the second's insert waits on the key's
 *   unique index until the first commits, then fails, and it replays the
 *   first's outcome. One write, whatever the timing (SQLite: one writer at a time).
 * A write that fails (4xx, 5xx) rolls back, key included: a retry runs it again.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Every keyed write creates something; the stored status says so (see IdempotencyKeyTable). */
const CREATED = 201;

export interface IdempotencyKey {
  readonly userId: number;
  readonly key: string;
  /** What "the same request" means: the use case and its input (see fingerprintOf). */
  readonly fingerprint: string;
}

/** A write's outcome and whether it is a replay of one stored earlier. */
export interface Outcome<T> {
  readonly value: T;
  readonly replayed: boolean;
}

/** A request's fingerprint: what it does and its input with keys in a fixed order. */
export function fingerprintOf(operation: string, input: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sorted(v)]))
        : value;
  return `${operation}\n${JSON.stringify(sorted(input) ?? null)}`;
}

const hashOf = (fingerprint: string) => hash('sha256', fingerprint, 'hex');

/** The key table through any database that has it (the app's Database has more tables; only this one is touched here). */
const keysOf = <DB extends IdempotencyTables>(db: Kysely<DB> | Transaction<DB>) => db as unknown as Kysely<IdempotencyTables>;

function replay<T>(row: { request_hash: string; response_body: string }, hash: string, revive: (stored: unknown) => T): Outcome<T> {
  // Both sides are hashes of requests this user sent; nothing secret is compared.
  // eslint-disable-next-line security/detect-possible-timing-attacks
  if (row.request_hash !== hash) {
    throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
  }
  return { value: revive(JSON.parse(row.response_body) as unknown), replayed: true };
}

/**
 * Runs `write` once per key: the first time in a transaction that also stores
 * its outcome (as JSON), afterwards by replaying that outcome through `revive`,
 * which turns the stored JSON back into the value `write` returned.
 */
export async function runIdempotently<DB extends IdempotencyTables, T>(
  db: Kysely<DB>,
  request: IdempotencyKey,
  write: (trx: Transaction<DB>) => Promise<T>,
  revive: (stored: unknown) => T,
  now = Date.now(),
): Promise<Outcome<T>> {
  const hash = hashOf(request.fingerprint);
  const keys = keysOf(db);
  const mine = (q: Kysely<IdempotencyTables>) =>
    q.selectFrom('idempotency_key').select(['request_hash', 'response_body']).where('user_id', '=', request.userId).where('idem_key', '=', request.key).where('created_at', '>', now - IDEMPOTENCY_TTL_MS);
  // This user's expired keys (this one included) go first, in a statement of their own: inside the
  // claiming transaction the delete's range locks (InnoDB) would deadlock concurrent claims by one user.
  await keys.deleteFrom('idempotency_key').where('user_id', '=', request.userId).where('created_at', '<=', now - IDEMPOTENCY_TTL_MS).execute();
  try {
    return await db.transaction().execute(async (trx) => {
      const own = keysOf(trx);
      const stored = await mine(own).executeTakeFirst();
      if (stored) return replay(stored, hash, revive);
      await own.insertInto('idempotency_key').values({ user_id: request.userId, idem_key: request.key, request_hash: hash, status_code: 0, response_body: 'null', created_at: now }).execute();
      const value = await write(trx);
      await own
        .updateTable('idempotency_key')
        .set({ status_code: CREATED, response_body: JSON.stringify(value) })
        .where('user_id', '=', request.userId)
        .where('idem_key', '=', request.key)
        .execute();
      return { value, replayed: false };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another request with this key committed first: answer as it did.
    const stored = await mine(keys).executeTakeFirst();
    if (!stored) throw error;
    return replay(stored, hash, revive);
  }
}

/**
 * One whole write transaction, at most once per key when a key is given
 * (runIdempotently), and run again when the database rolled it back as a
 * deadlock victim: on MySQL/MariaDB concurrent writes of one user can deadlock
 * on the key table's gap locks, and a victim left nothing behind, so running it
 * again cannot write twice.
 */
export async function writeOnce<DB extends IdempotencyTables, T>(
  db: Kysely<DB>,
  key: IdempotencyKey | undefined,
  write: (trx: Transaction<DB>) => Promise<T>,
  revive: (stored: unknown) => T,
): Promise<Outcome<T>> {
  if (key === undefined) return { value: await retryOnDeadlock(() => db.transaction().execute(write)), replayed: false };
  return retryOnDeadlock(() => runIdempotently(db, key, write, revive));
}
