/**
 * Whether a driver error is a UNIQUE or PRIMARY KEY violation: the race two
 * replicas can lose when both insert the same key, answered with a 409
 * instead of a 500.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // mysql2, pg (SQLSTATE), better-sqlite3.
  return code === 'ER_DUP_ENTRY' || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
