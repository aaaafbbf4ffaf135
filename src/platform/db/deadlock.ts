/**
 * Whether a driver error means the database chose this transaction as a
 * deadlock victim (or could not serialise it) and rolled it back: the whole
 * transaction may simply run again. MySQL/MariaDB report it when concurrent
 * transactions hold gap locks in one index range and then insert into it
 * (InnoDB, REPEATABLE READ); PostgreSQL when lock orders cross. A Galera
 * cluster reports a certification conflict the same way (errno 1213, also
 * ER_LOCK_DEADLOCK): a transaction that wrote a row another node's committed
 * write set also wrote is refused at COMMIT, or aborted mid-way when that
 * write set is applied (brute-force abort); either way nothing of it remains.
 */
export function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // mysql2, pg (SQLSTATE deadlock_detected, serialization_failure).
  return code === 'ER_LOCK_DEADLOCK' || code === '40P01' || code === '40001';
}

/**
 * Attempts a transaction gets in all before a deadlock is passed on (a 503
 * with Retry-After: platform/db/unavailable.ts). Eight, not four: on a Galera
 * cluster two nodes writing one account conflict at every commit that
 * overlaps, and four attempts were measured to run out (12 clients on 3
 * accounts through two nodes).
 */
export const DEADLOCK_ATTEMPTS = 8;

/** The longest pause between attempts, in ms. */
const MAX_PAUSE_MS = 200;

/**
 * Runs `transaction` again when the database rolled it back as a deadlock
 * victim, after a random pause that doubles with each attempt (up to 200 ms),
 * so the contenders do not meet again.
 * `transaction` must be a whole transaction (begin to commit), so nothing of a
 * failed attempt remains.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>, attempts = DEADLOCK_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_PAUSE_MS, 10 * 2 ** (attempt - 1))));
    }
  }
}
