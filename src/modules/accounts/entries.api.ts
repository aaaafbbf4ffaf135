import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { dateIn, isIsoDate, type IsoDate } from '../../shared/dates.js';
import { FieldsError } from '../../shared/errors.js';
import { cents, formatCents } from '../../shared/money.js';
import { idempotencyHeaders, idempotencyKeyOf, markReplayed } from '../../platform/http/idempotency-key.js';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import {
  brokenEntryRules,
  ENTRY_KINDS,
  isInvoice,
  listEntries,
  MAX_ACCOUNT_TOTAL_CENTS,
  MAX_ALLOCATIONS,
  MAX_ENTRY_CENTS,
  MEMO_MAX,
  REFERENCE_MAX,
  settlementsOf,
  type EntryRule,
  type EntrySettlement,
  type LedgerEntry,
} from '../ledger/index.js';
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

/** What the API's wording of a rule may mention besides the entry's kind. */
interface WordingContext {
  readonly kind: string;
  /** Today in the business time zone, and that zone. */
  readonly today: IsoDate;
  readonly timeZone: string;
}

/**
 * How the API words each entry rule, in its own field names. The rules left
 * out are the schema's own (the kind, the memo's and the reference's length,
 * dates that do not exist, each allocation's fields and their number), so
 * each refusal is said once.
 */
const API_WORDING: Partial<Record<EntryRule, (context: WordingContext) => string>> = {
  'adjustment-zero': () => 'An adjustment must change the balance: amount_cents cannot be 0.',
  'adjustment-too-large': () => `An adjustment's amount_cents can be at most ${LIMIT_TEXT} either way.`,
  'adjustment-without-memo': () => 'An adjustment needs a memo saying why.',
  'amount-not-positive': ({ kind }) => `A ${kind}'s amount_cents must be more than 0 and at most ${LIMIT_TEXT}.`,
  'amount-too-large': ({ kind }) => `A ${kind}'s amount_cents must be more than 0 and at most ${LIMIT_TEXT}.`,
  'effective-in-future': ({ today, timeZone }) => `effective_on cannot be in the future: today is ${today} (${timeZone}).`,
  'due-before-effective': () => 'due_on cannot be before effective_on (today when effective_on is left out).',
  'due-not-on-charge': () => 'due_on is for a charge only: a positive adjustment is due on its effective_on, and payments and credits are not due.',
  'allocations-not-on-credit': () => 'allocations are for a payment or a credit (a negative adjustment) only: they say which invoices it pays.',
  'allocation-repeated': () => 'Each charge_id can be named once in allocations.',
  'allocations-above-amount': ({ kind }) => `The allocations' amount_cents add up to more than the ${kind}'s amount_cents.`,
};
const API_FIELD = { kind: 'kind', amount: 'amount_cents', memo: 'memo', effectiveOn: 'effective_on', dueOn: 'due_on', reference: 'reference', allocations: 'allocations' } as const;
const ENTRY_FIELDS = ['kind', 'amount_cents', 'memo', 'effective_on', 'due_on', 'reference', 'allocations'];

const dateField = (name: string) => {
  const rule = `${name} must be a real calendar day, written YYYY-MM-DD (such as 2026-12-05).`;
  return z.string({ error: rule }).refine(isIsoDate, { error: rule }).meta({ format: 'date', examples: ['2026-12-05'] });
};

const ALLOCATION_ID_RULE = 'charge_id must be the id of one of this account\'s charges (a positive whole number).';
const ALLOCATION_AMOUNT_RULE = 'amount_cents must be a whole number of cents above 0.';

const allocationBody = z
  .strictObject(
    {
      charge_id: z
        .number({ error: ALLOCATION_ID_RULE })
        .int({ error: ALLOCATION_ID_RULE })
        .positive({ error: ALLOCATION_ID_RULE })
        .max(Number.MAX_SAFE_INTEGER, { error: ALLOCATION_ID_RULE })
        .describe("The invoice: the id of one of this account's charges (or positive adjustments) with at least amount_cents open."),
      amount_cents: z
        .number({ error: ALLOCATION_AMOUNT_RULE })
        .int({ error: ALLOCATION_AMOUNT_RULE })
        .positive({ error: ALLOCATION_AMOUNT_RULE })
        .max(MAX_ENTRY_CENTS, { error: ALLOCATION_AMOUNT_RULE })
        .describe('Integer cents of this payment or credit applied to that invoice.'),
    },
    { error: strictObjectErrors('field', ['charge_id', 'amount_cents']) },
  )
  .describe('Part of the payment or credit applied to one invoice.');

