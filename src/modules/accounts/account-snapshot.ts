import { z } from 'zod';
import { cents as toCents } from '../../shared/money.js';
import type { AccountDetails } from './account.js';

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
  termsDays: z.number().int(),
  paidCents: cents,
  dueCents: cents,
  balanceCents: cents,
  closedAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});
