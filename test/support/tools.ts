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

/**
 * Skip reasons name the one command that makes the skipped tests run, after
 * this marker; test/support/not-run-reporter.ts groups what did not run by
 * reason and prints that command.
 */
export const ENABLE_MARKER = '; to run: ';

/** `why` plus the command that enables the test, in the form the not-run reporter reads. */
export function skipReason(why: string, enable: string): string {
  return `${why}${ENABLE_MARKER}${enable}`;
}

/**
 * For a test that cannot run here: outside CI, returns the reason to skip
 * with (a suite's `skip` option, or t.skip); with CI=true, throws, so that a
 * CI machine cannot silently skip it.
 */
export function skipReasonOrFail(reason: string, cause?: unknown): string {
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`, { cause });
  return reason;
}

const installHints = new Map([
  ['shellcheck', 'apt-get install -y shellcheck'],
  ['kubectl', 'install kubectl >= 1.27 with built-in kustomize (https://kubernetes.io/docs/tasks/tools/)'],
  ['git', 'apt-get install -y git'],
]);

/**
 * Skips the test with `why` and the command that enables it, or, under CI=true,
 * fails with that message so a CI machine cannot silently skip the check.
 */
export function skipOrFail(t: TestContext, why: string, enable: string): void {
  t.skip(skipReasonOrFail(skipReason(why, enable)));
}

/** Returns the tool's path; when it is missing, skips the test (fails under CI=true: skipOrFail). */
export function requireTool(t: TestContext, name: string): string | undefined {
  const found = which(name);
  if (found) return found;
  skipOrFail(t, `${name} is not installed`, installHints.get(name) ?? `install ${name}`);
  return undefined;
}
