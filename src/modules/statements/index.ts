/**
 * The statements module's public face: an account's statement for a period
 * (opening balance, the period's entries with a running balance in date
 * order, closing balance, aging and open invoices as of the last day) as
 * JSON in the API, as a PDF in the API and on the staff pages, and a PDF for
 * every account with a balance for the `crm statements` command.
 */
export { readStatement, STATEMENT_MAX_ENTRIES, statementPeriod, periodRuleMessage, firstOfMonth, type Statement, type StatementLine, type StatementPeriod } from './statement.js';
export { statementApiRoutes, type StatementRoutesOptions } from './statement.api.js';
export { statementRoutes } from './statement.routes.js';
export { statementFileName, statementPdf, statementPdfBytes, type Company } from './statement.pdf.js';
export { STATEMENT_BATCH_SIZE, STATEMENT_READERS, writeStatements, type BatchProgress, type BatchReport } from './statement-batch.js';
export { pdfText } from './pdf-text.js';
