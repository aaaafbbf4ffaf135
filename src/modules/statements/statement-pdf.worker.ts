/**
 * A worker thread that draws statement PDFs for the batch writer
 * (statement-pdf.pool.ts): a statement in, its PDF's bytes out. The display
 * settings come with the worker, so figures and dates are written as on the
 * staff pages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { configureDisplay, type DisplaySettings } from '../../platform/views/format.js';
import { statementPdfBytes, type Company } from './statement.pdf.js';
import type { Statement } from './statement.js';

export interface RenderTask {
  readonly id: number;
  readonly statement: Statement;
}

export type RenderResult = { readonly id: number; readonly bytes: Uint8Array } | { readonly id: number; readonly error: string };

const { display, company } = workerData as { display: DisplaySettings; company: Company };
configureDisplay(display);

parentPort?.on('message', (task: RenderTask) => {
  statementPdfBytes(task.statement, company).then(
    (bytes) => parentPort?.postMessage({ id: task.id, bytes: new Uint8Array(bytes) } satisfies RenderResult),
    (error: unknown) => parentPort?.postMessage({ id: task.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RenderResult),
  );
});
