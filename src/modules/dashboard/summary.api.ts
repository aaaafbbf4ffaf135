import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { RequestReads } from '../../platform/http/read-routing.js';
import { z } from 'zod';
import { centsField, exactCentsField, totalCentsField } from '../../platform/http/cents-schemas.js';
import type { Database } from '../../schema.js';
import { formatCents, type Cents } from '../../shared/money.js';
import { ENTRY_KINDS } from '../ledger/index.js';
import { DSO_DEFINITION } from '../receivables/index.js';
import { currentSummary, type DashboardSummary } from './summary.js';

const money = (what: string) => z.string().describe(`${what}, formatted as the app shows money: "40.00 USD".`);
const count = (what: string) => z.number().int().min(0).describe(what);

const largestBalance = z.object({
  acctid: z.string(),
  name: z.string(),
  balance_cents: centsField('The balance (due − paid)'),
  balance: money('The balance'),
  closed: z.boolean(),
});

const recentEntry = z.object({
  id: z.number().int(),
  acctid: z.string(),
  name: z.string().describe("The account's name."),
  kind: z.enum(ENTRY_KINDS),
  amount_cents: centsField('Positive for payments and charges; an adjustment carries its sign (+ owed more, − owed less)'),
  amount: money('The amount'),
  balance_after_cents: centsField("The account's balance just after this entry"),
  balance_after: money('The balance after'),
  actor: z.string(),
  /** ISO 8601, UTC. */
  at: z.string().describe('When it was recorded: ISO 8601, UTC.'),
});

const balanceBand = z.object({
  band: z.string().describe('le0, 0-100, 100-1k, 1k-10k or gt10k (USD).'),
  label: z.string(),
  above_cents: z.number().int().nullable().describe('Balances above this (exclusive); null: no lower bound.'),
  up_to_cents: z.number().int().nullable().describe('Balances up to this (inclusive); null: no upper bound.'),
  accounts: count('Accounts with a balance in the band.'),
  balance_cents: totalCentsField('The sum of their balances'),
  balance_cents_exact: exactCentsField('The sum of their balances'),
  balance: money('The sum of their balances'),
});

const week = z.object({
  week: z.string().describe('The ISO 8601 week, e.g. 2026-W48 (Monday to Sunday, UTC).'),
  starts: z.string().describe('Its Monday: YYYY-MM-DD.'),
  payments_cents: totalCentsField('Payments recorded in the week'),
  payments_cents_exact: exactCentsField('Payments recorded in the week'),
  payments: money('Payments'),
  charges_cents: totalCentsField('Charges recorded in the week'),
  charges_cents_exact: exactCentsField('Charges recorded in the week'),
  charges: money('Charges'),
});

export const summaryResponse = z.object({
  as_of: z.string().describe('When the figures were read: ISO 8601, UTC.'),
  total_due_cents: totalCentsField('What all accounts have been charged'),
  total_due_cents_exact: exactCentsField('What all accounts have been charged'),
  total_due: money('Total due'),
  total_paid_cents: totalCentsField('What all accounts have paid (credits included)'),
  total_paid_cents_exact: exactCentsField('What all accounts have paid (credits included)'),
  total_paid: money('Total paid'),
  net_receivables_cents: totalCentsField('The sum of all balances: due − paid'),
  net_receivables_cents_exact: exactCentsField('The sum of all balances: due − paid'),
  net_receivables: money('Net receivables'),
  accounts: z.object({
    total: count('All accounts, open and closed.'),
    owing: count('Balance above 0.'),
    overpaid: count('Balance below 0 (in credit).'),
    settled: count('Balance 0.'),
    closed: count('Closed accounts (also counted in the three above).'),
  }),
  largest_balances: z.array(largestBalance).describe('The ten largest balances owed (> 0), largest first.'),
  recent_activity: z.array(recentEntry).describe('The ten latest ledger entries, newest first.'),
  balance_bands: z.array(balanceBand).describe('Accounts and their balances by band, lowest band first.'),
  weeks: z.array(week).describe('Payments and charges per ISO week, the last 12 weeks, oldest first; the last is the current week so far.'),
  aging: z
    .object({
      as_of: z.string().describe('Today in the business time zone (CRM_TIME_ZONE) when the figures were read: YYYY-MM-DD.'),
      current_cents: totalCentsField('Invoices not yet due'),
      current_cents_exact: exactCentsField('Invoices not yet due'),
      current: money('Current'),
      days_1_30_cents: totalCentsField('Invoices 1 to 30 days past due'),
      days_1_30_cents_exact: exactCentsField('Invoices 1 to 30 days past due'),
      days_1_30: money('1–30 days'),
      days_31_60_cents: totalCentsField('Invoices 31 to 60 days past due'),
      days_31_60_cents_exact: exactCentsField('Invoices 31 to 60 days past due'),
      days_31_60: money('31–60 days'),
      days_61_90_cents: totalCentsField('Invoices 61 to 90 days past due'),
      days_61_90_cents_exact: exactCentsField('Invoices 61 to 90 days past due'),
      days_61_90: money('61–90 days'),
      days_over_90_cents: totalCentsField('Invoices more than 90 days past due'),
      days_over_90_cents_exact: exactCentsField('Invoices more than 90 days past due'),
      days_over_90: money('Over 90 days'),
      credit_cents: totalCentsField('Unapplied payments and credits (zero or negative)'),
      credit_cents_exact: exactCentsField('Unapplied payments and credits (zero or negative)'),
      credit: money('Unapplied credit'),
      total_cents: totalCentsField('The buckets plus credit: every balance'),
      total_cents_exact: exactCentsField('The buckets plus credit: every balance'),
      total: money('Total'),
    })
    .describe("Today's aging over every account, by days past due (GET /aging gives it by account and for any day)."),
  dso_days: z
    .number()
    .nullable()
    .describe(`${DSO_DEFINITION} One decimal; null when nothing was invoiced in the last 90 days.`),
});
export type SummaryResponse = z.infer<typeof summaryResponse>;

