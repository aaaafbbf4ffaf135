/**
 * The ledger module's public face: append-only entries (payments, charges,
 * adjustments), the rules an entry must meet, and the writers that move an
 * account's totals with each entry in the caller's transaction. It knows no
 * page or route: the accounts module records entries through it.
 */
export {
  balanceEffect,
  brokenEntryRules,
  effectOf,
  ENTRY_KINDS,
  entryRuleMessage,
  isInvoice,
  MAX_ALLOCATIONS,
  REFERENCE_MAX,
  type AllocationRequest,
  MAX_ACCOUNT_TOTAL_CENTS,
  MAX_ENTRY_CENTS,
  MEMO_MAX,
  type BrokenEntryRule,
  type EntryKind,
  type EntryRule,
  type LedgerEntry,
  type NewEntry,
} from './entry.js';
export { entrySnapshot } from './entry-snapshot.js';
export { ledgerMismatches, listEntries, recordEntry, recordOpeningEntries, type EntryClock, type RecordedEntry } from './ledger.service.js';
export { receivablesMismatches, type ReceivablesMismatch } from './receivables-check.js';
export type { LedgerEntryTable } from './ledger.table.js';
export { allocationsOf, type Allocation } from './allocation.service.js';
export { settlementsOf, settlementSnapshot, type AppliedTo, type EntrySettlement, type PaidBy } from './settlement.js';
export { accountInvoices, type AccountInvoices, type InvoiceStanding } from './invoices.js';
export { balancesAsOf, entriesInPeriod } from './period.js';
export { accountAging, agingCentsFields, AGING_BUCKETS, balanceAsOf, bucketOf, bucketStarts, ZERO_AGING, type AgingBucketKey, type AgingFigures, type OpenInvoice } from './aging.js';
export type { AllocationTable, OpenItemSide, OpenItemTable } from './receivables.table.js';
