/**
 * scripts/build-if-stale.sh, the pre-step of `npm run crm`, `npm start` and
 * `npm run migrate`, in a scratch project whose build only counts how often
 * it ran: it builds when a source changed since the last build, and not otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

function scratchProject(dir: string): () => number {
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'build-if-stale.sh'), join(dir, 'scripts', 'build-if-stale.sh'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, scripts: { build: 'echo built >> builds.log' } }));
  writeFileSync(join(dir, 'tsconfig.json'), '{}');
  writeFileSync(join(dir, 'tsconfig.build.json'), '{}');
  writeFileSync(join(dir, 'src', 'cli', 'main.ts'), 'export {};\n');
  return () => {
    try {
      return readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
}

function run(dir: string): void {
  const result = spawnSync('bash', [join(dir, 'scripts', 'build-if-stale.sh')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
}

/** An edit after the last build: the build's stamp goes a minute back, the file (or directory) is touched now. */
function editAfterBuild(dir: string, path: string): void {
  const before = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'dist', '.build-stamp'), before, before);
  const now = new Date();
  utimesSync(path, now, now);
}

test('dist/ is built when missing, again only after a source, a tsconfig or the set of files changed', (t) => {
  const dir = tempDir(t, 'crm-build-');
  const builds = scratchProject(dir);

  run(dir);
  assert.equal(builds(), 1, 'no dist/ yet: built');
  run(dir);
  assert.equal(builds(), 1, 'nothing changed: not built again');

  editAfterBuild(dir, join(dir, 'src', 'cli', 'main.ts'));
  run(dir);
  assert.equal(builds(), 2, 'an edited source');
  run(dir);
  assert.equal(builds(), 2);

  editAfterBuild(dir, join(dir, 'tsconfig.build.json'));
  run(dir);
  assert.equal(builds(), 3, 'an edited tsconfig');

  rmSync(join(dir, 'src', 'cli', 'main.ts'));
  editAfterBuild(dir, join(dir, 'src', 'cli'));
  run(dir);
  assert.equal(builds(), 4, 'a deleted source');
  run(dir);
  assert.equal(builds(), 4);
});
