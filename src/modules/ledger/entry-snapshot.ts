import { z } from 'zod';
import { utcDateOf } from '../../shared/dates.js';
import { cents } from '../../shared/money.js';
import { ENTRY_KINDS, isInvoice, type LedgerEntry } from './entry.js';

/**
 * An entry as an idempotent write stored it (JSON), read back into the domain.
 * Keys live 24 hours, so a replay may read what a version before business
 * dates stored: such an entry gets the date, due date and reference the
 * receivables migration gave it (the UTC day it was recorded; an invoice due
 * that day; none).
 */
export const entrySnapshot: z.ZodType<LedgerEntry> = z
  .object({
    id: z.number().int(),
    acctid: z.string(),
    kind: z.enum(ENTRY_KINDS),
    amountCents: z.number().int().transform(cents),
    balanceAfterCents: z.number().int().transform(cents),
    memo: z.string(),
    effectiveOn: z.string().optional(),
    dueOn: z.string().nullable().optional(),
    reference: z.string().nullable().default(null),
    actor: z.string(),
    createdAt: z.number().int(),
  })
  .transform(({ effectiveOn, dueOn, ...entry }) => {
    const day = effectiveOn ?? utcDateOf(entry.createdAt);
    return { ...entry, effectiveOn: day, dueOn: dueOn === undefined ? (isInvoice(entry.kind, entry.amountCents) ? day : null) : dueOn };
  });
