#!/usr/bin/env node
/**
 * `crm`: the operator's command. Staff users, API tokens and migrations,
 * against the database the settings name (.env / environment, as the server).
 *
 *   npm run crm -- users add NAME --role admin      (from a clone: builds when sources changed)
 *   node dist/cli/main.js users list                 (in the image)
 *
 * Exit codes: 0 done, 1 failed (one line on stderr says why), 2 bad arguments
 * or usage (the usage follows the error). Passwords are never arguments: a
 * hidden prompt, asked twice, or the first line of standard input with
 * --password-stdin.
 */
import { CommanderError } from 'commander';
import { AppError } from '../shared/errors.js';
import { CliFailure, CrmCommand, EXIT } from './context.js';
import { registerAgingCommand } from './aging.js';
import { registerImportCommands } from './import.js';
import { registerLinkCommand } from './link.js';
import { registerMigrateCommand } from './migrate.js';
import { registerOutboxCommands } from './outbox.js';
import { registerRemindersCommands } from './reminders.js';
import { registerStatementsCommand } from './statements.js';
import { registerTokensCommands } from './tokens.js';
import { registerUsersCommands } from './users.js';
import { registerWorkerCommand } from './worker.js';

function buildProgram(): CrmCommand {
  const program = new CrmCommand('crm')
    .description('Globomantics CRM operator command: staff users, API tokens, migrations, account import and export, aged receivables, customer statements, customer links, overdue reminders')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nSettings come from the environment and .env, as for the server (DATABASE_URL, …).\n' +
        'Exit codes: 0 done, 1 failed, 2 bad arguments.',
    );
  registerUsersCommands(program);
  registerTokensCommands(program);
  registerMigrateCommand(program);
  registerImportCommands(program);
  registerAgingCommand(program);
  registerStatementsCommand(program);
  registerOutboxCommands(program);
  registerWorkerCommand(program);
  registerLinkCommand(program);
  registerRemindersCommands(program);
  return program;
}

/** What an operator reads on stderr for a failure: one line, no stack. */
function describeFailure(error: unknown): string {
  if (error instanceof CliFailure || error instanceof AppError) return error.message;
  if (error instanceof Error) return `failed: ${error.message.replace(/\s*\n\s*/g, '; ')}`;
  return `failed: ${String(error)}`;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    // commander has already printed the error and the usage; --help and --version end with 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`crm: ${describeFailure(error)}\n`);
    return EXIT.failed;
  }
}

const code = await main(process.argv);
process.exitCode = code;
// Everything is closed by now; should a driver keep a handle open, do not hang an operator's shell.
setTimeout(() => process.exit(code), 2000).unref();
