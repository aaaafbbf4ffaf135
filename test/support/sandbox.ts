import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './tmp.js';
import { which } from './tools.js';

export interface Call {
  tool: string;
  args: string[];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Real tools the scripts may use; everything else must be faked explicitly. */
const SYSTEM_TOOLS = [
  'awk', 'bash', 'cat', 'cp', 'cut', 'dirname', 'grep', 'head', 'install', 'mkdir',
  'mktemp', 'rm', 'sha256sum', 'shasum', 'tr', 'uname',
];

const SEP = '\x1f';

/**
 * A hermetic place to run a delivery script: PATH holds only fake binaries (which log
 * their argv to a file) and a handful of real coreutils, HOME and TMPDIR are private,
 * and nothing is inherited from the caller's environment.
 */
export class Sandbox {
  readonly dir: string;
  readonly bin: string;
  readonly home: string;
  readonly tmp: string;
  private readonly log: string;
  private readonly sys: string;

  constructor(t: TestContext) {
    this.dir = tempDir(t);
    this.bin = path.join(this.dir, 'bin');
    this.sys = path.join(this.dir, 'sys');
    this.home = path.join(this.dir, 'home');
    this.tmp = path.join(this.dir, 'tmp');
    this.log = path.join(this.dir, 'calls.log');
    for (const d of [this.bin, this.sys, this.home, this.tmp]) fs.mkdirSync(d);
    fs.writeFileSync(this.log, '');
    for (const tool of SYSTEM_TOOLS) {
      const real = which(tool);
      if (real) fs.symlinkSync(real, path.join(this.sys, tool));
    }
  }

  /** Installs a fake `name` that records its arguments, then runs the bash `behavior`. */
  fake(name: string, behavior = 'exit 0'): void {
    fs.writeFileSync(path.join(this.bin, name), this.fakeSource(name, behavior), { mode: 0o755 });
  }

  /** The source of a fake executable, for tests that place it somewhere else. */
  fakeSource(name: string, behavior = 'exit 0'): string {
    return [
      '#!/usr/bin/env bash',
      `FAKE_DIR='${this.dir}'`,
      `{ printf '%s' '${name}'; for a in "$@"; do printf '${SEP}%s' "$a"; done; printf '\\n'; } >>'${this.log}'`,
      behavior,
      '',
    ].join('\n');
  }

  /** Every call made to a fake, in order. */
  calls(): Call[] {
    return fs
      .readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [tool = '', ...args] = line.split(SEP);
        return { tool, args };
      });
  }

  /** Calls rendered as "tool arg1 arg2" strings, handy for order assertions. */
  commandLines(): string[] {
    return this.calls().map((c) => [c.tool, ...c.args].join(' '));
  }

  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(script, [], {
        cwd: this.dir,
        env: { PATH: `${this.bin}:${this.sys}`, HOME: this.home, TMPDIR: this.tmp, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
}
