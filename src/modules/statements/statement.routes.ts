import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { staffPage, HTML } from '../../platform/views/staff-page.js';
import { dateIn } from '../../shared/dates.js';
import { FieldsError } from '../../shared/errors.js';
import { ACCOUNTS_PATH, acctidField, requireAccount } from '../accounts/index.js';
import { periodRuleMessage, readStatement, statementPeriod, type PeriodField } from './statement.js';
import { sendStatementPdf, type StatementRoutesOptions } from './statement.api.js';
import { statementFormBody, statementTitle } from './statement.views.js';

/** How the page names each date in its messages: as its field's label. */
const LABELS: Readonly<Record<PeriodField, string>> = { from: 'From', to: 'To' };

/** A date field left empty takes its default. */
const dateText = z
  .string()
  .max(40, { error: 'Dates are written YYYY-MM-DD.' })
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text.trim()));

/**
 * GET /accounts/{acctid}/statement.pdf?from=&to= (accounts:read, staff
 * scope): the account's statement as a PDF download, from the account page's
 * statement form. Dates it cannot use show the form again with the message
 * beside each (400; 422 for a period with too many entries).
 */
export const statementRoutes: FastifyPluginAsyncZod<StatementRoutesOptions> = async (app, { db, reads, company, timeZone }) => {
  app.get(
    `${ACCOUNTS_PATH}/:acctid/statement.pdf`,
    { config: { access: 'accounts:read' }, schema: { params: z.object({ acctid: acctidField }), querystring: z.object({ from: dateText, to: dateText }) } },
    async (request, reply) => {
      const { acctid } = request.params;
      const asked = request.query;
      const account = await requireAccount(db, acctid);
      const showForm = (status: number, problems: { field: PeriodField; message: string }[]) =>
        reply
          .code(status)
          .type(HTML)
          .send(staffPage(request, reply, { title: statementTitle(acctid), current: ACCOUNTS_PATH, body: statementFormBody({ acctid, name: account.name, from: asked.from ?? '', to: asked.to ?? '', problems }) }));
      const today = dateIn(timeZone);
      const { period, broken } = statementPeriod(asked, today);
      if (!period) return showForm(400, broken.map((rule) => ({ field: rule.field, message: periodRuleMessage(rule, LABELS[rule.field], today, asked.to ?? today) })));
      try {
        return await sendStatementPdf(reply, await readStatement(await reads(request), acctid, period, 'from'), company);
      } catch (error) {
        if (!(error instanceof FieldsError) || error.code !== 'STATEMENT_TOO_LONG') throw error;
        return showForm(error.statusCode, [{ field: 'from', message: error.fields.from ?? error.message }]);
      }
    },
  );
};
