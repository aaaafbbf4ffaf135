import type { Transaction } from 'kysely';
import { isUniqueViolation } from '../../platform/db/constraint.js';
import { lockForUpdate } from '../../platform/db/dialect.js';
import { AppError, FieldsError } from '../../shared/errors.js';
import { centsFromColumn, type Cents } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { recordOpeningEntries } from '../ledger/index.js';
import type { Account } from './account.js';
import type { AccountChanges, NewAccountInput } from './account-fields.js';
import type { AccountRow } from './account.table.js';
import { sortName, termsOf } from './search-terms.js';

/** An account as staff see it. */
export interface AccountDetails extends Account {
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly notes: string;
  readonly balanceCents: Cents;
  /** Milliseconds since the epoch; null while open. */
  readonly closedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const ACCOUNT_COLUMNS = ['acctid', 'name', 'email', 'phone', 'notes', 'paid_cents', 'due_cents', 'balance_cents', 'closed_at', 'created_at', 'updated_at'] as const;

export function toAccountDetails(row: Pick<AccountRow, (typeof ACCOUNT_COLUMNS)[number]>): AccountDetails {
  return {
    acctid: row.acctid,
    name: row.name,
    email: row.email,
    phone: row.phone,
    notes: row.notes,
    paidCents: centsFromColumn(row.paid_cents),
    dueCents: centsFromColumn(row.due_cents),
    balanceCents: centsFromColumn(row.balance_cents),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export async function getAccount(db: Queryable, acctid: string): Promise<AccountDetails | undefined> {
  const row = await db.selectFrom('account').select(ACCOUNT_COLUMNS).where('acctid', '=', acctid).executeTakeFirst();
  return row && toAccountDetails(row);
}

/** The account, or a 404 that names it. */
export async function requireAccount(db: Queryable, acctid: string, lock = false): Promise<AccountDetails> {
  const query = db.selectFrom('account').select(ACCOUNT_COLUMNS).where('acctid', '=', acctid);
  const row = await (lock ? lockForUpdate(db, query) : query).executeTakeFirst();
  if (!row) throw new AppError(404, 'ACCOUNT_NOT_FOUND', `There is no account ${acctid}.`);
  return toAccountDetails(row);
}

/** Makes accounts findable by their id and name words, and sortable by name within a word (see search-terms.ts). */
export async function writeSearchTerms(trx: Transaction<Database>, accounts: readonly { acctid: string; name: string }[]): Promise<void> {
  const rows = accounts.flatMap(({ acctid, name }) => termsOf(acctid, name).map((term) => ({ term, acctid, sort_name: sortName(name) })));
  if (rows.length > 0) await trx.insertInto('account_search_term').values(rows).execute();
}

/** A new account with the totals it starts with (an import's paid/due), or zero. */
export interface NewAccount extends NewAccountInput {
  readonly openingPaidCents?: Cents;
  readonly openingDueCents?: Cents;
}

/**
 * Inserts accounts with their search terms and opening ledger entries, in the
 * caller's transaction, and audits them: one event per account for a single
 * one, one for the batch otherwise (an import of a million rows).
 * @throws FieldsError 409 when an id is taken.
 */
export async function createAccounts(trx: Transaction<Database>, actor: Actor, accounts: readonly NewAccount[], at = Date.now()): Promise<void> {
  if (accounts.length === 0) return;
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
      paid_cents: paid,
      due_cents: due,
      balance_cents: due - paid,
      created_at: at,
      updated_at: at,
    };
  });
  try {
    await trx.insertInto('account').values(rows).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const taken = accounts.length === 1 ? accounts[0]?.acctid : 'one of these IDs';
    throw new FieldsError(409, 'DUPLICATE_ACCOUNT', { acctid: `An account with ID ${taken} already exists.` });
  }
  await writeSearchTerms(trx, accounts);
  await recordOpeningEntries(
    trx,
    actor,
    accounts.map((account) => ({ acctid: account.acctid, paidCents: account.openingPaidCents ?? 0, dueCents: account.openingDueCents ?? 0 })),
    at,
  );
  const [only] = accounts;
  if (accounts.length === 1 && only) {
    await recordAudit(trx, actor, { action: 'account.created', target: only.acctid, after: detailsForAudit(only) }, at);
  } else {
    await recordAudit(trx, actor, { action: 'account.imported', target: `${accounts.length} accounts`, after: { count: accounts.length, first: accounts[0]?.acctid, last: accounts.at(-1)?.acctid } }, at);
  }
}

function detailsForAudit(account: Partial<NewAccount>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const key of ['name', 'email', 'phone', 'notes', 'openingPaidCents', 'openingDueCents'] as const) {
     
    if (account[key] !== undefined) shown[key] = account[key];
  }
  return shown;
}

export async function createAccount(trx: Transaction<Database>, actor: Actor, account: NewAccount, at = Date.now()): Promise<AccountDetails> {
  await createAccounts(trx, actor, [account], at);
  return requireAccount(trx, account.acctid);
}

/** Changes name, email, phone or notes; the audit keeps what each changed field was and became. */
export async function updateAccount(trx: Transaction<Database>, actor: Actor, acctid: string, changes: AccountChanges, at = Date.now()): Promise<AccountDetails> {
  const before = await requireAccount(trx, acctid, true);
  const changed: { name?: string; email?: string | null; phone?: string | null; notes?: string } = {};
  if (changes.name !== undefined && changes.name !== before.name) changed.name = changes.name;
  if (changes.email !== undefined && changes.email !== before.email) changed.email = changes.email;
  if (changes.phone !== undefined && changes.phone !== before.phone) changed.phone = changes.phone;
  if (changes.notes !== undefined && changes.notes !== before.notes) changed.notes = changes.notes;
  if (Object.keys(changed).length === 0) return before;
  await trx
    .updateTable('account')
    .set({ ...changed, ...(changed.name === undefined ? {} : { sort_name: sortName(changed.name) }), updated_at: at })
    .where('acctid', '=', acctid)
    .execute();
  if (changed.name !== undefined) {
    // By primary key: the old name's terms are known, so the table needs no second index.
    await trx.deleteFrom('account_search_term').where('acctid', '=', acctid).where('term', 'in', termsOf(acctid, before.name)).execute();
    await writeSearchTerms(trx, [{ acctid, name: changed.name }]);
  }
  const was = Object.fromEntries(Object.keys(changed).map((key) => [key, before[key as keyof AccountChanges]]));
  await recordAudit(trx, actor, { action: 'account.updated', target: acctid, before: was, after: changed }, at);
  return requireAccount(trx, acctid);
}

/** Closes (closed = true) or reopens an account; a closed account keeps its history, takes payments and refuses charges. */
export async function setAccountClosed(trx: Transaction<Database>, actor: Actor, acctid: string, closed: boolean, at = Date.now()): Promise<AccountDetails> {
  const before = await requireAccount(trx, acctid, true);
  if ((before.closedAt !== null) === closed) {
    throw new AppError(409, closed ? 'ACCOUNT_ALREADY_CLOSED' : 'ACCOUNT_ALREADY_OPEN', `Account ${acctid} is already ${closed ? 'closed' : 'open'}.`);
  }
  await trx
    .updateTable('account')
    .set({ closed_at: closed ? at : null, updated_at: at })
    .where('acctid', '=', acctid)
    .execute();
  await recordAudit(trx, actor, { action: closed ? 'account.closed' : 'account.reopened', target: acctid }, at);
  return requireAccount(trx, acctid);
}