/** An entry as the API takes it; the ledger's rules (brokenEntryRules) answer in the API's words, "today" in the business time zone. */
function newEntryBody(timeZone: string) {
  return z
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
        effective_on: dateField('effective_on')
          .optional()
          .describe(`The business date (YYYY-MM-DD): an invoice's date, a payment's receipt date. Today in the business time zone (CRM_TIME_ZONE) when left out; may be back-dated, never in the future.`),
        due_on: dateField('due_on')
          .optional()
          .describe("A charge's due date (YYYY-MM-DD), not before effective_on; effective_on plus the account's terms_days when left out. Charges only."),
        reference: z
          .string({ error: 'reference must be text.' })
          .max(REFERENCE_MAX, { error: `reference can be at most ${REFERENCE_MAX} characters.` })
          .optional()
          .describe(`What the customer quotes, at most ${REFERENCE_MAX} characters on one line: an invoice number for a charge (INV-1042), a cheque number for a payment.`),
        allocations: z
          .array(allocationBody, { error: 'allocations must be a list of {"charge_id", "amount_cents"}.' })
          .max(MAX_ALLOCATIONS, { error: `allocations can name at most ${MAX_ALLOCATIONS} invoices; the rest is applied oldest due first.` })
          .optional()
          .describe(
            'Payments and credits (negative adjustments) only: the invoices to pay first, each at most what is open of it, together at most amount_cents. ' +
              "What is left is applied to the account's open invoices oldest due first (then oldest date, then id); without allocations all of it is.",
          ),
      },
      { error: strictObjectErrors('field', ENTRY_FIELDS) },
    )
    .superRefine((body, context) => {
      const { kind, amount_cents: amountCents, memo = '', effective_on: effectiveOn, due_on: dueOn, reference, allocations } = body;
      const today = dateIn(timeZone);
      const draft = { kind, amountCents, memo, effectiveOn, dueOn, reference, allocations: allocations?.map((part) => ({ chargeId: part.charge_id, amountCents: part.amount_cents })) };
      for (const { rule, field } of brokenEntryRules(draft, today)) {
        const wording = API_WORDING[rule];
        if (wording) context.addIssue({ code: 'custom', path: [API_FIELD[field]], message: wording({ kind, today, timeZone }) });
      }
    });
}

/** The ledger names a field in the domain's words (`allocations.0.chargeId`); the API in its own (`allocations.0.charge_id`). */
function inApiWords(error: FieldsError): FieldsError {
  const fields = Object.fromEntries(Object.entries(error.fields).map(([field, message]) => [field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), message]));
  return new FieldsError(error.statusCode, error.code, fields);
}

const centsJson = z.number().int();
const businessDate = z.string().meta({ format: 'date' });

const entryJson = z.object({
  id: z.number().int(),
  kind: z.enum(ENTRY_KINDS),
  amount_cents: centsJson.describe('Integer cents; an adjustment is signed.'),
  amount: z.string().describe('The same amount as the app shows it, e.g. "40.00 USD".'),
  balance_after_cents: centsJson.describe("The account's balance (due − paid) just after this entry, in integer cents, in the order entries were recorded."),
  balance_after: z.string(),
  memo: z.string(),
  effective_on: businessDate.describe("The business date (YYYY-MM-DD): an invoice's date, a payment's receipt date."),
  due_on: businessDate.nullable().describe('An invoice\'s due date (a charge\'s, or a positive adjustment\'s own date); null for payments and credits.'),
  reference: z.string().nullable().describe('The invoice or cheque number, or null when none was given.'),
  open_cents: centsJson
    .nullable()
    .describe('An invoice (a charge or positive adjustment): what is still unpaid today, in integer cents. null for payments and credits.'),
  paid_by: z
    .array(
      z.object({
        entry_id: z.number().int().describe('The payment or credit (negative adjustment).'),
        amount_cents: centsJson.describe('How much of the invoice it paid.'),
        effective_on: businessDate.describe('From when: the later of the two entries\' dates.'),
      }),
    )
    .nullable()
    .describe('An invoice: the payments and credits applied to it, oldest first. null for payments and credits.'),
  unapplied_cents: centsJson
    .nullable()
    .describe("A payment or credit: what is not yet applied to an invoice (the account's credit), in integer cents; the next invoices take it. null for invoices."),
  applied_to: z
    .array(
      z.object({
        charge_id: z.number().int().describe('The invoice (charge or positive adjustment).'),
        reference: z.string().nullable().describe("The invoice's reference, or null."),
        amount_cents: centsJson.describe('How much of this payment or credit paid it.'),
        effective_on: businessDate.describe('From when: the later of the two entries\' dates.'),
      }),
    )
    .nullable()
    .describe('A payment or credit: the invoices it paid, oldest first. null for invoices.'),
  actor: z.string().describe('Who recorded it (a staff user name, or seed/cli).'),
  at: z.string().describe('When it was recorded: ISO 8601 date-time in UTC.'),
});

