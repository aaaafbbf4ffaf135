/**
 * Shared pieces of the attack suite (npm run test:attacks): scale, tools,
 * a server per test, raw TLS connections, a keep-alive client and the checks
 * every attack makes on what the server says. Every attack targets the
 * server it started on 127.0.0.1 and is bounded in time and count.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { TestContext } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateDatabase } from '../../src/migrations/index.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { Browser, httpsFetch, type RequestOptions } from '../support/https-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { which } from '../support/tools.js';

export type Scale = 'ci' | 'full';

/** ATTACK_SCALE=ci: the reduced run that fits CI's budget (the whole suite under 3 minutes); anything else: full. */
export const SCALE: Scale = process.env.ATTACK_SCALE === 'ci' ? 'ci' : 'full';
export const IN_CI = process.env.CI === 'true';

export function scaled<T>(sizes: { readonly ci: T; readonly full: T }): T {
  return SCALE === 'ci' ? sizes.ci : sizes.full;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The first of `names` on PATH. When none is there the test is skipped with
 * the reason and the install command, except under CI=true, where a missing
 * tool fails the test (scripts/ci-packages.sh installs them).
 */
export function requireCommand(t: TestContext, names: readonly string[], install: string): string | undefined {
  for (const name of names) {
    const found = which(name);
    if (found) return found;
  }
  const message = `${names.join(' / ')} is not installed (install it with: ${install})`;
  if (IN_CI) throw new Error(`${message}; it is required when CI=true (bash scripts/ci-packages.sh installs it)`);
  t.skip(message);
  return undefined;
}

/** Starts the real server with these settings for one test and stops it when the test ends. */
export async function serverFor(t: TestContext, env: Readonly<Record<string, string>> = {}): Promise<ServerProcess> {
  const server = await startServer(env);
  t.after(() => server.cleanup());
  return server;
}

export function portOf(server: ServerProcess): number {
  return Number(new URL(server.baseUrl).port);
}

/**
 * The server's own SQLite database (startServer's default, in its directory),
 * opened from the test to add users or read the audit log while the server
 * runs. The server has migrated it already; migrating again is a no-op.
 * The caller destroys it.
 */
export async function serverDatabase(server: ServerProcess): Promise<Kysely<Database>> {
  const db = createDatabase<Database>(parseDatabaseUrl(`sqlite:${join(server.dir, 'crm.db')}`), { poolSize: 1, connectTimeoutMs: 3000 });
  await migrateDatabase(db);
  return db;
}

/** Runs a command to its end (the caller bounds it, e.g. with timeout(1)): exit code and stdout + stderr. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The soft limit on open files for processes started from here (the test runner and the server). */
export function openFileLimit(): number {
  const text = execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text);
}

/** How many attack connections fit: the asked number, capped to leave room under `ulimit -n`. */
export function connectionBudget(wanted: number): { count: number; limit: number } {
  const limit = openFileLimit();
  return { count: Math.max(50, Math.min(wanted, limit - 256)), limit };
}

/** Resident memory of a process in KiB, from /proc/<pid>/status. */
export function residentKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/** The server's JSON log lines, parsed (lines that are not JSON are left out). */
export function logEntries(server: ServerProcess): Array<Record<string, unknown>> {
  const entries: Array<Record<string, unknown>> = [];
  for (const line of server.logLines) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object') entries.push(parsed as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  }
  return entries;
}

/** What a lookup that reached the database shows: a balance or the unknown-account message. */
export const LOOKUP_ANSWER = /Account balance|Unknown account/;

/** Signs that internals reached a client: stack frames, source paths, database errors. */
const LEAKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a stack frame', /\n\s*at\s+\S.*:\d+:\d+\)?/],
  ['a stack frame', /\bat (?:async )?\S+ \((?:file:\/\/|\/)[^)]*:\d+:\d+\)/],
  ['a source path', /(?:\/src\/|node_modules|\/work\/)[\w./-]*\.(?:ts|js|mjs|cjs)\b/],
  ['a database error', /SqliteError|SQLITE_[A-Z]+|better-sqlite3|kysely|ER_[A-Z_]{4,}|syntax error at or near|near "[^"]*": syntax error/i],
  ['an internal error name', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError): /],
];

