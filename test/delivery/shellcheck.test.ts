import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { k8sDir, scripts } from '../support/paths.js';
import { requireTool } from '../support/tools.js';

test('the delivery scripts pass shellcheck', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const files = fs.readdirSync(k8sDir).filter((f) => f.endsWith('.sh')).map((f) => path.join(k8sDir, f));
  assert.deepEqual(files.sort(), Object.values(scripts).sort());
  try {
    await promisify(execFile)(shellcheck, ['--external-sources', '--format=gcc', ...files]);
  } catch (err) {
    assert.fail(`shellcheck found problems:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
});

test('the delivery scripts are executable bash scripts in strict mode', () => {
  for (const file of Object.values(scripts)) {
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env bash\n'), `${file} shebang`);
    assert.match(text, /^set -Eeuo pipefail$/m, `${file} strict mode`);
    assert.ok(fs.statSync(file).mode & 0o111, `${file} is not executable`);
  }
});

test("the project's other shell scripts pass shellcheck too", async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const root = path.join(k8sDir, '..');
  const files = [
    ...['make_cert.sh', 'wait_for_https.sh', 'quick.sh', '.ci/run'].map((f) => path.join(root, f)),
    ...['scripts', 'scripts/lib', 'scripts/containers', 'k8s/lib'].flatMap((dir) =>
      fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.sh')).map((f) => path.join(root, dir, f)),
    ),
  ];
  try {
    await promisify(execFile)(shellcheck, ['--external-sources', '--format=gcc', '--shell=bash', ...files], { cwd: root });
  } catch (err) {
    assert.fail(`shellcheck found problems:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
});
