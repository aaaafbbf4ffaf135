import type { Kysely, Transaction } from 'kysely';
import type { AccountTable } from './modules/accounts/account.table.js';

/** Every table the app knows; features add theirs here. */
export interface Database {
  account: AccountTable;
}

/** Repositories take either the pool-backed handle or an open transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>;