/** Why a body shown to a client gives internals away, or undefined. */
export function leakIn(body: string): string | undefined {
  for (const [what, pattern] of LEAKS) {
    const found = pattern.exec(body);
    if (found) return `${what}: ${JSON.stringify(found[0].slice(0, 160))}`;
  }
  return undefined;
}

/**
 * Why a 4xx body does not explain itself, or undefined when it does: an HTML
 * page with a message, JSON with a message, or (for a request so malformed it
 * never reached the app: the server's clientError answer) one plain-text sentence.
 */
export function refusalProblem(contentType: string, body: string): string | undefined {
  if (body.trim() === '') return `an empty body, no message (content-type ${JSON.stringify(contentType)})`;
  if (/^text\/plain/i.test(contentType)) {
    return /^[A-Z][^<>{}\n]{8,}[.!]\n?$/.test(body) ? undefined : `plain text that is not a sentence (${JSON.stringify(body.slice(0, 80))})`;
  }
  if (/text\/html/i.test(contentType)) {
    return /<(?:p|h1)\b[^>]*>\s*[^<\s][^<]{2,}/i.test(body) ? undefined : 'an HTML page without a message';
  }
  if (/json/i.test(contentType)) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } };
      const message = parsed.message ?? parsed.error?.message;
      return typeof message === 'string' && message.trim().length > 0 ? undefined : 'JSON without a message';
    } catch {
      return 'a body labelled JSON that does not parse';
    }
  }
  return `neither a page nor JSON (content-type ${JSON.stringify(contentType)}, body ${JSON.stringify(body.slice(0, 80))})`;
}

/** A TLS connection to the server on 127.0.0.1 (its self-signed certificate is not checked: only the bytes matter). */
export function openTls(port: number, session?: Buffer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, session });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type RawOutcome =
  | { readonly kind: 'reply'; readonly reply: RawReply }
  /** The server closed the connection without a (complete) response. */
  | { readonly kind: 'closed'; readonly partial: string; readonly error?: string }
  | { readonly kind: 'timeout'; readonly partial: string };

/** The first complete final response in `data`, or undefined while more bytes are needed. Throws on garbage. */
export function parseResponse(data: Buffer, method: string): RawReply | undefined {
  let start = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', start);
    if (headEnd < 0) return undefined;
    const head = data.subarray(start, headEnd).toString('latin1');
    const [statusLine = '', ...lines] = head.split('\r\n');
    const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!statusMatch?.[1]) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const status = Number(statusMatch[1]);
    const headerMap = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headerMap.get(name);
      headerMap.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      start = bodyStart; // 100 Continue and other interim responses: the final one follows
      continue;
    }
    const headers = Object.fromEntries(headerMap);
    if (method === 'HEAD' || status === 204 || status === 304) return { status, headers, body: '' };
    const rest = data.subarray(bodyStart);
    if (/chunked/i.test(headerMap.get('transfer-encoding') ?? '')) {
      const chunks: Buffer[] = [];
      let offset = 0;
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', offset);
        if (lineEnd < 0) return undefined;
        const size = parseInt(rest.subarray(offset, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size in the response');
        if (size === 0) return { status, headers, body: Buffer.concat(chunks).toString('utf8') };
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        offset = lineEnd + 2 + size + 2;
      }
    }
    const length = headerMap.get('content-length');
    if (length === undefined) return undefined; // delimited by close: the caller finishes it
    const size = Number(length);
    if (rest.length < size) return undefined;
    return { status, headers, body: rest.subarray(0, size).toString('utf8') };
  }
}

function bodyUntilClose(data: Buffer): RawReply | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const reply = parseResponse(Buffer.concat([data.subarray(0, headEnd + 4)]), 'HEAD');
  return reply && { ...reply, body: data.subarray(headEnd + 4).toString('utf8') };
}

/**
 * Writes raw bytes on a new TLS connection and reads the first response.
 * The socket is closed as soon as one complete response has arrived.
 */
