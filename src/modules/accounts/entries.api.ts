import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { cents, formatCents } from '../../shared/money.js';
import { idempotencyHeaders, idempotencyKeyOf, markReplayed } from '../../platform/http/idempotency-key.js';
import type { Database } from '../../schema.js';
import { brokenEntryRules, ENTRY_KINDS, listEntries, MAX_ACCOUNT_TOTAL_CENTS, MAX_ENTRY_CENTS, MEMO_MAX, type EntryRule, type LedgerEntry } from '../ledger/index.js';
import { actorOf, ownKey } from '../staff/index.js';
import { multiLineText } from '../../platform/http/text-hygiene.js';
import { strictObjectErrors } from '../../platform/http/strict-object-errors.js';
import { isoTime } from '../../shared/time.js';
import { accountJson, acctidParams, toAccountJson } from './account.json.js';
import { accountPath, prefixOf } from './account-path.js';
import { requireAccount } from './account.repository.js';
import { recordEntryUseCase } from './record-entry.use-case.js';

export const ENTRIES_PAGE_SIZE = 50;
export const ENTRIES_MAX_LIMIT = 200;

const LIMIT_RULE = `limit must be a whole number from 1 to ${ENTRIES_MAX_LIMIT}.`;
const BEFORE_RULE = 'before must be an entry id (a positive whole number) from a previous page: start again from the newest entries.';

const entriesQuery = z.strictObject(
  {
    before: z.coerce
      .number({ error: BEFORE_RULE })
      .int({ error: BEFORE_RULE })
      .positive({ error: BEFORE_RULE })
      .max(Number.MAX_SAFE_INTEGER, { error: BEFORE_RULE })
      .optional()
      .describe('Continue below this entry id (from the previous page\'s "next" link).'),
    limit: z.coerce.number({ error: LIMIT_RULE }).int({ error: LIMIT_RULE }).min(1, { error: LIMIT_RULE }).max(ENTRIES_MAX_LIMIT, { error: LIMIT_RULE }).default(ENTRIES_PAGE_SIZE),
  },
  { error: strictObjectErrors('query parameter', ['before', 'limit']) },
);

const AMOUNT_RULE = 'amount_cents must be a whole number of cents (an integer: 1050 is 10.50 USD).';
const LIMIT_TEXT = `${MAX_ENTRY_CENTS} (${formatCents(MAX_ENTRY_CENTS)})`;

/** How the API words each entry rule, in its own field names (the memo's length and the kind are the schema's). */
const API_WORDING: Partial<Record<EntryRule, (kind: string) => string>> = {
  'adjustment-zero': () => 'An adjustment must change the balance: amount_cents cannot be 0.',
  'adjustment-too-large': () => `An adjustment's amount_cents can be at most ${LIMIT_TEXT} either way.`,
  'adjustment-without-memo': () => 'An adjustment needs a memo saying why.',
  'amount-not-positive': (kind) => `A ${kind}'s amount_cents must be more than 0 and at most ${LIMIT_TEXT}.`,
  'amount-too-large': (kind) => `A ${kind}'s amount_cents must be more than 0 and at most ${LIMIT_TEXT}.`,
};
const API_FIELD = { kind: 'kind', amount: 'amount_cents', memo: 'memo', effectiveOn: 'effective_on', dueOn: 'due_on', reference: 'reference', allocations: 'allocations' } as const;

/** An entry as the API takes it; the ledger's rules (brokenEntryRules) answer in the API's words. */
const newEntryBody = z
  .strictObject(
    {
      kind: z.enum(ENTRY_KINDS, { error: `kind must be one of: ${ENTRY_KINDS.join(', ')}.` }),
      amount_cents: z
        .number({ error: AMOUNT_RULE })
        .int({ error: AMOUNT_RULE })
        .describe(`Integer cents. A payment or charge: more than 0. An adjustment: signed (+ owed more, − owed less), not 0. At most ${LIMIT_TEXT} either way.`),
      memo: multiLineText(z.string({ error: 'memo must be text.' }).max(MEMO_MAX, { error: `memo can be at most ${MEMO_MAX} characters.` }))
        .optional()
        .describe('Required for an adjustment: why.'),
    },
    { error: strictObjectErrors('field', ['kind', 'amount_cents', 'memo']) },
  )
  .superRefine(({ kind, amount_cents: amountCents, memo = '' }, context) => {
    for (const { rule, field } of brokenEntryRules({ kind, amountCents, memo })) {
      const wording = API_WORDING[rule];
      if (wording) context.addIssue({ code: 'custom', path: [API_FIELD[field]], message: wording(kind) });
    }
  });

