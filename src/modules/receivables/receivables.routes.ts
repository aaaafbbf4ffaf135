import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RequestReads } from '../../platform/http/read-routing.js';
import { z } from 'zod';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import type { FieldError } from '../../platform/views/components.js';
import type { Database } from '../../schema.js';
import { dateIn } from '../../shared/dates.js';
import { AppError, FieldsError } from '../../shared/errors.js';
import { exportAging } from './aging-export.js';
import { asOfField, asOfOrToday, cursorField, decodeAgingCursor, encodeAgingCursor, limitField } from './aging-query.js';
import { AGING_PAGE_SIZE_DEFAULT } from './aging-report.js';
import { agingReport } from './todays-totals.js';
import { RECEIVABLES_CSV_PATH, RECEIVABLES_PATH, RECEIVABLES_TITLE, receivablesBody, type ReceivablesView } from './receivables.views.js';

/** The staff navigation's link to the report. */
export const RECEIVABLES_NAV: NavEntry = { href: RECEIVABLES_PATH, label: 'Receivables', access: 'accounts:read' };

const ACCESS = { access: 'accounts:read' } as const;

export interface ReceivablesRoutesOptions {
  /** Where the report reads (it tolerates lag): a replica unless the viewer just wrote. */
  readonly reads: RequestReads<Database>;
  /** CRM_TIME_ZONE: what "today" is. */
  readonly timeZone: string;
}

/**
 * The aged receivables page (accounts:read): as of a day chosen in a GET
 * form, the totals as a stacked bar and a table, the accounts largest total
 * first in keyset pages, and the CSV of every account. Bad input shows the
 * page again with the message (400), never a 500.
 */
export const receivablesRoutes: FastifyPluginAsyncZod<ReceivablesRoutesOptions> = async (app, { reads, timeZone }) => {
  const pageQuery = z.object({ as_of: asOfField(timeZone), limit: limitField, cursor: cursorField });
  const csvQuery = z.object({ as_of: asOfField(timeZone) });

  const show = (request: FastifyRequest, reply: FastifyReply, status: number, view: ReceivablesView) =>
    reply
      .code(status)
      .type(HTML)
      .send(staffPage(request, reply, { title: RECEIVABLES_TITLE, body: receivablesBody(view), current: RECEIVABLES_PATH }));

  app.get(RECEIVABLES_PATH, { config: ACCESS }, async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const asOfInput = typeof raw.as_of === 'string' ? raw.as_of : '';
    const parsed = pageQuery.safeParse(raw);
    if (!parsed.success) {
      const errors: FieldError[] = parsed.error.issues.map((issue) => ({ field: String(issue.path[0] ?? 'as_of'), message: issue.message }));
      return show(request, reply, 400, { asOfInput, errors });
    }
    const { limit, cursor } = parsed.data;
    let after;
    try {
      after = decodeAgingCursor(cursor);
    } catch (error) {
      if (!(error instanceof FieldsError)) throw error;
      return show(request, reply, 400, { asOfInput, errors: [{ message: error.message }] });
    }
    const today = dateIn(timeZone);
    const asOf = asOfOrToday(parsed.data.as_of, timeZone);
    const onRefreshError = (error: unknown) => request.log.error({ err: error }, "could not refresh today's aging totals");
    const { reading, page } = await agingReport(await reads(request), { asOf, today, limit, after }, onRefreshError);
    const href = (extra: Record<string, string>) => `${RECEIVABLES_PATH}?${new URLSearchParams({ as_of: asOf, ...(limit === AGING_PAGE_SIZE_DEFAULT ? {} : { limit: String(limit) }), ...extra }).toString()}`;
    return show(request, reply, 200, {
      asOfInput: parsed.data.as_of ?? '',
      errors: [],
      report: {
        asOf,
        today,
        totals: reading.totals,
        totalsReadAt: reading.readAt,
        rows: page.rows,
        nextHref: page.next === null ? null : href({ cursor: encodeAgingCursor(page.next) }),
        firstHref: after === undefined ? null : href({}),
      },
    });
  });

  app.get(RECEIVABLES_CSV_PATH, { config: ACCESS }, async (request, reply) => {
    const parsed = csvQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new AppError(400, 'INVALID_AS_OF', parsed.error.issues.map((issue) => issue.message).join(' '));
    const today = dateIn(timeZone);
    const asOf = asOfOrToday(parsed.data.as_of, timeZone);
    const chunks = exportAging(await reads(request), asOf, today, { format: 'csv' });
    // The first chunk holds the first batch: a database that fails fails here, with an error page, not a cut download.
    const first = await chunks.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="aging-${asOf}.csv"`)
      .send(Readable.from(all()));
  });
};
