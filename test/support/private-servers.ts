/**
 * Database servers a test starts for itself, as scripts/test-databases.sh
 * starts the run's: a temporary directory, a free port on 127.0.0.1, no
 * fsync; as root the server runs as the mysql or postgres user. `stop()`
 * stops it and removes its directory; the test calls it in `after`.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { which } from './tools.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

export interface PrivateServer {
  readonly port: number;
  /** The server's directory (data, socket, log); removed by stop(). */
  readonly dir: string;
  /** The server's own log, for a failure message. */
  log(): string;
  /** Copies files (certificates, keys) into its directory, readable by the server only; returns their paths by name. */
  place(files: Readonly<Record<string, string>>): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

/** A PostgreSQL program on PATH or in Debian's /usr/lib/postgresql/<version>/bin; undefined when missing. */
export function postgresBin(name: string): string | undefined {
  const onPath = which(name);
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin', name)).find((file) => fs.existsSync(file));
}

/** mariadbd on PATH or where Debian puts it; undefined when missing. */
export function mariadbBin(): string | undefined {
  return which('mariadbd') ?? (fs.existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : undefined);
}

/** A directory the server's user can reach (chownTo makes it theirs). */
function serverDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

async function chownTo(user: string, ...files: string[]): Promise<void> {
  if (isRoot) await run('chown', [`${user}:`, ...files]);
}

/** Copies files into the server's directory, owned by its user, mode 0600 (copyFileSync over a file leaves it root's). */
async function placeFiles(dir: string, user: string, files: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const placed: Record<string, string> = {};
  for (const [name, source] of Object.entries(files)) {
    const target = path.join(dir, name);
    fs.copyFileSync(source, target);
    fs.chmodSync(target, 0o600);
    await chownTo(user, target);
    placed[name] = target;
  }
  return placed;
}

async function until(what: string, log: () => string, check: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s (${(error as Error).message}); its log:\n${log()}`, { cause: error });
      await sleep(250);
    }
  }
}

export interface MariadbOptions {
  /** Files to copy into the server's directory first (place()); `args` may name them as {name}. */
  readonly files?: Readonly<Record<string, string>>;
  /** Further mariadbd options, e.g. --require-secure-transport=ON. */
  readonly args?: readonly string[];
}

/**
 * A private mariadbd: its data directory made with mariadb-install-db, then
 * started with `args`. SQL as root goes through its Unix socket (`sql()`),
 * which counts as a secure transport.
 */
export async function startPrivateMariadb(options: MariadbOptions = {}): Promise<PrivateServer & { sql(statements: string): Promise<string> }> {
  const mariadbd = mariadbBin();
  if (!mariadbd) throw new Error('mariadbd is not installed (Debian: apt-get install -y mariadb-server)');
  const dir = serverDir('crm-private-mariadb-');
  await chownTo('mysql', dir);
  const user = isRoot ? ['--user=mysql'] : [];
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db']);
  const place = (files: Readonly<Record<string, string>>) => placeFiles(dir, 'mysql', files);
  const placed = await place(options.files ?? {});
  const args = (options.args ?? []).map((arg) => arg.replace(/\{([^}]+)\}/g, (_, name: string) => placed[name] ?? `{${name}}`));
  const port = await freePort();
  const socket = path.join(dir, 'mysqld.sock');
  const errorLog = path.join(dir, 'error.log');
  const child = spawn(mariadbd, [
    '--no-defaults', `--datadir=${dir}/data`, ...user, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${socket}`,
    `--pid-file=${dir}/mysqld.pid`, `--log-error=${errorLog}`, '--skip-name-resolve', '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci', '--innodb-buffer-pool-size=32M', '--innodb-flush-log-at-trx-commit=0', '--skip-log-bin',
    ...args,
  ], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const log = () => (fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : '(no log)');
  const sql = async (statements: string) =>
    (await run('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-N', '-B', '-e', statements])).stdout;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('the private mariadbd', log, async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      await sql('select 1');
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, dir, log, place, sql, stop };
}

export interface PostgresOptions {
  /** Files to copy into the server's directory first (place()); `settings` may name them as {name}. */
  readonly files?: Readonly<Record<string, string>>;
  /** postgresql.conf settings given as -c name=value, e.g. ssl=on. */
  readonly settings?: Readonly<Record<string, string>>;
  /** pg_hba.conf's lines instead of initdb's; a `local all all trust` line is always first (sql() uses it). */
  readonly hba?: readonly string[];
}

/** A private PostgreSQL: initdb, then pg_ctl start with `settings`. SQL as postgres goes through its Unix socket (`sql()`). */
export async function startPrivatePostgres(options: PostgresOptions = {}): Promise<PrivateServer & { sql(statement: string): Promise<string> }> {
  const [initdb, pgCtl, psql] = ['initdb', 'pg_ctl', 'psql'].map(postgresBin);
  if (!initdb || !pgCtl || !psql) throw new Error("PostgreSQL's initdb, pg_ctl or psql is not installed (Debian: apt-get install -y postgresql)");
  const dir = serverDir('crm-private-postgres-');
  await chownTo('postgres', dir);
  const asUser = (command: string, args: string[]) => (isRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  const data = path.join(dir, 'data');
  await asUser(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  if (options.hba) {
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), ['local all all trust', ...options.hba, ''].join('\n'));
    await chownTo('postgres', path.join(data, 'pg_hba.conf'));
  }
  const place = (files: Readonly<Record<string, string>>) => placeFiles(dir, 'postgres', files);
  const placed = await place(options.files ?? {});
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...options.settings };
  const flags = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value.replace(/\{([^}]+)\}/g, (_, file: string) => placed[file] ?? `{${file}}`)}`)
    .join(' ');
  const serverLog = path.join(dir, 'server.log');
  const log = () => (fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8') : '(no log)');
  const stop = async () => {
    await asUser(pgCtl, ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await asUser(pgCtl, ['-D', data, '-l', serverLog, '-w', '-t', '60', 'start', '-o', `-p ${port} -k ${dir} ${flags}`]);
  } catch (error) {
    const message = `PostgreSQL did not start (${(error as Error).message}); its log:\n${log()}`;
    await stop();
    throw new Error(message, { cause: error });
  }
  const sql = async (statement: string) => (await run(psql, ['-h', dir, '-p', String(port), '-U', 'postgres', '-At', '-c', statement])).stdout;
  return { port, dir, log, place, sql, stop };
}