export async function rawExchange(
  port: number,
  request: Buffer,
  options: { readonly method?: string; readonly timeoutMs?: number; readonly session?: Buffer; readonly onSession?: (session: Buffer) => void } = {},
): Promise<RawOutcome> {
  const method = options.method ?? 'GET';
  let socket: TLSSocket;
  try {
    socket = await openTls(port, options.session);
  } catch (error) {
    return { kind: 'closed', partial: '', error: (error as Error).message };
  }
  if (options.onSession) socket.once('session', options.onSession);
  return new Promise<RawOutcome>((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ kind: 'timeout', partial: data.toString('latin1', 0, 200) }),
      options.timeoutMs ?? 10_000,
    );
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      try {
        const reply = parseResponse(data, method);
        if (reply) finish({ kind: 'reply', reply });
      } catch (error) {
        finish({ kind: 'closed', partial: data.toString('latin1', 0, 200), error: (error as Error).message });
      }
    });
    const closed = (error?: Error) => {
      const reply = bodyUntilClose(data);
      if (reply) finish({ kind: 'reply', reply });
      else finish({ kind: 'closed', partial: data.toString('latin1', 0, 200), ...(error ? { error: error.message } : {}) });
    };
    socket.on('error', closed);
    socket.on('close', () => closed());
    // write, not end: a client's half-close makes Node abort a response still in progress (a static file, say).
    socket.write(request);
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A keep-alive HTTPS client trusting the server's certificate: many requests without a handshake each. */
export class KeepAliveClient {
  private readonly agent: Agent;
  private readonly ca: Buffer;

  constructor(
    readonly server: ServerProcess,
    maxSockets = 8,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
    this.ca = readFileSync(server.caFile);
  }

  request(path: string, options: RequestOptions = {}): Promise<Answer> {
    return httpsFetch(new URL(path, this.server.baseUrl), options, { ca: this.ca, agent: this.agent });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The lookup form's fields, as a browser posts them. */
export function lookupForm(acctid: string, token: string): string {
  return new URLSearchParams({ acctid, csrf_token: token }).toString();
}

export interface Visit {
  readonly ok: boolean;
  readonly attempts: number;
  readonly ms: number;
  readonly detail: string;
}

/**
 * A normal visitor: GET / for the form, then look up ACCT100 and expect its
 * balance. Connection failures are retried until `deadlineMs` (a server that
 * sheds attack connections may refuse a new one for a moment); a wrong answer is not.
 */
export async function normalVisit(server: ServerProcess, deadlineMs: number): Promise<Visit> {
  const started = performance.now();
  let attempts = 0;
  let detail = '';
  while (performance.now() - started < deadlineMs) {
    attempts += 1;
    try {
      const visitor = new Browser(server.baseUrl, server.caFile);
      const { token } = await visitor.openLookupPage();
      const reply = await visitor.postForm({ acctid: 'ACCT100', csrf_token: token });
      const ok = reply.status === 200 && reply.body.includes('Account balance: 40.00 USD');
      return {
        ok,
        attempts,
        ms: Math.round(performance.now() - started),
        detail: ok ? 'GET / and the ACCT100 lookup answered' : `lookup answered ${reply.status}: ${reply.body.slice(0, 200)}`,
      };
    } catch (error) {
      detail = (error as Error).message;
      await sleep(250);
    }
  }
  return { ok: false, attempts, ms: Math.round(performance.now() - started), detail: `no answer within ${deadlineMs} ms: ${detail}` };
}

/** A deterministic pseudo-random generator (mulberry32), so a failing fuzz run can be replayed with its seed. */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    bytes: (length: number) => {
      const out = Buffer.alloc(length);
      for (let i = 0; i < length; i += 1) out[i] = int(256);
      return out;
    },
  };
}

export interface SlowAttackOptions {
  /** Connections to open. */
  readonly count: number;
  /** Sent at once when a connection is up (may be empty). */
  readonly head: Buffer;
  /** Then sent one byte at a time, every `dripMs`. */
  readonly drip: Buffer;
  readonly dripMs: number;
  /** Every connection must have been closed by the server this long after its first byte (one that never reads: two drips later). */
  readonly boundMs: number;
  /** TLS handshakes in flight at once while opening. */
  readonly openConcurrency?: number;
  /**
   * Every other connection never reads what the server says: it sees no
   * close, only that its next write fails once the server has let go of the
   * socket. A server that answers and half-closes, then waits for the client
   * to close, holds such a connection (and its descriptor) for as long as the client keeps sending.
   */
  readonly alsoNeverReading?: boolean;
}

