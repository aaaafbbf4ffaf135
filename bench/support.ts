/**
 * What the benches share: wrk with a Lua script that reports p50/p99 and
 * non-2xx as JSON, starting a server and learning its port over IPC, and the
 * machine's state (load average, a process's peak RSS).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { imageNodeOptions } from '../test/support/image-node-options.js';
import { ROOT } from '../test/support/paths.js';
import { createConnection } from 'mysql2/promise';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const WARMUP_SECONDS = 2;
/**
 * Every server, ours and the ceilings, runs with the heap configuration the
 * image sets (the Dockerfile's ENV NODE_OPTIONS, read from it); without it V8
 * sizes its heap from this machine's 24 GiB and collects lazily, which is not
 * how a pod with a 256 MiB limit runs.
 */
export const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? imageNodeOptions();

export interface Measured {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssMb: number;
  /** The 1-minute load average as the measurement ended: other work on the machine depresses every figure. */
  loadAverage: number;
  /**
   * The server's CPU time (all its threads, user + system) per request, in
   * microseconds: what a request costs, which other work on the machine
   * changes far less than it changes req/s.
   */
  cpuUsPerRequest: number;
}

/** What the Lua done() hook below prints on one line after wrk's own report. */
export interface WrkSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  non2xx: number;
}

const MARK = 'BENCH_JSON ';

/** Lua string literal for any bytes. */
function lua(text: string): string {
  return `"${[...Buffer.from(text)].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`)).join('')}"`;
}

export interface WrkRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Paths taken in turn, one a request (e.g. payments spread over many accounts), instead of the URL's. */
  paths?: readonly string[];
  /** A header given a value no other request of any run has (e.g. Idempotency-Key). */
  uniqueHeader?: string;
}

/** A request() hook: the next path, and a unique header value (the run's random prefix and a counter). */
function varyingRequest({ paths, uniqueHeader }: WrkRequest): string {
  return `${paths ? `local paths = {${paths.map(lua).join(', ')}}` : ''}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local run = string.format("%d-%d", os.time(), math.random(1, 1000000000))
local n = 0
function request()
  n = n + 1
  ${uniqueHeader ? `wrk.headers[${lua(uniqueHeader)}] = "bench-" .. run .. "-" .. n` : ''}
  return wrk.format(nil, ${paths ? 'paths[(n % #paths) + 1]' : 'nil'})
end`;
}

/**
 * A wrk script: the request (method, headers, body; wrk builds it once and
 * reuses it), a response() hook counting non-2xx per thread, and a done()
 * hook printing the summary as JSON (latencies in microseconds).
 */
export function wrkScript(request: WrkRequest): string {
  return [
    ...(request.method ? [`wrk.method = ${lua(request.method)}`] : []),
    ...Object.entries(request.headers ?? {}).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    ...(request.body !== undefined ? [`wrk.body = ${lua(request.body)}`] : []),
    ...(request.paths || request.uniqueHeader ? [varyingRequest(request)] : []),
    `local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body) if status < 200 or status > 299 then non2xx = non2xx + 1 end end
function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format('\\n${MARK}{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, non2xx))
end`,
  ].join('\n');
}

export async function wrk(url: string, script: string, connections: number, seconds: number): Promise<WrkSummary> {
  const args = ['--threads', '1', '--connections', String(connections), '--duration', `${seconds}s`, '--timeout', '5s', '--script', script, url];
  // Asynchronous on purpose: this process keeps draining the server's logs meanwhile.
  const { stdout } = await promisify(execFile)('wrk', args, { maxBuffer: 1_000_000 });
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  return JSON.parse(line.slice(MARK.length)) as WrkSummary;
}

/** The 1-minute load average: other work on this 2-core machine depresses every figure, so the run records it before it starts. */
/**
 * Creates the database `url` names if it is missing, or throws a message naming
 * the server and the fix when MariaDB does not answer: the benchmarks use a
 * server you run (BENCH_MYSQL_URL), not the test run's private ones.
 */
export async function requireMariaDb(url: string): Promise<void> {
  const server = new URL(url);
  const name = decodeURIComponent(server.pathname.slice(1));
  server.pathname = '/';
  try {
    const connection = await createConnection(server.toString());
    if (name) await connection.query(`create database if not exists \`${name.replaceAll('`', '``')}\``);
    await connection.end();
  } catch (error) {
    throw new Error(`MariaDB at ${server.host} does not answer (${(error as Error).message}): start it, or point BENCH_MYSQL_URL at one`, { cause: error });
  }
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** A process's CPU time so far (user + system, every thread) in microseconds, from /proc (clock ticks of 10 ms). */
export function cpuTimeUs(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10_000;
}

export function readRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? '0';
  return Math.round(Number(peak) / 1024);
}

/** Starts a server and waits for its { type: 'listening', port } message on the IPC channel. */
export async function launch(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  // Keep draining the logs, as a log collector would.
  child.stdout?.resume();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 30 s`)), 30_000);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${String(code)} before listening`));
    });
  });
  return { child, port };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function load(name: string, pid: number, connections: number, url: string, script: string): Promise<Measured> {
  // A short warm-up so JIT and pools are hot before measuring.
  await wrk(url, script, connections, WARMUP_SECONDS);
  const cpuBefore = cpuTimeUs(pid);
  const s = await wrk(url, script, connections, SECONDS);
  const cpuUs = cpuTimeUs(pid) - cpuBefore;
  return {
    name,
    connections,
    rps: Math.round(s.requests / (s.durationUs / 1e6)),
    p50: Math.round(s.p50Us / 10) / 100,
    p99: Math.round(s.p99Us / 10) / 100,
    errors: s.errors,
    non2xx: s.non2xx,
    rssMb: readRssMb(pid),
    loadAverage: loadAverage(),
    cpuUsPerRequest: Math.round(cpuUs / s.requests),
  };
}

