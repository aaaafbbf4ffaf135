import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { manifestDir, ROOT } from '../support/paths.js';
import { parseObjects } from '../support/kustomize.js';
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
  const ignored = (file: string) => {
    try {
      execFileSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: ROOT });
      return true;
    } catch {
      return false;
    }
  };
  for (const file of generatorFiles) {
    const real = path.join(manifestDir, file);
    assert.ok(fs.existsSync(`${real}.example`), `${file}.example is missing`);
    assert.ok(ignored(real), `${file} is not git-ignored`);
    assert.ok(!ignored(`${real}.example`), `${file}.example is git-ignored`);
  }
});
