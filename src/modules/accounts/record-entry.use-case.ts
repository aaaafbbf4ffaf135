import { writeOnce, fingerprintOf, type Outcome } from '../../platform/db/idempotency.js';
import type { Deps } from '../../deps.js';
import type { Actor } from '../audit/index.js';
import { entrySnapshot, recordEntry, settlementsOf, settlementSnapshot, type EntrySettlement, type LedgerEntry, type NewEntry } from '../ledger/index.js';
import { z } from 'zod';
import { accountSnapshot } from './account-snapshot.js';
import type { AccountDetails } from './account.js';
import { requireAccount } from './account.repository.js';

export interface RecordEntryCommand {
  readonly actor: Actor;
  readonly entry: NewEntry;
  /** Who asks and their idempotency key: the same key and entry again replays the first outcome. */
  readonly once?: { readonly userId: number; readonly key: string } | undefined;
}

/** The entry as recorded, what it paid or what paid it, and the account just after it. */
export interface EntryRecorded {
  readonly entry: LedgerEntry;
  readonly settlement: EntrySettlement;
  readonly account: AccountDetails;
}

// The settlement is absent from what a version before allocations stored (keys live 24 hours): it is read again then.
const entryRecorded = z.object({ entry: entrySnapshot, settlement: settlementSnapshot.optional(), account: accountSnapshot });

/** What the use case needs: the database, and the business time zone that decides what "today" is for an entry's date. */
export type RecordEntryDeps = Pick<Deps, 'db'> & { readonly timeZone: string };

/**
 * Record a payment, charge or adjustment on an account, the one use case
 * behind the account page's form and the API: the entry, the account's totals,
 * its allocations and the audit row in one transaction, at most once per key,
 * run again if the database picked it as a deadlock victim. A replay answers
 * with the first outcome, allocations included.
 * @throws AppError 400 (INVALID_ENTRY), 404 (ACCOUNT_NOT_FOUND), 409 (ACCOUNT_CLOSED), 422 (IDEMPOTENCY_KEY_REUSED, ACCOUNT_TOTAL_LIMIT);
 *   FieldsError 422 for a named invoice that is unknown, not one, or not open enough (fields `allocations.{i}.chargeId`).
 */
export function recordEntryUseCase({ db, timeZone }: RecordEntryDeps) {
  return async function recordEntryOnce({ actor, entry, once }: RecordEntryCommand): Promise<Outcome<EntryRecorded>> {
    const key = once && { ...once, fingerprint: fingerprintOf('ledger.entry', entry) };
    const outcome = await writeOnce(
      db,
      key,
      async (trx) => {
        // The allocations it made are in the settlement, with the invoices' references.
        const recorded: LedgerEntry = await recordEntry(trx, actor, entry, { timeZone });
        const settlement = (await settlementsOf(trx, [recorded])).get(recorded.id);
        if (!settlement) throw new Error(`entry ${recorded.id} has no settlement`);
        return { entry: recorded, settlement, account: await requireAccount(trx, entry.acctid) };
      },
      (stored) => entryRecorded.parse(stored),
    );
    const { entry: recorded, settlement, account } = outcome.value;
    if (settlement) return { ...outcome, value: { entry: recorded, settlement, account } };
    const readNow = (await settlementsOf(db, [recorded])).get(recorded.id);
    if (!readNow) throw new Error(`entry ${recorded.id} has no settlement`);
    return { ...outcome, value: { entry: recorded, settlement: readNow, account } };
  };
}