export interface SlowAttackResult {
  readonly opened: number;
  /** Connections the server refused or dropped during the handshake (a connection cap at work). */
  readonly refusedAtConnect: number;
  /** Established connections the server closed within the bound. */
  readonly closedByServer: number;
  /** Established connections still open at the bound (the attacker gave up on them). */
  readonly stillOpenAtBound: number;
  /** Of those, connections that never read. */
  readonly neverReadingStillOpenAtBound: number;
  /** Connections that never read, in all. */
  readonly neverReading: number;
  /** Milliseconds from a connection's first byte to its close by the server, sorted. */
  readonly closeTimesMs: readonly number[];
  /** First lines of what the server said before closing (e.g. "HTTP/1.1 408 Request Timeout"), counted. */
  readonly replies: ReadonlyMap<string, number>;
  /** Attack connections open when the side task started. */
  readonly openWhenVisitStarted: number;
  readonly seconds: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Opens `count` TLS connections that each start a request and then trickle
 * it out a byte at a time, and records when the server closes each one. When
 * half are open, `duringAttack` runs (a normal visitor) while the rest hold on.
 */
export async function slowConnectionsAttack<T>(
  server: ServerProcess,
  options: SlowAttackOptions,
  duringAttack: () => Promise<T>,
): Promise<{ result: SlowAttackResult; during: T }> {
  const port = portOf(server);
  const started = performance.now();
  let open = 0;
  let opened = 0;
  let refusedAtConnect = 0;
  let stillOpenAtBound = 0;
  let neverReading = 0;
  let neverReadingStillOpenAtBound = 0;
  const closeTimesMs: number[] = [];
  const replies = new Map<string, number>();
  const everyClose: Array<Promise<void>> = [];

  let halfOpen!: () => void;
  const halfOpenReached = new Promise<void>((resolve) => (halfOpen = resolve));
  const settledOne = () => {
    if (opened + refusedAtConnect >= Math.ceil(options.count / 2)) halfOpen();
  };

  const attackOne = async (index: number) => {
    const reads = !options.alsoNeverReading || index % 2 === 0;
    let socket: TLSSocket;
    try {
      socket = await openTls(port);
    } catch {
      refusedAtConnect += 1;
      settledOne();
      return;
    }
    opened += 1;
    open += 1;
    if (!reads) {
      neverReading += 1;
      socket.pause();
    }
    settledOne();
    const firstByteAt = performance.now();
    let sent = 0;
    let said = '';
    const closed = new Promise<void>((resolve) => {
      let done = false;
      const finish = (byServer: boolean) => {
        if (done) return;
        done = true;
        open -= 1;
        clearInterval(dripper);
        clearTimeout(giveUp);
        if (byServer) closeTimesMs.push(Math.round(performance.now() - firstByteAt));
        else {
          stillOpenAtBound += 1;
          if (!reads) neverReadingStillOpenAtBound += 1;
        }
        const firstLine = said.split('\r\n')[0] ?? '';
        if (firstLine) replies.set(firstLine, (replies.get(firstLine) ?? 0) + 1);
        socket.destroy();
        resolve();
      };
      const dripper = setInterval(() => {
        if (sent < options.drip.length && socket.writable) socket.write(options.drip.subarray(sent, ++sent));
      }, options.dripMs);
      // A client that never reads learns of the close only when a write fails, which takes up to two
      // more drips after the server let go (the first write after it draws the reset): allowed for.
      const giveUp = setTimeout(() => finish(false), reads ? options.boundMs : options.boundMs + 2 * options.dripMs);
      if (reads) {
        socket.on('data', (chunk: Buffer) => {
          if (said.length < 200) said += chunk.toString('latin1');
        });
      }
      socket.on('error', () => finish(true));
      socket.on('end', () => finish(true));
      socket.on('close', () => finish(true));
    });
    if (options.head.length > 0) socket.write(options.head);
    if (options.drip.length > 0 && socket.writable) socket.write(options.drip.subarray(sent, ++sent));
    everyClose.push(closed);
  };

  const opening = (async () => {
    const queue = Array.from({ length: options.count }, (_, i) => i);
    const workers = Array.from({ length: options.openConcurrency ?? 64 }, async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) await attackOne(index);
    });
    await Promise.all(workers);
    halfOpen();
  })();

  await halfOpenReached;
  const openWhenVisitStarted = open;
  const during = await duringAttack();
  await opening;
  await Promise.all(everyClose);
  closeTimesMs.sort((a, b) => a - b);
  return {
    result: {
      opened,
      refusedAtConnect,
      closedByServer: closeTimesMs.length,
      stillOpenAtBound,
      neverReadingStillOpenAtBound,
      neverReading,
      closeTimesMs,
      replies,
      openWhenVisitStarted,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    },
    during,
  };
}

