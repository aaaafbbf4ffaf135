/**
 * The `crm` command as an operator runs it, for the CLI's system tests: a
 * process through tsx against a SQLite file, standard input and error piped
 * (never a terminal, so progress is plain lines), only the settings given
 * (ENV_FILE=none: a developer's .env must not change what the tests see).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface CrmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CrmOptions {
  /** Written to standard input, then closed. */
  readonly input?: string;
  readonly cwd?: string;
  /** More settings (SEED_ACCOUNTS, COMPANY_NAME, …). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs `crm ARGS` with DATABASE_URL=sqlite:dbFile and resolves with its exit status and output. */
export function runCrm(dbFile: string, args: readonly string[], { input = '', cwd = ROOT, env = {}, timeoutMs = 60_000 }: CrmOptions = {}): Promise<CrmRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'test', DATABASE_URL: `sqlite:${dbFile}`, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // The command may exit before reading all of it (the first line is enough).
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A run's status and output, for an assertion's message. */
export const showRun = (run: CrmRun): string => `exit ${String(run.status)}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
