import { z } from 'zod';
import { agingCentsFields, ENTRY_KINDS, type AgingFigures } from '../ledger/index.js';
import type { Statement } from './statement.js';

/**
 * How the API shows a statement: snake_case, money as integer cents (one
 * account's figures stay below 2^53, so every number is exact), business
 * dates as YYYY-MM-DD. The route's response schema serialises with it.
 */
const cents = z.number().int();
const day = z.string().describe('A business date, YYYY-MM-DD.');

export const agingJson = z
  .object({
    current_cents: cents.describe('Open invoices not yet due.'),
    days_1_30_cents: cents.describe('Open invoices 1 to 30 days past due.'),
    days_31_60_cents: cents.describe('Open invoices 31 to 60 days past due.'),
    days_61_90_cents: cents.describe('Open invoices 61 to 90 days past due.'),
    days_over_90_cents: cents.describe('Open invoices more than 90 days past due.'),
    credit_cents: cents.describe('Unapplied payments and credits: zero or negative.'),
    total_cents: cents.describe('The buckets plus credit: the balance of every entry dated on or before the day.'),
  })
  .describe('Aging as of the last day of the period, in integer cents.');

export const statementJson = z.object({
  account: z.object({ acctid: z.string(), name: z.string() }),
  from: day.describe('The first day of the period (included).'),
  to: day.describe('The last day of the period (included): the statement date, and the day aging and open invoices are as of.'),
  opening_balance_cents: cents.describe('The balance (due − paid) of every entry dated before `from`.'),
  entries: z
    .array(
      z.object({
        id: z.number().int(),
        kind: z.enum(ENTRY_KINDS),
        effective_on: day,
        due_on: day.nullable().describe("A charge's or a positive adjustment's due date; null for payments and credits."),
        reference: z.string().nullable(),
        memo: z.string(),
        amount_cents: cents.describe('As recorded: payments and charges positive, adjustments signed.'),
        balance_after_cents: cents.describe("The running balance after this entry in the statement's order (date, then id), from the opening balance; it may differ from the entry's balance_after_cents in the ledger, which is in the order entries were recorded."),
      }),
    )
    .describe('Every entry dated in the period, by date, then id; at most 1,000 (a longer period is a 422 STATEMENT_TOO_LONG).'),
  closing_balance_cents: cents.describe('The opening balance plus the period\'s entries: the balance as of `to`.'),
  aging: agingJson,
  open_invoices: z
    .array(
      z.object({
        id: z.number().int().describe("The charge's entry id."),
        reference: z.string().nullable(),
        effective_on: day,
        due_on: day,
        amount_cents: cents,
        open_cents: cents.describe('What was still unpaid of it on `to`.'),
        days_late: z.number().int().describe('Days past due on `to`; 0 or less while not yet due.'),
      }),
    )
    .describe('Invoices with something unpaid on `to`, oldest due first.'),
});

export type StatementJson = z.output<typeof statementJson>;

export function toAgingJson(aging: AgingFigures): z.output<typeof agingJson> {
  return agingCentsFields(aging);
}

export function toStatementJson(statement: Statement): StatementJson {
  return {
    account: statement.account,
    from: statement.period.from,
    to: statement.period.to,
    opening_balance_cents: statement.openingBalanceCents,
    entries: statement.lines.map((line) => ({
      id: line.id,
      kind: line.kind,
      effective_on: line.effectiveOn,
      due_on: line.dueOn,
      reference: line.reference,
      memo: line.memo,
      amount_cents: line.amountCents,
      balance_after_cents: line.balanceAfterCents,
    })),
    closing_balance_cents: statement.closingBalanceCents,
    aging: toAgingJson(statement.aging),
    open_invoices: statement.openInvoices.map((invoice) => ({
      id: invoice.chargeId,
      reference: invoice.reference,
      effective_on: invoice.effectiveOn,
      due_on: invoice.dueOn,
      amount_cents: invoice.amountCents,
      open_cents: invoice.openCents,
      days_late: invoice.daysLate,
    })),
  };
}
