import { writeOnce, fingerprintOf, type Outcome } from '../../platform/db/idempotency.js';
import type { Deps } from '../../deps.js';
import type { Actor } from '../audit/index.js';
import type { NewAccountInput } from './account-fields.js';
import { accountSnapshot } from './account-snapshot.js';
import type { AccountDetails } from './account.js';
import { createAccount } from './accounts.service.js';

export interface CreateAccountCommand {
  readonly actor: Actor;
  readonly account: NewAccountInput;
  /** Who asks and their idempotency key: the same key and account again replays the first outcome. */
  readonly once?: { readonly userId: number; readonly key: string } | undefined;
}

/**
 * Create an account, the one use case behind the staff form and the API:
 * one transaction (account, search terms, audit), at most once per key, run
 * again if the database picked it as a deadlock victim.
 * @throws FieldsError 409 when the id is taken; AppError 422 for a key reused with another account.
 */
export function createAccountUseCase({ db }: Pick<Deps, 'db'>) {
  return async function createAccountOnce({ actor, account, once }: CreateAccountCommand): Promise<Outcome<AccountDetails>> {
    const key = once && { ...once, fingerprint: fingerprintOf('account.create', account) };
    return writeOnce(db, key, (trx) => createAccount(trx, actor, account), (stored) => accountSnapshot.parse(stored));
  };
}
