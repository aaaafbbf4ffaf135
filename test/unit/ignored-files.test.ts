import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../support/paths.js';

const ignored = (file: string) => spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: ROOT }).status === 0;

test('local settings files (.env, .env.local, .env.production) are ignored by git; .env.example is not', () => {
  for (const file of ['.env', '.env.local', '.env.production', 'var/dev-session-secret', 'ssl/key.pem']) assert.ok(ignored(file), file);
  assert.equal(ignored('.env.example'), false);
});
