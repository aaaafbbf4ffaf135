/**
 * What every `crm` command shares: the configuration, one database
 * connection that must hold an up-to-date schema, the one-line failure, and
 * plain-text tables.
 */
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Command, type ErrorOptions } from 'commander';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { ConfigError, readConfig, type Config } from '../config.js';
import { createDeps, type Deps } from '../deps.js';
import { migrations } from '../migrations/index.js';
import { describeTarget } from '../platform/db/database-url.js';
import { pendingMigrations } from '../platform/db/migrate.js';
import { waitForDatabase } from '../platform/db/wait-for-database.js';
import { serializeError } from '../platform/logger.js';
import type { Database } from '../schema.js';

/** A command that could not do its job: one line on stderr, exit 1. */
export class CliFailure extends Error {
  override name = 'CliFailure';
}

/** Exit codes: 0 done, 1 failed (the message says why), 2 bad arguments or usage. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/**
 * "unknown option '--password=hunter2'" would print a value typed where it
 * does not belong, most likely a password: only the option's name is shown
 * ("--password=…", "-p…"), and commander's "Did you mean" only for a bare name.
 */
export function redactUnknownOption(message: string): string {
  const head = "error: unknown option '";
  const fallback = 'error: unknown option (its value is not shown)';
  if (!message.startsWith(head)) return fallback;
  const rest = message.slice(head.length);
  const name = rest.startsWith('--') ? (/^--[A-Za-z0-9-]*/.exec(rest)?.[0] ?? '--') : rest.slice(0, 2);
  if (!/^-[A-Za-z0-9-]/.test(name)) return fallback;
  const after = rest.slice(name.length);
  if (after === "'" || /^'\n\(Did you mean --[A-Za-z0-9-]+\?\)$/.test(after)) return message;
  return `${head}${name}${rest.startsWith('--') && after.startsWith('=') ? '=' : ''}…'`;
}

/** commander's Command, with unknown options reported without their values. */
export class CrmCommand extends Command {
  override createCommand(name?: string): CrmCommand {
    return new CrmCommand(name);
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const safe = errorOptions?.code === 'commander.unknownOption' ? redactUnknownOption(message) : message;
    return super.error(safe, errorOptions);
  }
}

/** Whether this module is the file `node` was started with (not imported by another). */
export function isEntryPoint(moduleUrl: string): boolean {
  const started = process.argv[1];
  if (!started) return false;
  try {
    // The path node was started with and this module's own location; nothing is read or written.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    return realpathSync(started) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** The configuration, or a CliFailure naming every bad variable on one line. */
export function cliConfig(): Config {
  try {
    return readConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure(`invalid configuration: ${error.problems.join('; ')}`, { cause: error });
    throw error;
  }
}

/**
 * Runs `work` with one connection (or `poolSize`) to a database that answers
 * and has every migration this code expects, then closes it. Operator commands fail fast:
 * one connection attempt, no retries.
 */
export async function withDatabase<T>(work: (deps: Deps) => Promise<T>, { poolSize = 1 }: { readonly poolSize?: number } = {}): Promise<T> {
  const config = cliConfig();
  // stdout belongs to the command's output (a token, a table): diagnostics go to stderr.
  const logger = pino({ level: 'warn', base: { service: 'globomantics-crm' }, serializers: { err: serializeError } }, pino.destination({ dest: 2, sync: true }));
  const deps = createDeps(config, { poolSize, redis: false, logger });
  try {
    const where = describeTarget(config.database);
    await waitForDatabase(deps.db, where, { attempts: 1, maxDelayMs: 0 });
    const pending = await pendingMigrations(deps.db, migrations);
    if (pending.length > 0) {
      throw new CliFailure(
        `the ${where} has ${pending.length} migration(s) not applied yet; run \`crm migrate\` first (npm run crm -- migrate, or node dist/cli/main.js migrate)`,
      );
    }
    return await work(deps);
  } finally {
    await deps.close();
  }
}

/** A second look at replicas that all seemed behind: this command's own first beat may not have reached them yet. */
const SECOND_ROUND_AFTER_MS = 1000;

/**
 * Where a command's reads that tolerate lag go (an export, a report, the
 * reminder scan): with DATABASE_REPLICA_URL, a healthy replica after a
 * heartbeat round (a second one if none looked healthy), else the primary;
 * without, the primary at once. The heartbeat keeps running while the
 * command does, so other processes see a live primary.
 */
export async function commandReads(deps: Pick<Deps, 'reads'>): Promise<Kysely<Database>> {
  const { reads } = deps;
  if (!reads.routed) return reads.readsFor(null);
  await reads.start();
  if (!reads.replicas().some(({ state }) => state === 'healthy')) {
    await sleep(SECOND_ROUND_AFTER_MS);
    await reads.checkNow();
  }
  return reads.readsFor(null);
}

/** "2026-11-29 09:00 UTC"; "-" for none. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Left-aligned columns separated by two spaces, with a header line. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `${text}\n`).join('');
}

/** Writes command output (never diagnostics) to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A note for the operator on stderr, so stdout stays the command's output alone. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
