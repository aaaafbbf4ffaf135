import type { ImportReport } from './importer.js';

/**
 * The counts a report shows, labelled, for the terminal and the page alike:
 * what the import did, or, for a dry run (which does nothing), what it would
 * do.
 */
export function reportCounts(report: Pick<ImportReport, 'dryRun' | 'imported' | 'updated' | 'skipped' | 'rejected' | 'planned'>): [label: string, count: number][] {
  const { planned } = report;
  const done: [string, number][] = report.dryRun
    ? [
        ['would import', planned.imported],
        ['would update', planned.updated],
        ['would skip', planned.skipped],
      ]
    : [
        ['imported', report.imported],
        ['updated', report.updated],
        ['skipped', report.skipped],
      ];
  return [...done, ['rejected', report.rejected]];
}
