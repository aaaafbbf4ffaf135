import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
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
  for (const name of ['test.sh', 'daemon.sh', 'build-standins.sh', 'registry.sh']) {
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
