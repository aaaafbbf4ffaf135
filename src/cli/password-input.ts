/**
 * Where a new password comes from: a hidden prompt on a terminal (asked
 * twice), or the first line of standard input with --password-stdin. Never
 * the command line or the environment, which other users and logs can read.
 */
import type { Command } from 'commander';
import { read } from 'read';
import { PASSWORD_MAX_LENGTH, passwordProblem } from '../modules/staff/index.js';
import { CliFailure, EXIT, note } from './context.js';

export interface PasswordSource {
  readonly passwordStdin?: boolean;
}

export const PASSWORD_STDIN_HELP = 'read the password from the first line of standard input (for scripts), instead of a hidden prompt';

/** Bytes of standard input read at most: a long line is not a password. */
const MAX_STDIN_BYTES = 4 * PASSWORD_MAX_LENGTH + 2;
const PROMPT_ATTEMPTS = 3;

/**
 * Refuses, as a usage error (exit 2), a password that could only come from a
 * terminal when there is none. Called before anything touches the database.
 */
export function checkPasswordSource(command: Command, source: PasswordSource): void {
  if (source.passwordStdin || process.stdin.isTTY) return;
  command.error('error: standard input is not a terminal, so the password cannot be asked for; pipe it in and add --password-stdin', {
    exitCode: EXIT.usage,
    code: 'crm.passwordSource',
  });
}

/** The first line of standard input, without its line ending. */
export async function readFirstLine(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let sawData = false;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    sawData = true;
    const newline = buffer.indexOf(0x0a);
    chunks.push(newline >= 0 ? buffer.subarray(0, newline) : buffer);
    size += buffer.length;
    if (newline >= 0) break;
    if (size > MAX_STDIN_BYTES) throw new CliFailure('the first line of standard input is too long to be a password');
  }
  if (!sawData) throw new CliFailure('standard input is empty: --password-stdin reads the password from its first line');
  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}

async function prompt(text: string): Promise<string> {
  try {
    // The prompt goes to stderr, so stdout stays the command's output alone.
    return await read({ prompt: text, silent: true, replace: '', output: process.stderr });
  } catch (error) {
    throw new CliFailure(`no password entered (${(error as Error).message})`, { cause: error });
  } finally {
    // The muted Enter (or Ctrl-C) did not move to the next line.
    process.stderr.write('\n');
  }
}

/**
 * A new password for `username` that the policy accepts: checked at once on
 * a terminal, where the operator can try again; from standard input, the
 * service refuses it with the policy's message.
 */
export async function readNewPassword(username: string, source: PasswordSource): Promise<string> {
  if (source.passwordStdin) return readFirstLine();
  for (let attempt = 1; attempt <= PROMPT_ATTEMPTS; attempt++) {
    const password = await prompt(`New password for ${username}:`);
    const problem = passwordProblem(username, password);
    if (problem) {
      note(problem);
      continue;
    }
    const again = await prompt('The same password again:');
    // Two entries by the operator at the terminal: no secret to time against.
    // eslint-disable-next-line security/detect-possible-timing-attacks
    if (again === password) return password;
    note('The two passwords differ.');
  }
  throw new CliFailure(`no acceptable password after ${PROMPT_ATTEMPTS} attempts`);
}
