import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { manifestDir } from './paths.js';
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
 * Copies k8s/manifest to a temp dir, fills the git-ignored secret files from the
 * committed *.example placeholders and renders it with `kubectl kustomize`.
 * Returns undefined when the test was skipped because kubectl is missing.
 */
export async function renderManifests(t: TestContext): Promise<K8sObject[] | undefined> {
  const kubectl = requireTool(t, 'kubectl');
  if (!kubectl) return undefined;
  const copy = path.join(tempDir(t), 'manifest');
  fs.cpSync(manifestDir, copy, { recursive: true });
  const secrets = path.join(copy, 'secrets');
  for (const file of fs.readdirSync(secrets)) {
    if (file.endsWith('.example')) fs.copyFileSync(path.join(secrets, file), path.join(secrets, file.slice(0, -'.example'.length)));
  }
  const { stdout } = await run(kubectl, ['kustomize', copy], { maxBuffer: 16 * 1024 * 1024 });
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