/** One line for the test's diagnostics. */
export function describeSlowAttack(result: SlowAttackResult): string {
  const times = result.closeTimesMs;
  const replies = [...result.replies].map(([line, n]) => `${n}× ${line}`).join(', ') || 'none';
  return (
    `opened ${result.opened}, refused at connect ${result.refusedAtConnect}, closed by the server ${result.closedByServer} ` +
    `(p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${times.at(-1) ?? Number.NaN} ms), ` +
    `still open at the bound ${result.stillOpenAtBound} (${result.neverReadingStillOpenAtBound} of the ${result.neverReading} that never read); server replies before closing: ${replies}; ` +
    `${result.openWhenVisitStarted} attack connections open when the normal visitor started; ${result.seconds} s`
  );
}

export interface SqlmapScan {
  readonly sqlmap: string;
  readonly server: ServerProcess;
  /** The form's URL; its token is fetched from csrfUrl before every request. */
  readonly url: string;
  readonly csrfUrl: string;
  /** The form body to start from (with a valid csrf_token) and the visitor's cookie. */
  readonly data: string;
  readonly cookie: string;
  readonly parameters: readonly string[];
  readonly level: number;
  readonly budgetSeconds: number;
  /** Further sqlmap options, e.g. --ignore-code=401. */
  readonly extraArgs?: readonly string[];
}

export interface SqlmapOutcome {
  readonly code: number | null;
  readonly output: string;
  /** The server's answers to the scan's posts, by status. */
  readonly byStatus: ReadonlyMap<number, number>;
  readonly posts: number;
  /** The lines worth reading when an assertion fails. */
  readonly summary: string;
}

/** Runs sqlmap (risk 1) against one form on 127.0.0.1 within a time budget, and counts the server's answers. */
export async function scanWithSqlmap(t: TestContext, scan: SqlmapScan): Promise<SqlmapOutcome> {
  const home = mkdtempSync(join(tmpdir(), 'crm-sqlmap-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const path = new URL(scan.url).pathname;
  const started = performance.now();
  const { code, output } = await runCommand(
    'timeout',
    [
      '--kill-after=5', String(scan.budgetSeconds), scan.sqlmap,
      '-u', scan.url,
      '--data', scan.data,
      '--cookie', scan.cookie,
      '--csrf-token=csrf_token',
      `--csrf-url=${scan.csrfUrl}`,
      '-p', scan.parameters.join(','),
      ...(scan.extraArgs ?? []),
      '--level', String(scan.level),
      '--risk', '1',
      '--batch',
      '--timeout', '10',
      '--time-sec', '2',
      '--retries', '1',
      '--disable-coloring',
      '--output-dir', join(home, 'output'),
    ],
    { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb', LANG: 'C.UTF-8' },
  );
  const seconds = (performance.now() - started) / 1000;
  const posts = logEntries(scan.server).filter((line) => line.method === 'POST' && line.path === path);
  const byStatus = new Map<number, number>();
  for (const line of posts) byStatus.set(Number(line.statusCode), (byStatus.get(Number(line.statusCode)) ?? 0) + 1);
  const summary = output
    .split(/\r?\n|\r/)
    .filter((line) => /WARNING|ERROR|CRITICAL|injectable|vulnerable|identified|false positive|HTTP error codes|^\d{3} \(/.test(line))
    .slice(-20)
    .join('\n');
  t.diagnostic(`sqlmap exited ${String(code)} after ${seconds.toFixed(1)} s; POST ${path} in the server log by status: ${JSON.stringify(Object.fromEntries(byStatus))}`);
  for (const line of summary.split('\n')) t.diagnostic(line.slice(0, 240));
  return { code, output, byStatus, posts: posts.length, summary };
}
