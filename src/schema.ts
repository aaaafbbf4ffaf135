import type { Kysely, Transaction } from 'kysely';
import type { AccountSearchTermTable, AccountTable } from './modules/accounts/index.js';
import type { AuditEventTable } from './modules/audit/index.js';
import type { CustomerLinkTable } from './modules/customer-link/index.js';
import type { IdempotencyKeyTable } from './platform/db/idempotency.table.js';
import type { ReplicaHeartbeatTable } from './platform/db/replica-heartbeat.table.js';
import type { AllocationTable, LedgerEntryTable, OpenItemTable } from './modules/ledger/index.js';
import type { OutboxDailyRunTable, OutboxMessageTable, OutboxWorkerTable } from './modules/outbox/index.js';
import type { ReminderLevelTable, ReminderSentTable } from './modules/reminders/index.js';
import type { ApiTokenTable, StaffSessionTable, StaffUserTable } from './modules/staff/index.js';

/** Every table the app knows; features add theirs here. */
export interface Database {
  account: AccountTable;
  staff_user: StaffUserTable;
  staff_session: StaffSessionTable;
  api_token: ApiTokenTable;
  audit_event: AuditEventTable;
  ledger_entry: LedgerEntryTable;
  open_item: OpenItemTable;
  allocation: AllocationTable;
  account_search_term: AccountSearchTermTable;
  idempotency_key: IdempotencyKeyTable;
  replica_heartbeat: ReplicaHeartbeatTable;
  customer_link: CustomerLinkTable;
  outbox_message: OutboxMessageTable;
  outbox_worker: OutboxWorkerTable;
  outbox_daily_run: OutboxDailyRunTable;
  reminder_level: ReminderLevelTable;
  reminder_sent: ReminderSentTable;
}

/** Repositories take either the pool-backed handle or an open transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>;
