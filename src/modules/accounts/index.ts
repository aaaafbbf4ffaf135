/**
 * The accounts module's public face: customer accounts and their pages and
 * API, the public balance lookup, the seed, and the two use cases every door
 * shares (create an account; record an entry on one, through the ledger).
 */
export { type Account, type AccountDetails, DEFAULT_TERMS_DAYS, MAX_TERMS_DAYS, paymentTermsLabel } from './account.js';
export { accountPath, ACCOUNTS_PATH } from './account-path.js';
export { type AccountChanges, accountDetails, acctidField, type NewAccountInput, termsDaysText } from './account-fields.js';
export type { AccountSearchTermTable, AccountTable } from './account.table.js';
export { accountsApiRoutes } from './accounts.api.js';
export { acctidParams } from './account.json.js';
export { ACCOUNTS_NAV, accountRoutes, type AccountRoutesOptions } from './accounts.routes.js';
export type { AccountPageSection, AccountSectionContext } from './account-page-sections.js';
export { requireAccount, writeSearchTerms } from './account.repository.js';
export { createAccounts, updateAccount, type NewAccount } from './accounts.service.js';
export { createAccountUseCase, type CreateAccountCommand } from './create-account.use-case.js';
export { entriesApiRoutes } from './entries.api.js';
export { recordEntryUseCase, type EntryRecorded, type RecordEntryCommand } from './record-entry.use-case.js';
export { LOOKUP_NAV, lookupRoutes } from './lookup.routes.js';
export { termsOf } from './search-terms.js';
export { readSeedFile, seedAccounts } from './seed.js';
export { messageFor, problemSummary, textArea } from './accounts.views.js';
