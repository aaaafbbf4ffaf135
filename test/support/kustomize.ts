import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { k8sDir, ROOT } from './paths.js';
import { tempDir } from './tmp.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** Parses a multi-document YAML stream, dropping empty documents. */
export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/**
 * Copies k8s/ to a temp dir, fills every git-ignored file (secrets, a CA bundle)
 * from its committed *.example placeholder and renders the base k8s/manifest, or
 * `k8s/<kustomization>` (an overlay such as overlays/managed-database), with
 * `kubectl kustomize`. Returns undefined when the test was skipped because kubectl
 * is missing.
 */
export async function renderManifests(t: TestContext, kustomization = 'manifest'): Promise<K8sObject[] | undefined> {
  const kubectl = requireTool(t, 'kubectl');
  if (!kubectl) return undefined;
  const copy = path.join(tempDir(t), 'k8s');
  fs.cpSync(k8sDir, copy, { recursive: true });
  for (const entry of fs.readdirSync(copy, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.example')) fs.copyFileSync(path.join(copy, entry), path.join(copy, entry.slice(0, -'.example'.length)));
  }
  const { stdout } = await run(kubectl, ['kustomize', path.join(copy, kustomization)], { maxBuffer: 16 * 1024 * 1024 });
  return parseObjects(stdout);
}

/** The single object of that kind and name; throws a readable error otherwise. */
export function find<T = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const matches = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (matches.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`expected exactly one ${kind}/${name}, found ${matches.length} (rendered: ${have})`);
  }
  return matches[0] as T;
}

export function ofKind<T = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/**
 * Each kustomize generator file under `dir` is kept out of git, with a committed
 * `FILE.example` placeholder beside it (the placeholder itself not ignored).
 */
export function assertPlaceholdersOnly(dir: string, files: readonly string[]): void {
  const ignored = (file: string) => {
    try {
      execFileSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: ROOT });
      return true;
    } catch {
      return false;
    }
  };
  for (const file of files) {
    const real = path.join(dir, file);
    assert.ok(fs.existsSync(`${real}.example`), `${file}.example is missing`);
    assert.ok(ignored(real), `${file} is not git-ignored`);
    assert.ok(!ignored(`${real}.example`), `${file}.example is git-ignored`);
  }
}
