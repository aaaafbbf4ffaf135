import { writeOnce, fingerprintOf, type Outcome } from '../../platform/db/idempotency.js';
import type { Deps } from '../../deps.js';
import type { Actor } from '../audit/index.js';
import { entrySnapshot, recordEntry, type LedgerEntry, type NewEntry } from '../ledger/index.js';
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

/** The entry as recorded and the account just after it. */
export interface EntryRecorded {
  readonly entry: LedgerEntry;
  readonly account: AccountDetails;
}

const entryRecorded = z.object({ entry: entrySnapshot, account: accountSnapshot });

/**
 * Record a payment, charge or adjustment on an account, the one use case
 * behind the account page's form and the API: the entry, the account's totals
 * and the audit row in one transaction, at most once per key, run again if
 * the database picked it as a deadlock victim.
 * @throws AppError 400 (INVALID_ENTRY), 404 (ACCOUNT_NOT_FOUND), 409 (ACCOUNT_CLOSED), 422 (IDEMPOTENCY_KEY_REUSED).
 */
export function recordEntryUseCase({ db }: Pick<Deps, 'db'>) {
  return async function recordEntryOnce({ actor, entry, once }: RecordEntryCommand): Promise<Outcome<EntryRecorded>> {
    const key = once && { ...once, fingerprint: fingerprintOf('ledger.entry', entry) };
    return writeOnce(
      db,
      key,
      async (trx) => {
        const recorded = await recordEntry(trx, actor, entry);
        return { entry: recorded, account: await requireAccount(trx, entry.acctid) };
      },
      (stored) => entryRecorded.parse(stored),
    );
  };
}
