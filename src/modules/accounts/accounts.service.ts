import type { Transaction } from 'kysely';
import { isUniqueViolation } from '../../platform/db/constraint.js';
import { AppError, FieldsError } from '../../shared/errors.js';
import { ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Database } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { recordOpeningEntries } from '../ledger/index.js';
import { DEFAULT_TERMS_DAYS, type AccountDetails } from './account.js';
import type { AccountChanges, NewAccountInput } from './account-fields.js';
import { insertAccounts, replaceSearchTerms, requireAccount, setClosedAt, updateAccountColumns, writeSearchTerms, type AccountColumnChanges } from './account.repository.js';

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
  try {
    await insertAccounts(trx, accounts, at);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const taken = accounts.length === 1 ? accounts[0]?.acctid : 'one of these IDs';
    throw new FieldsError(409, 'DUPLICATE_ACCOUNT', { acctid: `An account with ID ${taken} already exists.` });
  }
  await writeSearchTerms(trx, accounts);
  await recordOpeningEntries(
    trx,
    actor,
    accounts.map((account) => ({ acctid: account.acctid, paidCents: account.openingPaidCents ?? ZERO_CENTS, dueCents: account.openingDueCents ?? ZERO_CENTS })),
    { at },
  );
  const [only] = accounts;
  if (accounts.length === 1 && only) {
    await recordAudit(trx, actor, { action: 'account.created', target: only.acctid, after: detailsForAudit(only) }, at);
  } else {
    await recordAudit(trx, actor, { action: 'account.imported', target: `${accounts.length} accounts`, after: { count: accounts.length, first: accounts[0]?.acctid, last: accounts.at(-1)?.acctid } }, at);
  }
}

function detailsForAudit(account: NewAccount): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const key of ['name', 'email', 'phone', 'notes', 'openingPaidCents', 'openingDueCents'] as const) {
    if (account[key] !== undefined) shown[key] = account[key];
  }
  // The terms the account starts with, given or not: the audit says what invoices will be due on.
  shown.terms_days = account.terms_days ?? DEFAULT_TERMS_DAYS;
  shown.reminders = account.reminders ?? true;
  return shown;
}

export async function createAccount(trx: Transaction<Database>, actor: Actor, account: NewAccount, at = Date.now()): Promise<AccountDetails> {
  await createAccounts(trx, actor, [account], at);
  return requireAccount(trx, account.acctid);
}

/**
 * Changes name, email, phone, notes, payment terms or reminders; the audit keeps what
 * each changed field was and became. New terms apply to invoices recorded
 * from now on: a recorded invoice keeps the due date it was given.
 */
export async function updateAccount(trx: Transaction<Database>, actor: Actor, acctid: string, changes: AccountChanges, at = Date.now()): Promise<AccountDetails> {
  const before = await requireAccount(trx, acctid, true);
  const stored: Required<AccountColumnChanges> = { name: before.name, email: before.email, phone: before.phone, notes: before.notes, terms_days: before.termsDays, reminders: before.reminders };
  const changed: AccountColumnChanges = {};
  if (changes.name !== undefined && changes.name !== stored.name) changed.name = changes.name;
  if (changes.email !== undefined && changes.email !== stored.email) changed.email = changes.email;
  if (changes.phone !== undefined && changes.phone !== stored.phone) changed.phone = changes.phone;
  if (changes.notes !== undefined && changes.notes !== stored.notes) changed.notes = changes.notes;
  if (changes.terms_days !== undefined && changes.terms_days !== stored.terms_days) changed.terms_days = changes.terms_days;
  if (changes.reminders !== undefined && changes.reminders !== stored.reminders) changed.reminders = changes.reminders;
  if (Object.keys(changed).length === 0) return before;
  await updateAccountColumns(trx, acctid, changed, at);
  if (changed.name !== undefined) await replaceSearchTerms(trx, acctid, before.name, changed.name);
  const was = Object.fromEntries(Object.keys(changed).map((key) => [key, stored[key as keyof AccountColumnChanges]]));
  await recordAudit(trx, actor, { action: 'account.updated', target: acctid, before: was, after: changed }, at);
  return requireAccount(trx, acctid);
}

/** Closes (closed = true) or reopens an account; a closed account keeps its history, takes payments and refuses charges. */
export async function setAccountClosed(trx: Transaction<Database>, actor: Actor, acctid: string, closed: boolean, at = Date.now()): Promise<AccountDetails> {
  const before = await requireAccount(trx, acctid, true);
  if ((before.closedAt !== null) === closed) {
    throw new AppError(409, closed ? 'ACCOUNT_ALREADY_CLOSED' : 'ACCOUNT_ALREADY_OPEN', `Account ${acctid} is already ${closed ? 'closed' : 'open'}.`);
  }
  await setClosedAt(trx, acctid, closed ? at : null, at);
  await recordAudit(trx, actor, { action: closed ? 'account.closed' : 'account.reopened', target: acctid }, at);
  return requireAccount(trx, acctid);
}
