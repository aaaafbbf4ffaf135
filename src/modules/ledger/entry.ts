import { cents, formatCents, negateCents, type Cents } from '../../shared/money.js';
import { isBlank } from '../../shared/text.js';

export const ENTRY_KINDS = ['payment', 'charge', 'adjustment'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** 1,000,000,000.00: the largest amount one entry may carry. */
export const MAX_ENTRY_CENTS = cents(100_000_000_000);
export const MEMO_MAX = 500;
/**
 * The most an account's total due or total paid may reach: the largest whole
 * number a JavaScript number holds exactly (2^53 - 1 cents), past which totals
 * would be read back wrong.
 */
export const MAX_ACCOUNT_TOTAL_CENTS = cents(Number.MAX_SAFE_INTEGER);

export interface NewEntry {
  readonly acctid: string;
  readonly kind: EntryKind;
  /** Positive for payments and charges; an adjustment's sign says which way (+ owed more, − owed less). */
  readonly amountCents: Cents;
  readonly memo: string;
}

export interface LedgerEntry extends NewEntry {
  readonly id: number;
  /** The account's balance (due − paid) just after this entry. */
  readonly balanceAfterCents: Cents;
  readonly actor: string;
  readonly createdAt: number;
}

/** How an entry moves the balance (due − paid): a payment lowers it, a charge raises it, an adjustment by its sign. */
export function balanceEffect(kind: EntryKind, amountCents: Cents): Cents {
  return kind === 'payment' ? negateCents(amountCents) : amountCents;
}

/** Which total an entry moves, and by how much (always up: totals never go below zero). */
export function effectOf(kind: EntryKind, amountCents: Cents): { column: 'paid_cents' | 'due_cents'; by: Cents } {
  if (kind === 'payment') return { column: 'paid_cents', by: amountCents };
  if (kind === 'charge') return { column: 'due_cents', by: amountCents };
  // A negative adjustment is a credit: it counts as paid.
  return amountCents > 0 ? { column: 'due_cents', by: amountCents } : { column: 'paid_cents', by: negateCents(amountCents) };
}

/**
 * The rules an entry must meet, each named, so every door words them for its
 * audience (a form speaks to a person, the API in its field names) while the
 * rules themselves live here once.
 */
export type EntryRule =
  | 'unknown-kind'
  | 'not-whole-cents'
  | 'adjustment-zero'
  | 'adjustment-too-large'
  | 'adjustment-without-memo'
  | 'amount-not-positive'
  | 'amount-too-large'
  | 'memo-too-long';

export interface BrokenEntryRule {
  readonly rule: EntryRule;
  readonly field: 'kind' | 'amount' | 'memo';
}

/** An entry as a form or a request offers it: the amount is any number until the rules have checked it. */
export type EntryDraft = Omit<NewEntry, 'acctid' | 'amountCents'> & { readonly amountCents: number };

/** Every rule the entry breaks, most fundamental first (an unknown kind or a fraction of a cent stops the checks). */
export function brokenEntryRules(entry: EntryDraft): BrokenEntryRule[] {
  const { kind, amountCents, memo } = entry;
  if (!(ENTRY_KINDS as readonly string[]).includes(kind)) return [{ rule: 'unknown-kind', field: 'kind' }];
  if (!Number.isSafeInteger(amountCents)) return [{ rule: 'not-whole-cents', field: 'amount' }];
  const broken: BrokenEntryRule[] = [];
  if (kind === 'adjustment') {
    if (amountCents === 0) broken.push({ rule: 'adjustment-zero', field: 'amount' });
    else if (Math.abs(amountCents) > MAX_ENTRY_CENTS) broken.push({ rule: 'adjustment-too-large', field: 'amount' });
    if (isBlank(memo)) broken.push({ rule: 'adjustment-without-memo', field: 'memo' });
  } else if (amountCents <= 0) {
    broken.push({ rule: 'amount-not-positive', field: 'amount' });
  } else if (amountCents > MAX_ENTRY_CENTS) {
    broken.push({ rule: 'amount-too-large', field: 'amount' });
  }
  if (memo.length > MEMO_MAX) broken.push({ rule: 'memo-too-long', field: 'memo' });
  return broken;
}

const LIMIT = formatCents(MAX_ENTRY_CENTS);

/** The ledger's own wording of each rule: what a refused entry says when no door words it first. */
export function entryRuleMessage(rule: EntryRule, kind: string): string {
  switch (rule) {
    case 'unknown-kind':
      return `The kind must be one of: ${ENTRY_KINDS.join(', ')}.`;
    case 'not-whole-cents':
      return 'The amount must be a whole number of cents.';
    case 'adjustment-zero':
      return 'An adjustment must change the balance: its amount cannot be zero.';
    case 'adjustment-too-large':
      return `An adjustment can be at most ${LIMIT} either way.`;
    case 'adjustment-without-memo':
      return 'An adjustment needs a memo saying why.';
    case 'amount-not-positive':
    case 'amount-too-large':
      return `A ${kind}'s amount must be more than 0.00 and at most ${LIMIT}.`;
    case 'memo-too-long':
      return `The memo can be at most ${MEMO_MAX} characters.`;
  }
}
