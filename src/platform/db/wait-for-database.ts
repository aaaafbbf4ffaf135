import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { NativeAddonMismatchError } from './database.js';
import { isAccessDenied, isTlsRefused } from './unavailable.js';

export interface RetryPolicy {
  readonly attempts: number;
  /** The longest pause between attempts; pauses start at a tenth of it and double. */
  readonly maxDelayMs: number;
}

export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** The database answered and refused us: a wrong password or database name. */
export class DatabaseAccessDeniedError extends Error {
  override name = 'DatabaseAccessDeniedError';
}

/** DATABASE_CA_FILE is set and the server's certificate did not verify against it, or the server offers no TLS. */
export class DatabaseTlsError extends Error {
  override name = 'DatabaseTlsError';
}

export async function pingDatabase<T>(db: Kysely<T>): Promise<void> {
  await sql`select 1`.execute(db);
}

/**
 * A database container may still be starting when the app does. The pauses
 * grow from maxDelay/10 up to maxDelay: a database that is nearly up is
 * reached quickly, one that takes long is not hammered.
 */
export async function waitForDatabase<T>(
  db: Kysely<T>,
  where: string,
  { attempts, maxDelayMs }: RetryPolicy,
  onRetry: (attempt: number, delayMs: number, error: unknown) => void = () => undefined,
): Promise<void> {
  let delayMs = Math.max(1, Math.round(maxDelayMs / 10));
  for (let attempt = 1; ; attempt++) {
    try {
      await pingDatabase(db);
      return;
    } catch (error) {
      // Waiting cannot help a driver that this Node cannot load; its message says what can.
      if (error instanceof NativeAddonMismatchError) throw error;
      if (isAccessDenied(error)) {
        throw new DatabaseAccessDeniedError(`access denied by the ${where}: ${describeError(error)} (check the user, password and database name)`, { cause: error });
      }
      if (isTlsRefused(error)) {
        throw new DatabaseTlsError(
          `TLS verification of the ${where} failed: ${describeError(error)} ` +
            '(DATABASE_CA_FILE must be the CA bundle that signed the server\'s certificate, and the URL\'s host a name the certificate holds); nothing was sent in plain text',
          { cause: error },
        );
      }
      if (attempt >= attempts) {
        throw new DatabaseUnreachableError(
          `could not reach the ${where} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeError(error)}`,
          { cause: error },
        );
      }
      onRetry(attempt, delayMs, error);
      await sleep(delayMs);
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}

export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code} ${error.message}` : error.message || error.name;
  }
  return String(error);
}
