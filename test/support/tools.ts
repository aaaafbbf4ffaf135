import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Absolute path of an executable on the test runner's PATH, or undefined. */
export function which(name: string): string | undefined {
  try {
    return execFileSync('bash', ['-c', 'command -v -- "$1"', 'which', name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const installHints = new Map([
  ['shellcheck', 'apt-get install -y shellcheck'],
  ['kubectl', 'see https://kubernetes.io/docs/tasks/tools/ (kubectl >= 1.27 with built-in kustomize)'],
  ['git', 'apt-get install -y git'],
]);

/**
 * Returns the tool's path. When it is missing the test is skipped locally, but fails
 * with a clear message under CI=true so a CI machine cannot silently skip the check.
 */
export function requireTool(t: TestContext, name: string): string | undefined {
  const found = which(name);
  if (found) return found;
  const message = `${name} is not installed (${installHints.get(name) ?? 'install it'})`;
  if (process.env.CI === 'true') throw new Error(`${message}; it is required when CI=true`);
  t.skip(message);
  return undefined;
}
