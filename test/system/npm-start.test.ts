/**
 * `npm start` as a supervisor runs it: SIGTERM (or SIGINT) to the npm
 * process must stop the server. npm forwards the signal only to the
 * `sh -c` it runs the script in; unless that shell execs node, the shell
 * dies and `node dist/server.js` goes on serving, orphaned. The start script
 * is `exec node dist/server.js` for that reason.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { ROOT } from '../support/paths.js';
import { makeCertDir, OWN_SERVER_SKIP } from '../support/server-process.js';

const skip = OWN_SERVER_SKIP;

/** A port nothing listens on right now: bind port 0, read it, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Whether 127.0.0.1:port can be bound, i.e. nothing holds it any more. */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The status of GET /healthz, or undefined while nothing answers. */
function health(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Live `node … dist/server.js` processes (not zombies, not a shell that runs one) in process group `group`. */
function serversInGroup(group: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== group || state === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (basename(argv[0] ?? '') === 'node' && argv.includes('dist/server.js')) found.push({ pid: Number(entry), argv });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

async function until<T>(what: string, limitMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs / 1000} s`);
    await sleep(250);
  }
}

/**
 * Runs `npm ARGS` in its own process group (so the test can find, and in the
 * end kill, whatever npm started, even an orphan), waits until it serves,
 * sends `signal` to npm's PID alone, and checks that everything stopped.
 */
async function startThenSignal(npmArgs: readonly string[], signal: NodeJS.Signals): Promise<void> {
  const dir = makeCertDir();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TLS_CERT_FILE: join(dir, 'ssl', 'cert.pem'),
    TLS_KEY_FILE: join(dir, 'ssl', 'key.pem'),
    DATABASE_URL: `sqlite:${join(dir, 'crm.db')}`,
    SESSION_SECRET: 'npm-start-test-secret-that-is-long-enough-0123',
    LOG_LEVEL: 'warn',
  };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const npm = spawn('npm', npmArgs, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  npm.stdout.on('data', keep);
  npm.stderr.on('data', keep);
  const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const group = npm.pid!;
  try {
    // prestart builds dist/ first; that takes a while on a busy machine. While the server
    // starts (migrations, seed) its start-up gate answers 503: wait for the 200.
    await until(`npm ${npmArgs.join(' ')} serving /healthz with 200`, 180_000, async () => {
      if (npm.exitCode !== null) throw new Error(`npm exited with ${npm.exitCode}:\n${output}`);
      return (await health(port)) === 200 ? true : undefined;
    });
    const servers = serversInGroup(group);
    assert.equal(servers.length, 1, `one node dist/server.js under npm: ${JSON.stringify(servers)}`);

    process.kill(npm.pid!, signal);
    const [code, killedBy] = await Promise.race([
      exited,
      sleep(15_000).then(() => {
        throw new Error(`npm did not exit within 15 s of ${signal}:\n${output}`);
      }),
    ]);
    assert.ok(code === 0 || killedBy === signal, `npm exited with ${code ?? killedBy}:\n${output}`);
    await until(`no dist/server.js left in npm's process group after ${signal}`, 5000, () =>
      serversInGroup(group).length === 0 ? true : undefined,
    );
    await until(`port ${port} free after ${signal}`, 5000, async () => ((await portIsFree(port)) ? true : undefined));
    assert.equal(await health(port), undefined, 'nothing answers on the port');
  } finally {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // the group is already empty
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('npm start', { skip }, () => {
  test('SIGTERM to the npm process stops the server it started and frees the port', { timeout: 240_000 }, async () => {
    await startThenSignal(['start'], 'SIGTERM');
  });

  test('SIGINT to the npm process does the same', { timeout: 240_000 }, async () => {
    // The start script is what is under test; reuse the build the test before made (prestart is skipped).
    const args = existsSync(join(ROOT, 'dist', 'server.js')) ? ['start', '--ignore-scripts'] : ['start'];
    await startThenSignal(args, 'SIGINT');
  });
});