const entryJson = z.object({
  id: z.number().int(),
  kind: z.enum(ENTRY_KINDS),
  amount_cents: z.number().int().describe('Integer cents; an adjustment is signed.'),
  amount: z.string().describe('The same amount as the app shows it, e.g. "40.00 USD".'),
  balance_after_cents: z.number().int().describe("The account's balance (due − paid) just after this entry, in integer cents."),
  balance_after: z.string(),
  memo: z.string(),
  actor: z.string().describe('Who recorded it (a staff user name, or seed/cli).'),
  at: z.string().describe('ISO 8601 date-time in UTC.'),
});

function toEntryJson(entry: LedgerEntry): z.output<typeof entryJson> {
  return {
    id: entry.id,
    kind: entry.kind,
    amount_cents: entry.amountCents,
    amount: formatCents(entry.amountCents),
    balance_after_cents: entry.balanceAfterCents,
    balance_after: formatCents(entry.balanceAfterCents),
    memo: entry.memo,
    actor: entry.actor,
    at: isoTime(entry.createdAt),
  };
}

const entriesPage = z.object({
  entries: z.array(entryJson).describe('Newest first.'),
  next: z.string().nullable().describe('The path of the next (older) page, or null after the last.'),
});

const recorded = z.object({ entry: entryJson, account: accountJson.describe('The account just after the entry.') });

/**
 * An account's ledger for scripts: GET lists entries newest first with their
 * running balance (accounts:read), POST records a payment, charge or
 * adjustment (payments:record), honouring Idempotency-Key.
 */
export const entriesApiRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database> }> = async (app, { db }) => {
  const recordEntryOnce = recordEntryUseCase({ db });

  app.get(
    '/accounts/:acctid/entries',
    {
      config: { access: 'accounts:read' },
      schema: { summary: "List an account's ledger entries, newest first", operationId: 'listEntries', params: acctidParams, querystring: entriesQuery, response: { 200: entriesPage } },
    },
    async (request) => {
      const { acctid } = request.params;
      const { before, limit } = request.query;
      // An unknown account is a 404, not an empty list.
      await requireAccount(db, acctid);
      const { entries, hasMore } = await listEntries(db, acctid, { before, limit });
      const last = entries.at(-1);
      const next = hasMore && last ? `${accountPath(acctid, prefixOf(request.routeOptions.url))}/entries?${new URLSearchParams({ limit: String(limit), before: String(last.id) }).toString()}` : null;
      return { entries: entries.map(toEntryJson), next };
    },
  );

  app.post(
    '/accounts/:acctid/entries',
    {
      config: {
        access: 'payments:record',
        problems: {
          '404': 'No account with this ID.',
          '409': 'A closed account refuses charges (code ACCOUNT_CLOSED).',
          '422':
            `The entry would take the account's total due or total paid past ${MAX_ACCOUNT_TOTAL_CENTS} cents (2^53 − 1, ${formatCents(MAX_ACCOUNT_TOTAL_CENTS)}), the most one account can hold ` +
            '(code ACCOUNT_TOTAL_LIMIT); or the Idempotency-Key was used before with another body (code IDEMPOTENCY_KEY_REUSED).',
        },
      },
      schema: {
        summary: 'Record a payment, charge or adjustment',
        operationId: 'createEntry',
        description:
          'A closed account refuses charges (409). Honours an Idempotency-Key header: a retry with the same key and body gets the first answer again ' +
          '(with Idempotent-Replayed: true) and records nothing; the same key with another body is refused (422). Keys are per user and kept 24 hours.',
        params: acctidParams,
        headers: idempotencyHeaders,
        body: newEntryBody,
        response: { 201: recorded },
      },
    },
    async (request, reply) => {
      const { acctid } = request.params;
      const { kind, amount_cents: amountCents, memo = '' } = request.body;
      const { value, replayed } = await recordEntryOnce({
        actor: actorOf(request),
        entry: { acctid, kind, amountCents: cents(amountCents), memo },
        once: ownKey(request, idempotencyKeyOf(request)),
      });
      markReplayed(reply, replayed);
      return reply.code(201).send({ entry: toEntryJson(value.entry), account: toAccountJson(value.account) });
    },
  );
};
