import type { Kysely } from 'kysely';
import { migrateToLatest, type MigrationList } from '../platform/db/migrate.js';
import * as createAccount from './2026-11-28T1300-create-account.js';
import * as createStaffIdentity from './2026-11-29T0900-create-staff-identity.js';
import * as createLedger from './2026-11-29T1100-create-ledger.js';
import * as accountDetails from './2026-11-29T1300-account-details.js';
import * as dashboardIndexes from './2026-11-29T1500-dashboard-indexes.js';
import * as searchTermSortName from './2026-12-05T1230-search-term-sort-name.js';
import * as receivables from './2026-12-05T1800-receivables.js';
import * as agingIndexes from './2026-12-05T2000-aging-indexes.js';
import * as allocationAccount from './2026-12-05T2030-allocation-account.js';
import * as outbox from './2026-12-06T0900-outbox.js';
import * as reminders from './2026-12-06T1000-reminders.js';
import * as customerLink from './2026-12-06T1100-customer-link.js';
import * as replicaHeartbeat from './2026-12-06T1200-replica-heartbeat.js';

/**
 * Every migration, by name; names sort in the order they run. Listed here
 * (not read from disk) so the compiled app and the container need no globbing.
 */
export const migrations: MigrationList = {
  '2026-11-28T1300-create-account': createAccount,
  '2026-11-29T0900-create-staff-identity': createStaffIdentity,
  '2026-11-29T1100-create-ledger': createLedger,
  '2026-11-29T1300-account-details': accountDetails,
  '2026-11-29T1500-dashboard-indexes': dashboardIndexes,
  '2026-12-05T1230-search-term-sort-name': searchTermSortName,
  '2026-12-05T1800-receivables': receivables,
  '2026-12-05T2000-aging-indexes': agingIndexes,
  '2026-12-05T2030-allocation-account': allocationAccount,
  '2026-12-06T0900-outbox': outbox,
  '2026-12-06T1000-reminders': reminders,
  '2026-12-06T1100-customer-link': customerLink,
  '2026-12-06T1200-replica-heartbeat': replicaHeartbeat,
};

/** Applies this code's migrations (start-up, the migrate command, tests). */
export function migrateDatabase<T>(db: Kysely<T>): Promise<string[]> {
  return migrateToLatest(db, migrations);
}
