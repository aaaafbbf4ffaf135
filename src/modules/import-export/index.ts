/**
 * Bulk import and export of accounts: the admin page's routes, and the
 * importer and exporter that `crm import` and `crm export` run too. The rest
 * of this folder is its own.
 */
export { IMPORT_NAV, importRoutes, type ImportRoutesOptions } from './import-export.routes.js';
export { exportAccounts, EXPORT_FORMATS, type ExportFormat, type ExportOptions } from './exporter.js';
export {
  ADJUSTMENT_MEMO,
  IMPORT_BATCH_SIZE,
  IMPORT_BATCH_SIZE_MAX,
  ImportConflictError,
  importAccounts,
  rowsPerSecond,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type ImportSource,
  type RowError,
} from './importer.js';
export { reportCounts } from './report-counts.js';
