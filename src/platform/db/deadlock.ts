/**
 * Whether a driver error means the database chose this transaction as a
 * deadlock victim (or could not serialise it) and rolled it back: the whole
 * transaction may simply run again. MySQL/MariaDB report it when concurrent
 * transactions hold gap locks in one index range and then insert into it
 * (InnoDB, REPEATABLE READ); PostgreSQL when lock orders cross.
 */
export function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // mysql2, pg (SQLSTATE deadlock_detected, serialization_failure).
  return code === 'ER_LOCK_DEADLOCK' || code === '40P01' || code === '40001';
}

/** Attempts a transaction gets in all before a deadlock is passed on (as a 500). */
export const DEADLOCK_ATTEMPTS = 4;

/**
 * Runs `transaction` again when the database rolled it back as a deadlock
 * victim, after a short random pause so the contenders do not meet again.
 * `transaction` must be a whole transaction (begin to commit), so nothing of a
 * failed attempt remains.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>, attempts = DEADLOCK_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
