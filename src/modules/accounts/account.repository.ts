import type { Transaction } from 'kysely';
import { insertRows, insertUnlessPresent, lockForUpdate } from '../../platform/db/dialect.js';
import { prepared } from '../../platform/db/prepared.js';
import { AppError } from '../../shared/errors.js';
import { centsFromColumn, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { DEFAULT_TERMS_DAYS, type Account, type AccountDetails } from './account.js';
import type { NewAccountInput } from './account-fields.js';
import type { AccountRow } from './account.table.js';
import { sortName, termsOf } from './search-terms.js';

/** The account table's SQL: reads, writes and the search terms kept beside each account. */

export const ACCOUNT_COLUMNS = ['acctid', 'name', 'email', 'phone', 'notes', 'terms_days', 'reminders', 'paid_cents', 'due_cents', 'balance_cents', 'closed_at', 'created_at', 'updated_at'] as const;

/** A row's id and totals as the domain's Account. */
function toAccount(row: Pick<AccountRow, 'acctid' | 'paid_cents' | 'due_cents'>): Account {
  return {
    acctid: row.acctid,
    paidCents: centsFromColumn(row.paid_cents),
    dueCents: centsFromColumn(row.due_cents),
  };
}

/** The one mapper from an account row to the domain: the totals through toAccount, the rest beside them. */
export function toAccountDetails(row: Pick<AccountRow, (typeof ACCOUNT_COLUMNS)[number]>): AccountDetails {
  return {
    ...toAccount(row),
    name: row.name,
    email: row.email,
    phone: row.phone,
    notes: row.notes,
    termsDays: Number(row.terms_days),
    reminders: Number(row.reminders) !== 0,
    balanceCents: centsFromColumn(row.balance_cents),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

// Compiled once: the public lookup and the API's account read run these on every request.
const accountTotals = prepared((db: Queryable, acctid: string) => db.selectFrom('account').select(['acctid', 'paid_cents', 'due_cents']).where('acctid', '=', acctid));
const accountRow = prepared((db: Queryable, acctid: string) => db.selectFrom('account').select(ACCOUNT_COLUMNS).where('acctid', '=', acctid));

/** `acctid` must already be normalised (see normalizeAcctId). */
export async function findAccount(db: Queryable, acctid: string): Promise<Account | undefined> {
  const [row] = await accountTotals(db, acctid);
  return row && toAccount(row);
}

export async function getAccount(db: Queryable, acctid: string): Promise<AccountDetails | undefined> {
  const [row] = await accountRow(db, acctid);
  return row && toAccountDetails(row);
}

/** The account (its row locked until commit when `lock`), or a 404 that names it. */
export async function requireAccount(db: Queryable, acctid: string, lock = false): Promise<AccountDetails> {
  const row = lock ? await lockForUpdate(db, db.selectFrom('account').select(ACCOUNT_COLUMNS).where('acctid', '=', acctid)).executeTakeFirst() : (await accountRow(db, acctid))[0];
  if (!row) throw new AppError(404, 'ACCOUNT_NOT_FOUND', `There is no account ${acctid}.`);
  return toAccountDetails(row);
}

/**
 * Inserts the account unless one with the same id exists, in which case the
 * stored one is left untouched. Returns whether a row was inserted. Safe when
 * several replicas seed at once: the conflict is settled by the database.
 */
export async function insertAccountIfMissing(db: Queryable, account: Account): Promise<boolean> {
  const now = Date.now();
  // A seeded account is named after its id until staff name it.
  const insert = db.insertInto('account').values({
    acctid: account.acctid,
    name: account.acctid,
    sort_name: account.acctid.toLowerCase(),
    paid_cents: account.paidCents,
    due_cents: account.dueCents,
    balance_cents: account.dueCents - account.paidCents,
    created_at: now,
    updated_at: now,
  });
  const result = await insertUnlessPresent(db, insert, ['acctid']).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** New accounts' rows, with the totals they start with (zero unless given). A taken id is the driver's unique violation. */
export async function insertAccounts(
  trx: Transaction<Database>,
  accounts: readonly (NewAccountInput & { readonly openingPaidCents?: Cents; readonly openingDueCents?: Cents })[],
  at: number,
): Promise<void> {
  const rows = accounts.map((account) => {
    const paid = account.openingPaidCents ?? 0;
    const due = account.openingDueCents ?? 0;
    return {
      acctid: account.acctid,
      name: account.name,
      sort_name: sortName(account.name),
      email: account.email ?? null,
      phone: account.phone ?? null,
      notes: account.notes ?? '',
      terms_days: account.terms_days ?? DEFAULT_TERMS_DAYS,
      reminders: account.reminders === false ? (0 as const) : (1 as const),
      paid_cents: paid,
      due_cents: due,
      balance_cents: due - paid,
      created_at: at,
      updated_at: at,
    };
  });
  await insertRows(trx, 'account', ACCOUNT_INSERT_COLUMNS, rows);
}

const ACCOUNT_INSERT_COLUMNS = ['acctid', 'name', 'sort_name', 'email', 'phone', 'notes', 'terms_days', 'reminders', 'paid_cents', 'due_cents', 'balance_cents', 'created_at', 'updated_at'] as const;

/** The details staff may change, as stored (a type, not an interface: the audit takes it as a plain record). */
export type AccountColumnChanges = {
  name?: string;
  email?: string | null;
  phone?: string | null;
  notes?: string;
  terms_days?: number;
  reminders?: boolean;
};

/** Writes changed details (and the sort name with a new name). */
export async function updateAccountColumns(trx: Transaction<Database>, acctid: string, changed: AccountColumnChanges, at: number): Promise<void> {
  const { reminders, ...columns } = changed;
  await trx
    .updateTable('account')
    .set({
      ...columns,
      ...(columns.name === undefined ? {} : { sort_name: sortName(columns.name) }),
      ...(reminders === undefined ? {} : { reminders: reminders ? (1 as const) : (0 as const) }),
      updated_at: at,
    })
    .where('acctid', '=', acctid)
    .execute();
}

/** Closes (a time) or reopens (null) an account. */
export async function setClosedAt(trx: Transaction<Database>, acctid: string, closedAt: number | null, at: number): Promise<void> {
  await trx.updateTable('account').set({ closed_at: closedAt, updated_at: at }).where('acctid', '=', acctid).execute();
}

/** Makes accounts findable by their id and name words, and sortable by name within a word (see search-terms.ts). */
export async function writeSearchTerms(trx: Transaction<Database>, accounts: readonly { acctid: string; name: string }[]): Promise<void> {
  const rows = accounts.flatMap(({ acctid, name }) => {
    const sort_name = sortName(name);
    return termsOf(acctid, name).map((term) => ({ term, acctid, sort_name }));
  });
  // In key order, so a bulk insert walks each index's pages once instead of jumping between them per account.
  rows.sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : a.acctid < b.acctid ? -1 : a.acctid > b.acctid ? 1 : 0));
  await insertRows(trx, 'account_search_term', ['term', 'acctid', 'sort_name'], rows);
}

/** A renamed account's terms: the old name's go (by primary key: they are known, so the table needs no second index), the new name's come. */
export async function replaceSearchTerms(trx: Transaction<Database>, acctid: string, oldName: string, newName: string): Promise<void> {
  await trx.deleteFrom('account_search_term').where('acctid', '=', acctid).where('term', 'in', termsOf(acctid, oldName)).execute();
  await writeSearchTerms(trx, [{ acctid, name: newName }]);
}
