import type { Migration } from 'kysely';
import * as createAccount from './2026-11-28T1300-create-account.js';

/**
 * Every migration, by name; names sort in the order they run. Listed here
 * (not read from disk) so the compiled app and the container need no globbing.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '2026-11-28T1300-create-account': createAccount,
};
