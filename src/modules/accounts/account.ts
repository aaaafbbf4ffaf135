import { subtractCents, type Cents } from '../../shared/money.js';

export const ACCTID_MAX_LENGTH = 15;

/** Payment terms: an invoice is due this many days after its date unless it says otherwise. */
export const DEFAULT_TERMS_DAYS = 30;
export const MAX_TERMS_DAYS = 365;

/** Payment terms as invoices write them: "Net 30", or "Due on receipt" for 0 days. */
export function paymentTermsLabel(termsDays: number): string {
  return termsDays === 0 ? 'Due on receipt' : `Net ${termsDays}`;
}

/** Letters, digits and - _ . ; the seed's ids look like ACCT100. */
const ACCTID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface Account {
  readonly acctid: string;
  readonly paidCents: Cents;
  readonly dueCents: Cents;
}

/** An account as staff see it. */
export interface AccountDetails extends Account {
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly notes: string;
  /** Days from an invoice's date to its due date (0–365). */
  readonly termsDays: number;
  /** Whether overdue reminders are sent to the account (on unless staff turned them off). */
  readonly reminders: boolean;
  readonly balanceCents: Cents;
  /** Milliseconds since the epoch; null while open. */
  readonly closedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function balanceCents(account: Account): Cents {
  return subtractCents(account.dueCents, account.paidCents);
}

export type AcctIdCheck =
  | { readonly ok: true; readonly acctid: string }
  | { readonly ok: false; readonly reason: 'empty' | 'too-long' | 'bad-characters' };

/**
 * Ids are stored upper-case, so a lookup is case-insensitive on every
 * database whatever its collation. Surrounding blanks are forgiven.
 */
export function normalizeAcctId(input: string): AcctIdCheck {
  const trimmed = input.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty' };
  if (trimmed.length > ACCTID_MAX_LENGTH) return { ok: false, reason: 'too-long' };
  // Checked before changing case: toUpperCase() maps some non-ASCII letters
  // into ASCII ("ı" → "I", "ſ" → "S", "ﬀ" → "FF"), which would let them pass.
  if (!ACCTID_PATTERN.test(trimmed)) return { ok: false, reason: 'bad-characters' };
  return { ok: true, acctid: trimmed.toUpperCase() };
}

export const ACCTID_PROBLEMS: Readonly<Record<Exclude<AcctIdCheck, { ok: true }>['reason'], string>> = {
  empty: 'Please enter an account ID.',
  'too-long': `Account IDs are at most ${ACCTID_MAX_LENGTH} characters long.`,
  'bad-characters': 'Account IDs contain only letters, digits, hyphens, underscores and dots.',
};
