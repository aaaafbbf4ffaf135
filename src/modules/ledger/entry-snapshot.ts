import { z } from 'zod';
import { cents } from '../../shared/money.js';
import { ENTRY_KINDS, type LedgerEntry } from './entry.js';

/** An entry as an idempotent write stored it (JSON), read back into the domain. */
export const entrySnapshot: z.ZodType<LedgerEntry> = z.object({
  id: z.number().int(),
  acctid: z.string(),
  kind: z.enum(ENTRY_KINDS),
  amountCents: z.number().int().transform(cents),
  balanceAfterCents: z.number().int().transform(cents),
  memo: z.string(),
  effectiveOn: z.string(),
  dueOn: z.string().nullable(),
  reference: z.string().nullable(),
  actor: z.string(),
  createdAt: z.number().int(),
});
