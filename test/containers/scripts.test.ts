import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../support/paths.js';

const run = promisify(execFile);
const dir = path.join(ROOT, 'scripts', 'containers');
const scripts = fs
  .readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.sh'))
  .map((f) => path.join(dir, f));

test('the container scripts parse (bash -n)', async () => {
  assert.ok(scripts.length >= 5, `found ${scripts.join(', ')}`);
  for (const file of scripts) await run('bash', ['-n', file]);
});

test('the runnable container scripts are executable, in strict mode, with timeouts', () => {
  for (const name of ['test.sh', 'daemon.sh', 'build-standins.sh', 'registry.sh', 'check-mail.sh']) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(fs.statSync(file).mode & 0o111, `${name} is executable`);
    assert.match(text, /^set -euo pipefail$/m, `${name} strict mode`);
  }
  const main = fs.readFileSync(path.join(dir, 'test.sh'), 'utf8');
  assert.match(main, /^trap cleanup EXIT$/m, 'test.sh tears down on any exit');
  // Every long step runs under `timeout`: no docker or compose call in a step without one.
  for (const line of main.split('\n').filter((l) => /^step /.test(l))) assert.match(line, /^step \d+ "/, line);
});

test('the private daemon adds no firewall rules and publishes nothing beyond loopback', () => {
  const daemon = fs.readFileSync(path.join(dir, 'daemon.sh'), 'utf8');
  for (const flag of ['--iptables=false', '--ip-masq=false', '--ip-forward=false', '--exec-root', '--data-root', '--pidfile']) {
    assert.ok(daemon.includes(flag), `dockerd ${flag}`);
  }
});

/** Runs the Redis stand-in's entrypoint with fake id/setpriv/redis-* that print what they were given. */
function redisEntrypoint(t: TestContext, uid: number, args: string[]): string[] {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-entrypoint-'));
  t.after(() => fs.rmSync(bin, { recursive: true, force: true }));
  const printer = (name: string) => `#!/bin/sh\nprintf '%s\\n' ${name} "$@"\n`;
  for (const name of ['redis-server', 'redis-cli', 'setpriv']) fs.writeFileSync(path.join(bin, name), printer(name), { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'id'), `#!/bin/sh\necho ${uid}\n`, { mode: 0o755 });
  const result = spawnSync(path.join(dir, 'standins', 'redis-entrypoint.sh'), args, { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').slice(0, -1);
}

test('the Redis stand-in runs redis-server with protected mode off (as the official build), before the caller\'s options', (t) => {
  assert.deepEqual(redisEntrypoint(t, 999, ['redis-server', '--save', '', '--appendonly', 'no']),
    ['redis-server', '--protected-mode', 'no', '--save', '', '--appendonly', 'no']);
  assert.deepEqual(redisEntrypoint(t, 999, ['--port', '6380']), ['redis-server', '--protected-mode', 'no', '--port', '6380']);
  assert.deepEqual(redisEntrypoint(t, 999, ['/etc/redis/redis.conf', '--port', '6380']),
    ['redis-server', '/etc/redis/redis.conf', '--protected-mode', 'no', '--port', '6380']);
  assert.deepEqual(redisEntrypoint(t, 999, ['redis-cli', 'ping']), ['redis-cli', 'ping']);
});

test('the Redis stand-in, started as root, re-runs itself as the redis user', (t) => {
  const [tool, ...args] = redisEntrypoint(t, 0, ['redis-server']);
  assert.equal(tool, 'setpriv');
  assert.deepEqual(args, ['--reuid=redis', '--regid=redis', '--init-groups', path.join(dir, 'standins', 'redis-entrypoint.sh'), 'redis-server']);
});