const withMoney = <K extends string>(key: K, value: Cents) => ({ [`${key}_cents`]: value, [key]: formatCents(value) }) as Record<`${K}_cents`, Cents> & Record<K, string>;
const withTotal = <K extends string>(key: K, value: bigint) =>
  ({ [`${key}_cents`]: Number(value), [`${key}_cents_exact`]: String(value), [key]: formatCents(value) }) as Record<`${K}_cents`, number> & Record<`${K}_cents_exact`, string> & Record<K, string>;

/** The summary as the API sends it: every amount in cents and formatted. */
export function summaryJson(summary: DashboardSummary): SummaryResponse {
  return {
    as_of: new Date(summary.asOf).toISOString(),
    ...withTotal('total_due', summary.totalDueCents),
    ...withTotal('total_paid', summary.totalPaidCents),
    ...withTotal('net_receivables', summary.netReceivablesCents),
    accounts: { ...summary.accounts },
    largest_balances: summary.largestBalances.map(({ acctid, name, balanceCents, closed }) => ({ acctid, name, ...withMoney('balance', balanceCents), closed })),
    recent_activity: summary.recentActivity.map((entry) => ({
      id: entry.id,
      acctid: entry.acctid,
      name: entry.name,
      kind: entry.kind,
      ...withMoney('amount', entry.amountCents),
      ...withMoney('balance_after', entry.balanceAfterCents),
      actor: entry.actor,
      at: new Date(entry.createdAt).toISOString(),
    })),
    balance_bands: summary.balanceBands.map((b) => ({ band: b.key, label: b.label, above_cents: b.aboveCents, up_to_cents: b.upToCents, accounts: b.accounts, ...withTotal('balance', b.balanceCents) })),
    weeks: summary.weeks.map((w) => ({ week: w.isoWeek, starts: new Date(w.startsAt).toISOString().slice(0, 10), ...withTotal('payments', w.paymentsCents), ...withTotal('charges', w.chargesCents) })),
    aging: {
      as_of: summary.aging.asOf,
      ...withTotal('current', summary.aging.totals.currentCents),
      ...withTotal('days_1_30', summary.aging.totals.days1To30Cents),
      ...withTotal('days_31_60', summary.aging.totals.days31To60Cents),
      ...withTotal('days_61_90', summary.aging.totals.days61To90Cents),
      ...withTotal('days_over_90', summary.aging.totals.daysOver90Cents),
      ...withTotal('credit', summary.aging.totals.creditCents),
      ...withTotal('total', summary.aging.totals.totalCents),
    },
    dso_days: summary.dso.days,
  };
}

/** GET /summary (accounts:read): the dashboard's figures for scripts, from the same summarize() as the page. */
export const summaryApiRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly reads: RequestReads<Database>; readonly timeZone?: string }> = async (app, { db, reads, timeZone = 'UTC' }) => {
  app.get(
    '/summary',
    {
      config: { access: 'accounts:read' },
      schema: {
        summary: 'The dashboard figures',
        operationId: 'getSummary',
        description: 'Totals, account counts, the largest balances, the latest entries, balances by band, payments vs charges per week, today\'s aging totals and DSO. Money as integer cents and formatted; each sum (totals, bands, weeks) also as *_cents_exact, a string of digits exact past 2^53 cents.',
        response: { 200: summaryResponse },
      },
    },
    async (request) => summaryJson(await currentSummary(db, (error) => request.log.error({ err: error }, 'could not refresh the dashboard figures'), timeZone, await reads(request))),
  );
};
