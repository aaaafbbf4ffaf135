/**
 * The receivables module's public face: aging over every account as of any
 * day (the report, its page, API, CSV and `crm aging`), and DSO for the
 * dashboard. One account's aging is the ledger's (accountAging).
 */
export {
  AGING_BATCH_SIZE,
  AGING_KEYS,
  AGING_PAGE_SIZE_DEFAULT,
  AGING_PAGE_SIZE_MAX,
  agingOfAccounts,
  agingOfEveryAccount,
  agingPage,
  pastAgingReport,
  agingTotals,
  accountCount,
  sumOf,
  ZERO_TOTALS,
  type AccountAgingRow,
  type AgingKey,
  type AgingPage,
  type AgingTotals,
} from './aging-report.js';
export { agingApiRoutes, type AgingRoutesOptions } from './aging.api.js';
export { AGING_CSV_COLUMNS, AGING_EXPORT_FORMATS, exportAging, type AgingExportFormat } from './aging-export.js';
export { asOfOrToday } from './aging-query.js';
export { RECEIVABLES_NAV, receivablesRoutes, type ReceivablesRoutesOptions } from './receivables.routes.js';
export { AGING_DEFINITION, agingTotalsTable, RECEIVABLES_PATH } from './receivables.views.js';
export { agingChart } from './aging-chart.js';
export { daysSalesOutstanding, DSO_DEFINITION, DSO_WINDOW_DAYS, dsoDays, type DaysSalesOutstanding } from './dso.js';
export { TODAY_TOTALS_MAX_AGE_MS, TODAY_TOTALS_REFRESH_AFTER_MS, todaysTotals, agingReport, type TotalsReading } from './todays-totals.js';
