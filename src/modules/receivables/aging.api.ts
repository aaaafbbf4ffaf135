import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { centsField, exactCentsField, totalCentsField } from '../../platform/http/cents-schemas.js';
import { strictObjectErrors } from '../../platform/http/strict-object-errors.js';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import { dateIn } from '../../shared/dates.js';
import { acctidParams, requireAccount } from '../accounts/index.js';
import { accountAging, agingCentsFields, type AgingFigures } from '../ledger/index.js';
import { asOfField, asOfOrToday, cursorField, decodeAgingCursor, encodeAgingCursor, limitField } from './aging-query.js';
import type { AgingTotals } from './aging-report.js';
import { TODAY_TOTALS_MAX_AGE_MS, agingReport } from './todays-totals.js';


/** The seven figures, their JSON names and what each is. */
const FIGURES = [
  ['current', 'currentCents', 'Invoices not yet due on the as-of day'],
  ['days_1_30', 'days1To30Cents', 'Invoices 1 to 30 days past due'],
  ['days_31_60', 'days31To60Cents', 'Invoices 31 to 60 days past due'],
  ['days_61_90', 'days61To90Cents', 'Invoices 61 to 90 days past due'],
  ['days_over_90', 'daysOver90Cents', 'Invoices more than 90 days past due'],
  ['credit', 'creditCents', 'Unapplied payments and credits: zero or negative'],
  ['total', 'totalCents', 'The buckets plus credit: the balance of the entries dated on or before the as-of day'],
] as const satisfies readonly (readonly [string, keyof AgingFigures, string])[];

const accountFigures = z.object({
  current_cents: centsField(FIGURES[0][2]),
  days_1_30_cents: centsField(FIGURES[1][2]),
  days_31_60_cents: centsField(FIGURES[2][2]),
  days_61_90_cents: centsField(FIGURES[3][2]),
  days_over_90_cents: centsField(FIGURES[4][2]),
  credit_cents: centsField(FIGURES[5][2]),
  total_cents: centsField(FIGURES[6][2]),
});

const totalsJson = z.object({
  ...Object.fromEntries(FIGURES.flatMap(([name, , what]) => [[`${name}_cents`, totalCentsField(`${what}, over every account`)], [`${name}_cents_exact`, exactCentsField(`${what}, over every account`)]])),
}) as unknown as z.ZodObject<Record<`${(typeof FIGURES)[number][0]}_cents`, z.ZodNumber> & Record<`${(typeof FIGURES)[number][0]}_cents_exact`, z.ZodString>>;

const asOfJson = z.string().describe('The day the figures are as of: YYYY-MM-DD.');

const accountAgingResponse = z.object({ as_of: asOfJson, ...accountFigures.shape });

const agingReportResponse = z.object({
  as_of: asOfJson,
  totals: totalsJson.describe(
    `The seven figures summed over every account (not only this page); each also as *_cents_exact digits, exact past 2^53 cents. Today's totals come from a reading shared by requests, never more than ${TODAY_TOTALS_MAX_AGE_MS / 1000} seconds old (totals_read_at); a past day's are read with the page.`,
  ),
  totals_read_at: z.string().describe('When the totals were read: ISO 8601, UTC. The accounts are read with each request.'),
  accounts: z
    .array(z.object({ acctid: z.string(), name: z.string(), ...accountFigures.shape }))
    .describe('Accounts whose figures are not all zero, largest total first (then account id, descending).'),
  next: z.string().nullable().describe('The path of the next page (same as_of and limit, with its cursor), or null after the last.'),
});

export function figuresJson(aging: AgingFigures): z.infer<typeof accountFigures> {
  return agingCentsFields(aging);
}

function totalsToJson(totals: AgingTotals): z.infer<typeof totalsJson> {
  return Object.fromEntries(FIGURES.flatMap(([name, key]) => [[`${name}_cents`, Number(totals[key])], [`${name}_cents_exact`, String(totals[key])]])) as z.infer<typeof totalsJson>;
}

export interface AgingRoutesOptions {
  readonly db: Kysely<Database>;
  /** The report over every account reads here (it tolerates lag): a replica unless the caller just wrote. */
  readonly reads: RequestReads<Database>;
  /** CRM_TIME_ZONE: what "today" is. */
  readonly timeZone: string;
}

/**
 * Aging for scripts (accounts:read): one account's figures as of a day, and
 * the report over every account, totals and keyset pages, largest total first.
 */
export const agingApiRoutes: FastifyPluginAsyncZod<AgingRoutesOptions> = async (app, { db, reads, timeZone }) => {
  const accountQuery = z.strictObject({ as_of: asOfField(timeZone) }, { error: strictObjectErrors('query parameter', ['as_of']) });
  const reportQuery = z.strictObject(
    { as_of: asOfField(timeZone), limit: limitField, cursor: cursorField },
    { error: strictObjectErrors('query parameter', ['as_of', 'limit', 'cursor']) },
  );

  app.get(
    '/accounts/:acctid/aging',
    {
      config: { access: 'accounts:read' },
      schema: {
        summary: "An account's aging as of a day",
        operationId: 'getAccountAging',
        description:
          'What the account owed on the day, by days past due: current (not yet due), 1–30, 31–60, 61–90 and over 90 days, plus unapplied credit (zero or negative) and the total (the balance of its entries dated on or before the day). Invoices paid after the day count as open on it. 404 for an unknown account.',
        params: acctidParams,
        querystring: accountQuery,
        response: { 200: accountAgingResponse },
      },
    },
    async (request) => {
      const asOf = asOfOrToday(request.query.as_of, timeZone);
      const { acctid } = await requireAccount(db, request.params.acctid);
      const { aging } = await accountAging(db, acctid, asOf);
      return { as_of: asOf, ...figuresJson(aging) };
    },
  );

  app.get(
    '/aging',
    {
      config: { access: 'accounts:read' },
      schema: {
        summary: 'Aged receivables over every account as of a day',
        operationId: 'getAgingReport',
        description:
          "Every account's aging as of the day (today when as_of is left out): the totals over every account, and the accounts whose figures are not all zero, largest total first, in keyset pages (follow next). Today's report reads what is open now; a past day gives the figures as they were then, invoices paid later included.",
        querystring: reportQuery,
        response: { 200: agingReportResponse },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeAgingCursor(cursor);
      const today = dateIn(timeZone);
      const asOf = asOfOrToday(request.query.as_of, timeZone);
      const onRefreshError = (error: unknown) => request.log.error({ err: error }, "could not refresh today's aging totals");
      const { reading, page } = await agingReport(await reads(request), { asOf, today, limit, after }, onRefreshError);
      const next = page.next === null ? null : `${request.routeOptions.url ?? ''}?${new URLSearchParams({ as_of: asOf, limit: String(limit), cursor: encodeAgingCursor(page.next) }).toString()}`;
      return {
        as_of: asOf,
        totals: totalsToJson(reading.totals),
        totals_read_at: new Date(reading.readAt).toISOString(),
        accounts: page.rows.map((row) => ({ acctid: row.acctid, name: row.name, ...figuresJson(row.aging) })),
        next,
      };
    },
  );
};
