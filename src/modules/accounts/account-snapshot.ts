import { z } from 'zod';
import { cents as toCents } from '../../shared/money.js';
import { DEFAULT_TERMS_DAYS, type AccountDetails } from './account.js';

const cents = z.number().int().transform(toCents);
const instant = z.number().int();

/**
 * An account as an idempotent write stored it (JSON), read back into the
 * domain: a replay answers from exactly what the first write returned.
 */
export const accountSnapshot: z.ZodType<AccountDetails> = z.object({
  acctid: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  notes: z.string(),
  // Absent from what a version before payment terms stored: the migration's default.
  termsDays: z.number().int().default(DEFAULT_TERMS_DAYS),
  // Absent from what a version before reminders stored: the migration's default.
  reminders: z.boolean().default(true),
  paidCents: cents,
  dueCents: cents,
  balanceCents: cents,
  closedAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});
