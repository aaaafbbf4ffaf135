/**
 * The proving ground's load: an HTTPS client with kept-alive connections to
 * one server on 127.0.0.1, a bounded number of loops each sending one request
 * after another, every answer recorded (status, latency, Retry-After, or the
 * network error), and the figures the scenarios print.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';

export interface Answer {
  /** The HTTP status; 0 when no answer came (the error says why). */
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly error?: string;
  readonly ms: number;
}

export interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** One HTTPS origin, a pool of kept-alive connections, a deadline per request. */
export class Client {
  readonly #agent: Agent;

  constructor(
    public baseUrl: string,
    caFile: string,
    { sockets = 16, timeoutMs = 30_000 }: { sockets?: number; timeoutMs?: number } = {},
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets, ca: readFileSync(caFile) });
    this.timeoutMs = timeoutMs;
  }

  readonly timeoutMs: number;

  send({ method = 'GET', path, headers = {}, body }: RequestSpec): Promise<Answer> {
    const started = performance.now();
    const all: Record<string, string> = { ...headers };
    if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Answer>((resolve) => {
      const done = (answer: Omit<Answer, 'ms'>) => resolve({ ...answer, ms: performance.now() - started });
      const req = httpsRequest(new URL(path, this.baseUrl), { method, headers: all, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => done({ status: 0, headers: {}, body: '', error: error.message }));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => done({ status: 0, headers: {}, body: '', error: (error as NodeJS.ErrnoException).code ?? error.message }));
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** What one request of the load did. */
export interface Outcome {
  readonly op: string;
  readonly status: number;
  readonly ms: number;
  /** When it started (performance.now()). */
  readonly at: number;
  readonly retryAfter?: string | undefined;
  readonly error?: string | undefined;
}

export type Operation = (loop: number) => Promise<{ op: string; answer: Answer }>;

/**
 * `concurrency` loops, each running `next(loop)` one request after another
 * until `stop` aborts; every outcome in the order they ended.
 */
export async function runLoad({ concurrency, next, stop }: { concurrency: number; next: Operation; stop: AbortSignal }): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const loop = async (index: number) => {
    while (!stop.aborted) {
      const at = performance.now();
      const { op, answer } = await next(index);
      const retryAfter = answer.headers['retry-after'];
      outcomes.push({ op, status: answer.status, ms: answer.ms, at, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, error: answer.error });
      // A refused connection answers at once: do not spin on it.
      if (answer.status === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));
  return outcomes;
}

/** The value at quantile q (0..1) of the latencies, in ms. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Outcomes counted by status: "200": n, "503": n, "no answer": n. */
export function byStatus(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of outcomes) {
    const key = status === 0 ? 'no answer' : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A few outcomes in words, for an assertion's message. */
export function describeOutcomes(outcomes: readonly Outcome[], limit = 5): string {
  return outcomes
    .slice(0, limit)
    .map((o) => `${o.op}: ${o.status || o.error} in ${o.ms.toFixed(0)} ms`)
    .join('; ');
}

/** The ways a request may fail during an outage that the outage scenarios refuse. */
export interface OutageFailures {
  /** A 5xx other than 503. */
  readonly fiveHundreds: readonly Outcome[];
  /** No answer at all. */
  readonly unanswered: readonly Outcome[];
  /** A 503 without Retry-After. */
  readonly withoutRetryAfter: readonly Outcome[];
}

export function outageFailures(outcomes: readonly Outcome[]): OutageFailures {
  return {
    fiveHundreds: outcomes.filter((o) => o.status >= 500 && o.status !== 503),
    unanswered: outcomes.filter((o) => o.status === 0),
    withoutRetryAfter: outcomes.filter((o) => o.status === 503 && o.retryAfter === undefined),
  };
}

/** None of them: every request answered, refusals only 503 with Retry-After; `logged` is what the servers logged, for the message. */
export function assertNoOutageFailures({ fiveHundreds, unanswered, withoutRetryAfter }: OutageFailures, logged: string): void {
  assert.deepEqual(fiveHundreds.length, 0, `no 5xx but 503: ${describeOutcomes(fiveHundreds)}; ${logged}`);
  assert.deepEqual(unanswered.length, 0, `every request is answered: ${describeOutcomes(unanswered)}`);
  assert.deepEqual(withoutRetryAfter.length, 0, `every 503 says Retry-After: ${describeOutcomes(withoutRetryAfter)}`);
}

/** The process's resident set (VmRSS) in KiB, read from /proc. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib);
}

/**
 * The scenario's figures on one line the closing note can quote:
 * `reliability figures | <scenario> | requests=… | …`.
 */
export function printFigures(scenario: string, figures: Readonly<Record<string, string | number>>): void {
  const parts = Object.entries(figures).map(([name, value]) => `${name}=${value}`);
  console.log(`reliability figures | ${scenario} | ${parts.join(' | ')}`);
}
