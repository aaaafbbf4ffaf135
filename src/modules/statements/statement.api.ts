import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import Negotiator from 'negotiator';
import { z } from 'zod';
import type { RequestReads } from '../../platform/http/read-routing.js';
import { strictObjectErrors } from '../../platform/http/strict-object-errors.js';
import { dateIn } from '../../shared/dates.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../../schema.js';
import { acctidField } from '../accounts/index.js';
import { periodRuleMessage, readStatement, STATEMENT_MAX_ENTRIES, statementPeriod, type Statement } from './statement.js';
import { statementJson, toStatementJson } from './statement.json.js';
import { statementFileName, statementPdfBytes, type Company } from './statement.pdf.js';

export interface StatementRoutesOptions {
  readonly db: Kysely<Database>;
  /** Where the statement itself is read (it tolerates lag): a replica unless the reader just wrote. */
  readonly reads: RequestReads<Database>;
  /** Who sends the statements (COMPANY_NAME, COMPANY_ADDRESS). */
  readonly company: Company;
  /** The business time zone (CRM_TIME_ZONE): it decides what "today" is. */
  readonly timeZone: string;
}

const JSON_TYPE = 'application/json';
export const PDF_TYPE = 'application/pdf';

/** Sends a statement as a PDF download: statement-ACCT100-2026-11-30.pdf, never cached. */
export async function sendStatementPdf(reply: FastifyReply, statement: Statement, company: Company): Promise<FastifyReply> {
  const bytes = await statementPdfBytes(statement, company);
  return reply
    .header('content-disposition', `attachment; filename="${statementFileName(statement.account.acctid, statement.period.to)}"`)
    .header('cache-control', 'no-store')
    .type(PDF_TYPE)
    .send(bytes);
}

/**
 * GET /accounts/{acctid}/statement (accounts:read): an account's statement for
 * a period, as JSON or, with `Accept: application/pdf`, as the PDF a customer
 * is sent.
 */
export const statementApiRoutes: FastifyPluginAsyncZod<StatementRoutesOptions> = async (app, { reads, company, timeZone }) => {
  const today = () => dateIn(timeZone);
  const query = z
    .strictObject(
      {
        from: z.string().max(40).optional().describe("The period's first day, YYYY-MM-DD; the first day of `to`'s month by default."),
        to: z.string().max(40).optional().describe(`The period's last day, YYYY-MM-DD, not in the future; today in the business time zone (CRM_TIME_ZONE) by default.`),
      },
      { error: strictObjectErrors('query parameter', ['from', 'to']) },
    )
    .superRefine((asked, context) => {
      const day = today();
      for (const broken of statementPeriod(asked, day).broken) {
        context.addIssue({ code: 'custom', path: [broken.field], message: periodRuleMessage(broken, broken.field, day, asked.to ?? day) });
      }
    });

  app.get(
    '/accounts/:acctid/statement',
    {
      config: {
        access: 'accounts:read',
        problems: {
          '404': 'No account with this ID.',
          '406': 'The Accept header allows neither application/json nor application/pdf.',
          '422': `The period has more than ${STATEMENT_MAX_ENTRIES} entries, more than one statement lists (code STATEMENT_TOO_LONG, naming querystring.from): ask for a shorter period.`,
        },
        alsoAnswers: { '200': { [PDF_TYPE]: 'The same statement as a PDF document (Content-Disposition: attachment; filename="statement-{acctid}-{to}.pdf").' } },
      },
      schema: {
        summary: "An account's statement for a period (JSON, or PDF with Accept: application/pdf)",
        operationId: 'getStatement',
        description:
          'The opening balance (entries dated before `from`), every entry dated in the period with the running balance in date order, the closing balance, ' +
          'and the aging and open invoices as of `to`. With `Accept: application/pdf` the same statement as a PDF, as sent to the customer. ' +
          `A bad date, a \`to\` in the future or a \`from\` after \`to\` is a 400 naming the parameter; a period with more than ${STATEMENT_MAX_ENTRIES} entries is a 422.`,
        params: z.object({ acctid: acctidField }),
        querystring: query,
        response: { 200: statementJson },
      },
    },
    async (request, reply) => {
      // JSON unless the client prefers the PDF; neither acceptable is a 406.
      const wanted = new Negotiator(request).mediaType([JSON_TYPE, PDF_TYPE]);
      if (wanted === undefined) throw new AppError(406, 'NOT_ACCEPTABLE', `This resource is available as ${JSON_TYPE} or ${PDF_TYPE}; the Accept header allows neither.`);
      const { period, broken } = statementPeriod(request.query, today());
      // The schema has checked the period a moment ago; only midnight passing in between reaches here.
      if (!period) throw new AppError(400, 'INVALID_PERIOD', periodRuleMessage(broken[0]!, broken[0]!.field, today()));
      const statement = await readStatement(await reads(request), request.params.acctid, period, 'querystring.from');
      if (wanted === PDF_TYPE) return sendStatementPdf(reply, statement, company);
      return toStatementJson(statement);
    },
  );
};