function toEntryJson(entry: LedgerEntry, settlement: EntrySettlement): z.output<typeof entryJson> {
  const invoice = isInvoice(entry.kind, entry.amountCents);
  return {
    id: entry.id,
    kind: entry.kind,
    amount_cents: entry.amountCents,
    amount: formatCents(entry.amountCents),
    balance_after_cents: entry.balanceAfterCents,
    balance_after: formatCents(entry.balanceAfterCents),
    memo: entry.memo,
    effective_on: entry.effectiveOn,
    due_on: entry.dueOn,
    reference: entry.reference,
    open_cents: invoice ? settlement.openCents : null,
    paid_by: invoice ? settlement.paidBy.map(({ creditId, amountCents, effectiveOn }) => ({ entry_id: creditId, amount_cents: amountCents, effective_on: effectiveOn })) : null,
    unapplied_cents: invoice ? null : settlement.openCents,
    applied_to: invoice
      ? null
      : settlement.appliedTo.map(({ chargeId, reference, amountCents, effectiveOn }) => ({ charge_id: chargeId, reference, amount_cents: amountCents, effective_on: effectiveOn })),
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
export const entriesApiRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly reads: RequestReads<Database>; readonly timeZone: string }> = async (app, { db, reads, timeZone }) => {
  const recordEntryOnce = recordEntryUseCase({ db, timeZone });

  app.get(
    '/accounts/:acctid/entries',
    {
      config: { access: 'accounts:read' },
      schema: { summary: "List an account's ledger entries, newest first", operationId: 'listEntries', params: acctidParams, querystring: entriesQuery, response: { 200: entriesPage } },
    },
    async (request) => {
      const { acctid } = request.params;
      const { before, limit } = request.query;
      // A list tolerates lag: the whole page from one source (a replica unless this token just wrote).
      const source = await reads(request);
      // An unknown account is a 404, not an empty list.
      await requireAccount(source, acctid);
      const { entries, hasMore } = await listEntries(source, acctid, { before, limit });
      // One read for the whole page: what paid each invoice and what each payment paid.
      const settlements = await settlementsOf(source, entries);
      const last = entries.at(-1);
      const next = hasMore && last ? `${accountPath(acctid, prefixOf(request.routeOptions.url))}/entries?${new URLSearchParams({ limit: String(limit), before: String(last.id) }).toString()}` : null;
      return { entries: entries.map((entry) => toEntryJson(entry, settlements.get(entry.id)!)), next };
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
            'An allocation names an invoice this account does not have (code UNKNOWN_INVOICE), an entry that is not an invoice (NOT_AN_INVOICE), ' +
            'or more than is open of it (INVOICE_NOT_OPEN_ENOUGH), with the field (allocations.{i}.charge_id) in errors; ' +
            `the entry would take the account's total due or total paid past ${MAX_ACCOUNT_TOTAL_CENTS} cents (2^53 − 1, ${formatCents(MAX_ACCOUNT_TOTAL_CENTS)}), the most one account can hold ` +
            '(code ACCOUNT_TOTAL_LIMIT); or the Idempotency-Key was used before with another body (code IDEMPOTENCY_KEY_REUSED).',
        },
      },
      schema: {
        summary: 'Record a payment, charge or adjustment',
        operationId: 'createEntry',
        description:
          'A payment or credit (negative adjustment) is applied to the invoices named in allocations, then to the open invoices oldest due first; ' +
          'a charge takes the account\'s unapplied credit, oldest first. The answer shows what was applied (applied_to, paid_by). ' +
          'effective_on defaults to today in the business time zone and may be back-dated; a charge\'s due_on defaults to effective_on + the account\'s terms_days. ' +
          'Refused input writes nothing. A closed account refuses charges (409). Honours an Idempotency-Key header: a retry with the same key and body gets the first answer again ' +
          '(with Idempotent-Replayed: true) and records nothing; the same key with another body is refused (422). Keys are per user and kept 24 hours.',
        params: acctidParams,
        headers: idempotencyHeaders,
        body: newEntryBody(timeZone),
        response: { 201: recorded },
      },
    },
    async (request, reply) => {
      const { acctid } = request.params;
      const { kind, amount_cents: amountCents, memo = '', effective_on: effectiveOn, due_on: dueOn, reference, allocations } = request.body;
      let outcome: Awaited<ReturnType<typeof recordEntryOnce>>;
      try {
        outcome = await recordEntryOnce({
          actor: actorOf(request),
          entry: {
            acctid,
            kind,
            amountCents: cents(amountCents),
            memo,
            // Only what was sent: the idempotency fingerprint of a request without them stays the same.
            ...(effectiveOn === undefined ? {} : { effectiveOn }),
            ...(dueOn === undefined ? {} : { dueOn }),
            ...(reference === undefined ? {} : { reference }),
            ...(allocations === undefined ? {} : { allocations: allocations.map((part) => ({ chargeId: part.charge_id, amountCents: cents(part.amount_cents) })) }),
          },
          once: ownKey(request, idempotencyKeyOf(request)),
        });
      } catch (error) {
        throw error instanceof FieldsError ? inApiWords(error) : error;
      }
      const { value, replayed } = outcome;
      markReplayed(reply, replayed);
      return reply.code(201).send({ entry: toEntryJson(value.entry, value.settlement), account: toAccountJson(value.account) });
    },
  );
};
