import { z } from 'zod';
import { formatCents } from '../../shared/money.js';
import { isoTime } from '../../shared/time.js';
import { acctidField } from './account-fields.js';
import { MAX_TERMS_DAYS, type AccountDetails } from './account.js';

/**
 * How the JSON API shows an account: snake_case fields, money as integer
 * cents beside the one formatted string ("40.00 USD"), never a float, and
 * times as ISO 8601 in UTC. The routes' response schemas serialise with it,
 * so nothing else leaves.
 */
const cents = z.number().int().describe('Integer cents (100 = 1.00 USD); never a float.');
const money = z.string().describe('The same amount as the app shows it, e.g. "40.00 USD".');
const instant = z.string().describe('ISO 8601 date-time in UTC, e.g. 2026-11-29T09:30:00.000Z.');

export const accountJson = z.object({
  acctid: z.string().describe('Upper-case account ID.'),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  notes: z.string(),
  terms_days: z.number().int().min(0).max(MAX_TERMS_DAYS).describe('Payment terms: days from an invoice\'s date to its due date (0 = due on receipt).'),
  reminders: z.boolean().describe('Whether overdue reminders are e-mailed to the account.'),
  status: z.enum(['open', 'closed']),
  closed_at: instant.nullable().describe('When the account was closed (ISO 8601, UTC), or null while open.'),
  paid_cents: cents,
  paid: money,
  due_cents: cents,
  due: money,
  balance_cents: cents.describe('due − paid in integer cents: positive means the customer owes.'),
  balance: money,
  created_at: instant,
  updated_at: instant,
});
export type AccountJson = z.output<typeof accountJson>;

export function toAccountJson(account: AccountDetails): AccountJson {
  return {
    acctid: account.acctid,
    name: account.name,
    email: account.email,
    phone: account.phone,
    notes: account.notes,
    terms_days: account.termsDays,
    reminders: account.reminders,
    status: account.closedAt === null ? 'open' : 'closed',
    closed_at: account.closedAt === null ? null : isoTime(account.closedAt),
    paid_cents: account.paidCents,
    paid: formatCents(account.paidCents),
    due_cents: account.dueCents,
    due: formatCents(account.dueCents),
    balance_cents: account.balanceCents,
    balance: formatCents(account.balanceCents),
    created_at: isoTime(account.createdAt),
    updated_at: isoTime(account.updatedAt),
  };
}

/** The `{acctid}` path parameter: trimmed, upper-cased, and refused with the id rules' message when malformed. */
export const acctidParams = z.object({ acctid: acctidField });
