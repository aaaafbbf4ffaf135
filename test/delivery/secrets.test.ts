import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { manifestDir, ROOT } from '../support/paths.js';
import { assertPlaceholdersOnly, parseObjects } from '../support/kustomize.js';
import { tempDir } from '../support/tmp.js';
import { requireTool } from '../support/tools.js';

interface Kustomization {
  resources: string[];
  secretGenerator: { name: string; files?: string[]; literals?: string[]; envs?: string[] }[];
}
const kustomization = parse(fs.readFileSync(path.join(manifestDir, 'kustomization.yaml'), 'utf8')) as Kustomization;
const generatorFiles = kustomization.secretGenerator.flatMap((g) => (g.files ?? []).map((f) => f.split('=').pop()!));

test('secret values come only from generator files, never from literals or committed Secret objects', () => {
  assert.ok(generatorFiles.length >= 5);
  for (const g of kustomization.secretGenerator) {
    assert.equal(g.literals, undefined, `secretGenerator ${g.name} has literals`);
    assert.equal(g.envs, undefined, `secretGenerator ${g.name} reads an env file`);
  }
  for (const resource of kustomization.resources) {
    const kinds = parseObjects(fs.readFileSync(path.join(manifestDir, resource), 'utf8')).map((o) => o.kind);
    assert.ok(!kinds.includes('Secret'), `${resource} commits a Secret`);
  }
});

test('every secret file has a committed *.example placeholder and the real file is git-ignored', (t) => {
  if (!requireTool(t, 'git')) return;
  assertPlaceholdersOnly(manifestDir, generatorFiles);
});

test('the bootstrap admin is a generated Secret with its own file, like the others', () => {
  const generator = kustomization.secretGenerator.find((g) => g.name === 'crm-bootstrap-admin');
  assert.deepEqual(generator?.files, ['bootstrap-admin=secrets/bootstrap-admin']);
  const example = parseEnv(fs.readFileSync(path.join(manifestDir, 'secrets', 'bootstrap-admin.example'), 'utf8'));
  // What the app reads: a user name and a password, and the password is an obvious placeholder.
  assert.ok(example.username, 'bootstrap-admin.example has no username');
  assert.match(example.password ?? '', /change-me/);
  assert.equal(example.password_hash, undefined);
});

const makeBootstrapAdmin = path.join(ROOT, 'scripts', 'make-bootstrap-admin.sh');

test('scripts/make-bootstrap-admin.sh writes a private file util.parseEnv reads as a user name and a random password, and prints where', (t) => {
  if (!requireTool(t, 'openssl')) return;
  const dir = tempDir(t);
  const passwords = new Set<string>();
  for (const [name, args] of [['a', []], ['b', ['clerk.one@globo']]] as const) {
    const file = path.join(dir, 'nested', name);
    const result = spawnSync(makeBootstrapAdmin, [file, ...args], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.includes(`Created ${file}`), result.stdout);
    assert.ok(result.stdout.includes(`CRM_BOOTSTRAP_ADMIN_FILE=${file}`), result.stdout);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const text = fs.readFileSync(file, 'utf8');
    const values = parseEnv(text);
    assert.deepEqual(Object.keys(values).sort(), ['password', 'username']);
    assert.equal(values.username, args[0] ?? 'admin');
    assert.match(values.password ?? '', /^[0-9a-f]{32}$/);
    assert.ok(!result.stdout.includes(values.password ?? ''), 'the password was printed');
    passwords.add(values.password ?? '');
  }
  assert.equal(passwords.size, 2, 'two runs made the same password');
});

test('scripts/make-bootstrap-admin.sh never overwrites a file and refuses a user name the file could not carry', (t) => {
  if (!requireTool(t, 'openssl')) return;
  const dir = tempDir(t);
  const file = path.join(dir, 'bootstrap-admin');
  fs.writeFileSync(file, 'username=kept\npassword=kept-password-1234\n');
  const again = spawnSync(makeBootstrapAdmin, [file], { encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists; delete it first/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'username=kept\npassword=kept-password-1234\n');
  for (const name of ['two words', 'a#b', 'x=y', '"quoted"', '-leading', 'x'.repeat(65)]) {
    const result = spawnSync(makeBootstrapAdmin, [path.join(dir, 'other'), name], { encoding: 'utf8' });
    assert.notEqual(result.status, 0, name);
    assert.match(result.stderr, /user name .*: use 1-64 letters, digits/, name);
    assert.ok(!fs.existsSync(path.join(dir, 'other')), `a file was written for ${name}`);
  }
});

test('for Kubernetes it says deploy_k8s.sh takes the file; for compose, the .env line that uses it', (t) => {
  if (!requireTool(t, 'openssl')) return;
  const dir = tempDir(t);
  const k8s = path.join(dir, 'k8s', 'manifest', 'secrets', 'bootstrap-admin');
  const result = spawnSync(makeBootstrapAdmin, [k8s], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /deploy_k8s\.sh puts it into the Secret crm-bootstrap-admin/);
  assert.doesNotMatch(result.stdout, /CRM_BOOTSTRAP_ADMIN_FILE=/);
});
