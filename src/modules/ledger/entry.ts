import { cents, formatCents, negateCents, type Cents } from '../../shared/money.js';
import { isIsoDate, type IsoDate } from '../../shared/dates.js';
import { isBlank } from '../../shared/text.js';

export const ENTRY_KINDS = ['payment', 'charge', 'adjustment'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** 1,000,000,000.00: the largest amount one entry may carry. */
export const MAX_ENTRY_CENTS = cents(100_000_000_000);
export const MEMO_MAX = 500;
/** An invoice number or a cheque number: what the customer quotes. */
export const REFERENCE_MAX = 40;
/** How many invoices one payment may name explicitly. */
export const MAX_ALLOCATIONS = 100;
/**
 * The most an account's total due or total paid may reach: the largest whole
 * number a JavaScript number holds exactly (2^53 - 1 cents), past which totals
 * would be read back wrong.
 */
export const MAX_ACCOUNT_TOTAL_CENTS = cents(Number.MAX_SAFE_INTEGER);

/** Part of a payment or credit the request applies to one invoice (charge) by name. */
export interface AllocationRequest {
  readonly chargeId: number;
  readonly amountCents: Cents;
}

interface EntryCore {
  readonly acctid: string;
  readonly kind: EntryKind;
  /** Positive for payments and charges; an adjustment's sign says which way (+ owed more, − owed less). */
  readonly amountCents: Cents;
  readonly memo: string;
}

export interface NewEntry extends EntryCore {
  /** The business date (an invoice's date, a payment's receipt date); today in the business's time zone when left out. Never in the future. */
  readonly effectiveOn?: IsoDate | undefined;
  /** A charge's due date, not before its date; its date plus the account's terms when left out. Charges only. */
  readonly dueOn?: IsoDate | undefined;
  readonly reference?: string | undefined;
  /** A payment's or credit's invoices by name; what is left is applied oldest due first. */
  readonly allocations?: readonly AllocationRequest[] | undefined;
}

export interface LedgerEntry extends EntryCore {
  readonly id: number;
  readonly effectiveOn: IsoDate;
  /** Charges and positive adjustments (due on their date); null for payments and credits. */
  readonly dueOn: IsoDate | null;
  readonly reference: string | null;
  /** The account's balance (due − paid) just after this entry, in the order entries were recorded. */
  readonly balanceAfterCents: Cents;
  readonly actor: string;
  readonly createdAt: number;
}

/** A charge or a positive adjustment is an invoice; a payment or a negative adjustment is a credit that pays invoices. */
export function isInvoice(kind: EntryKind, amountCents: number): boolean {
  return kind === 'charge' || (kind === 'adjustment' && amountCents > 0);
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
  | 'memo-too-long'
  | 'effective-not-a-date'
  | 'effective-in-future'
  | 'due-not-a-date'
  | 'due-before-effective'
  | 'due-not-on-charge'
  | 'reference-too-long'
  | 'allocations-not-on-credit'
  | 'allocations-too-many'
  | 'allocation-not-positive'
  | 'allocation-repeated'
  | 'allocations-above-amount';

export interface BrokenEntryRule {
  readonly rule: EntryRule;
  readonly field: 'kind' | 'amount' | 'memo' | 'effectiveOn' | 'dueOn' | 'reference' | 'allocations';
}

/** An entry as a form or a request offers it: amounts are any number until the rules have checked them. */
export type EntryDraft = Omit<NewEntry, 'acctid' | 'amountCents' | 'allocations'> & {
  readonly amountCents: number;
  readonly allocations?: readonly { readonly chargeId: number; readonly amountCents: number }[] | undefined;
};

/**
 * Every rule the entry breaks, most fundamental first (an unknown kind or a
 * fraction of a cent stops the checks). `today` (the business's date) refuses
 * a date in the future; without it that rule is left to the ledger.
 */
export function brokenEntryRules(entry: EntryDraft, today?: IsoDate): BrokenEntryRule[] {
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
  broken.push(...brokenDateRules(entry, today), ...brokenAllocationRules(entry));
  if (entry.reference !== undefined && entry.reference.length > REFERENCE_MAX) broken.push({ rule: 'reference-too-long', field: 'reference' });
  return broken;
}

function brokenDateRules({ kind, effectiveOn, dueOn }: EntryDraft, today: IsoDate | undefined): BrokenEntryRule[] {
  const broken: BrokenEntryRule[] = [];
  if (effectiveOn !== undefined) {
    if (!isIsoDate(effectiveOn)) broken.push({ rule: 'effective-not-a-date', field: 'effectiveOn' });
    else if (today !== undefined && effectiveOn > today) broken.push({ rule: 'effective-in-future', field: 'effectiveOn' });
  }
  if (dueOn !== undefined) {
    if (kind !== 'charge') broken.push({ rule: 'due-not-on-charge', field: 'dueOn' });
    else if (!isIsoDate(dueOn)) broken.push({ rule: 'due-not-a-date', field: 'dueOn' });
    else if (dueOn < (effectiveOn !== undefined && isIsoDate(effectiveOn) ? effectiveOn : (today ?? dueOn))) broken.push({ rule: 'due-before-effective', field: 'dueOn' });
  }
  return broken;
}

function brokenAllocationRules({ kind, amountCents, allocations }: EntryDraft): BrokenEntryRule[] {
  if (allocations === undefined || allocations.length === 0) return [];
  if (isInvoice(kind, amountCents)) return [{ rule: 'allocations-not-on-credit', field: 'allocations' }];
  if (allocations.length > MAX_ALLOCATIONS) return [{ rule: 'allocations-too-many', field: 'allocations' }];
  if (allocations.some(({ chargeId, amountCents: part }) => !Number.isSafeInteger(chargeId) || chargeId <= 0 || !Number.isSafeInteger(part) || part <= 0)) {
    return [{ rule: 'allocation-not-positive', field: 'allocations' }];
  }
  if (new Set(allocations.map(({ chargeId }) => chargeId)).size < allocations.length) return [{ rule: 'allocation-repeated', field: 'allocations' }];
  const applied = allocations.reduce((sum, { amountCents: part }) => sum + part, 0);
  return applied > Math.abs(amountCents) ? [{ rule: 'allocations-above-amount', field: 'allocations' }] : [];
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
    case 'effective-not-a-date':
      return 'The date must be a real calendar day, written YYYY-MM-DD.';
    case 'effective-in-future':
      return 'The date cannot be in the future: record the entry on the day it happens.';
    case 'due-not-a-date':
      return 'The due date must be a real calendar day, written YYYY-MM-DD.';
    case 'due-before-effective':
      return "The due date cannot be before the invoice's date.";
    case 'due-not-on-charge':
      return 'Only a charge has a due date (a positive adjustment is due on its date).';
    case 'reference-too-long':
      return `The reference can be at most ${REFERENCE_MAX} characters.`;
    case 'allocations-not-on-credit':
      return 'Only a payment or a credit (a negative adjustment) can be applied to invoices.';
    case 'allocations-too-many':
      return `A payment can name at most ${MAX_ALLOCATIONS} invoices; the rest is applied oldest due first.`;
    case 'allocation-not-positive':
      return 'Each allocation names an invoice (charge id) and an amount of more than 0 cents.';
    case 'allocation-repeated':
      return 'Each invoice can be named once in a payment\'s allocations.';
    case 'allocations-above-amount':
      return `The allocations add up to more than the ${kind}'s amount.`;
  }
}
