/**
 * npm run bench: our server on MariaDB under autocannon (HTTPS keep-alive),
 * GET / and the POST / lookup at 16 and 64 connections, next to two ceilings
 * measured in the same run: a bare node:https server returning a fixed 2 KB
 * page and a minimal Fastify + mysql2 server doing the same primary-key
 * select. Loopback only; every run is bounded by BENCH_SECONDS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Browser } from '../test/support/https-client.js';
import { ROOT } from '../test/support/paths.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crm_bench';
const CONNECTIONS = [16, 64] as const;
/**
 * Every server, ours and the ceilings, runs with the heap cap the image sets
 * (Dockerfile ENV NODE_OPTIONS); without one V8 sizes its heap from this
 * machine's 24 GiB and collects lazily, which is not how a pod with a
 * 256 MiB limit runs.
 */
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=96';

interface Measured {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssMb: number;
}

function readRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? '0';
  return Math.round(Number(peak) / 1024);
}

async function launch(args: string[], env: Record<string, string>, readyPattern: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 30_000);
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = readyPattern.exec(buffer);
      if (match) {
        clearTimeout(timer);
        buffer = '';
        resolve(Number(match[1]));
      }
      if (buffer.length > 1_000_000) buffer = buffer.slice(-10_000);
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${String(code)}`)));
  });
  // Keep draining the logs, as a log collector would.
  child.stdout?.resume();
  return { child, port };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
}

async function load(name: string, pid: number, connections: number, options: autocannon.Options): Promise<Measured> {
  // A short warm-up so JIT and pools are hot before measuring.
  await autocannon({ ...options, connections, duration: 2 });
  const result = await autocannon({ ...options, connections, duration: SECONDS });
  return {
    name,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssMb: readRssMb(pid),
  };
}

async function main(): Promise<void> {
  const made = spawnSync('bash', [join(ROOT, 'scripts', 'test-databases.sh')], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error('MariaDB is not available');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-'));
  spawnSync('bash', [join(ROOT, 'make_cert.sh'), dir], { stdio: 'ignore' });
  const tls = { CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem') };
  const results: Measured[] = [];
  try {
    const ours = await launch(
      ['dist/server.js'],
      {
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        TLS_CERT_FILE: tls.CERT,
        TLS_KEY_FILE: tls.KEY,
        DATABASE_URL: MYSQL_URL,
        SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789',
        LOG_LEVEL: 'info',
      },
      /"port":(\d+),"msg":"serving https/,
    );
    const base = `https://127.0.0.1:${ours.port}`;
    const visitor = new Browser(base, tls.CERT);
    const { token } = await visitor.openLookupPage();
    const form = new URLSearchParams({ acctid: 'ACCT100', csrf_token: token }).toString();
    const check = await visitor.postForm({ acctid: 'ACCT100', csrf_token: token });
    if (!check.body.includes('Account balance: 40.00 USD')) throw new Error('the lookup does not work; not benchmarking it');
    for (const connections of CONNECTIONS) {
      results.push(await load('ours GET /', ours.child.pid!, connections, { url: `${base}/` }));
      results.push(
        await load('ours POST / lookup', ours.child.pid!, connections, {
          url: `${base}/`,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: visitor.cookieHeader() },
          body: form,
        }),
      );
    }
    await stop(ours.child);

    const bare = await launch(['--import', 'tsx', 'bench/ceilings/bare-https.ts'], tls, /"port":(\d+)/);
    for (const connections of CONNECTIONS) results.push(await load('ceiling: bare node:https 2 KB', bare.child.pid!, connections, { url: `https://127.0.0.1:${bare.port}/` }));
    await stop(bare.child);

    const minimal = await launch(['--import', 'tsx', 'bench/ceilings/fastify-mysql2.ts'], { ...tls, MYSQL_URL }, /"port":(\d+)/);
    for (const connections of CONNECTIONS) {
      results.push(await load('ceiling: Fastify + mysql2 select', minimal.child.pid!, connections, { url: `https://127.0.0.1:${minimal.port}/account/ACCT100` }));
    }
    await stop(minimal.child);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ceiling = (name: string, connections: number) => results.find((r) => r.name.startsWith(name) && r.connections === connections)!;
  console.log(`\nautocannon, HTTPS keep-alive, ${SECONDS} s per run after a 2 s warm-up, 127.0.0.1, servers with NODE_OPTIONS=${NODE_OPTIONS}`);
  console.log('scenario | conns | req/s | p50 ms | p99 ms | errors | non-2xx | server peak RSS MB | vs bare https | vs Fastify+mysql2');
  for (const r of results) {
    const bare = ceiling('ceiling: bare', r.connections).rps;
    const fm = ceiling('ceiling: Fastify', r.connections).rps;
    console.log(
      [r.name, r.connections, r.rps, r.p50, r.p99, r.errors, r.non2xx, r.rssMb, `${Math.round((100 * r.rps) / bare)}%`, `${Math.round((100 * r.rps) / fm)}%`].join(' | '),
    );
  }
  const post64 = results.find((r) => r.name === 'ours POST / lookup' && r.connections === 64)!;
  const target = {
    ratio: post64.rps / ceiling('ceiling: Fastify', 64).rps >= 0.5,
    p99: post64.p99 <= 20,
    errors: post64.errors === 0 && post64.non2xx === 0,
    rss: post64.rssMb <= 150,
  };
  console.log(`\ntarget at 64 connections (POST / >= 50% of Fastify+mysql2, p99 <= 20 ms, 0 errors, RSS <= 150 MB): ${JSON.stringify(target)}`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify({ seconds: SECONDS, results, target }, null, 2)}\n`);
}

await main();
