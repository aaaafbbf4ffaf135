import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DisplaySettings } from '../../platform/views/format.js';
import type { Statement } from './statement.js';
import { statementPdfBytes, type Company } from './statement.pdf.js';
import type { RenderResult, RenderTask } from './statement-pdf.worker.js';

/** At most this many drawing threads, whatever the machine. */
const MAX_WORKERS = 4;

/**
 * Worker threads that draw statement PDFs while the main thread reads the
 * next statements and writes the files: drawing is most of a statement's CPU
 * (about 5 of 7 ms), so a batch uses the other cores too. One worker for
 * each core but the one this thread runs on (at most four); none draws in
 * this thread.
 */
export class PdfRenderers {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #nextWorker = 0;
  #failure: Error | undefined;
  readonly #company: Company;

  constructor(settings: { readonly display: DisplaySettings; readonly company: Company }, workers = Math.min(availableParallelism() - 1, MAX_WORKERS)) {
    this.#company = settings.company;
    // Under tsx (tests, development) the worker is the TypeScript file; built, its JavaScript beside this file.
    const file = new URL(import.meta.url.endsWith('.ts') ? './statement-pdf.worker.ts' : './statement-pdf.worker.js', import.meta.url);
    for (let index = 0; index < workers; index += 1) {
      const worker = new Worker(file, { workerData: settings });
      worker.on('message', (result: RenderResult) => this.#settle(result));
      worker.on('error', (error) => this.#fail(error));
      this.#workers.push(worker);
    }
  }

  /** Drawing threads (0: this one). */
  get size(): number {
    return this.#workers.length;
  }

  /** The statement's PDF, drawn by the next worker in turn. */
  render(statement: Statement): Promise<Uint8Array> {
    if (this.#workers.length === 0) return statementPdfBytes(statement, this.#company);
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const worker = this.#workers[this.#nextWorker++ % this.#workers.length]!;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, statement } satisfies RenderTask);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #settle(result: RenderResult): void {
    const waiting = this.#pending.get(result.id);
    this.#pending.delete(result.id);
    if ('error' in result) waiting?.reject(new Error(`drawing a statement failed: ${result.error}`));
    else waiting?.resolve(result.bytes);
  }

  /** A worker that dies fails everything it was asked and everything asked after. */
  #fail(error: Error): void {
    this.#failure = error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
