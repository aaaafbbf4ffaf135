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
export { ledgerMismatches, listEntries, recordEntry, recordOpeningEntries } from './ledger.service.js';
export type { LedgerEntryTable } from './ledger.table.js';
