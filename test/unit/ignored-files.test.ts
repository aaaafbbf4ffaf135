import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../support/paths.js';

const ignored = (file: string) => spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: ROOT }).status === 0;

test('local settings files (.env, .env.local, .env.production) are ignored by git; .env.example is not', () => {
  for (const file of ['.env', '.env.local', '.env.production', 'var/dev-session-secret', 'ssl/key.pem']) assert.ok(ignored(file), file);
  assert.equal(ignored('.env.example'), false);
});

test('node_modules and .cache are ignored as symlinks too: a worktree links them to the main checkout', () => {
  // A pattern with a trailing slash matches directories only; a committed symlink replaced main's own folders.
  for (const file of ['node_modules', '.cache']) assert.ok(ignored(file), file);
});
