/**
 * A MariaDB server of a test's own, which the test may kill: its data in a
 * temporary directory, a free port on 127.0.0.1, started as
 * scripts/test-databases.sh starts the run's servers (as root it runs as the
 * mysql user), but with the server's default durability
 * (innodb_flush_log_at_trx_commit=1): what a kill -9 must not lose is what
 * these tests count. Always stopped and its directory removed: by stop(),
 * and, should the test runner die first, by the process's exit hook.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { skipReason, which } from '../../support/tools.js';

export const DATABASE = 'crm';

const MARIADBD = which('mariadbd') ?? (existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : undefined);
const INSTALL_DB = which('mariadb-install-db');

/** Why the private server cannot run here (with the command that fixes it), or false. */
export const MARIADB_SKIP: string | false =
  MARIADBD && INSTALL_DB ? false : skipReason('mariadbd and mariadb-install-db are not installed', 'apt-get install -y mariadb-server');

/** A port nothing listens on right now: the kernel's choice for port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port from the kernel');
  return address.port;
}

const running = new Set<PrivateMariadb>();
process.once('exit', () => {
  for (const server of running) server.killNow();
});

export class PrivateMariadb {
  readonly dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<unknown> | undefined;

  private constructor(
    readonly port: number,
    dir: string,
  ) {
    this.dir = dir;
  }

  /** mysql://root@127.0.0.1:PORT/crm */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/${DATABASE}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * A fresh data directory (mariadb-install-db) on a free port, the database
   * created; left running unless `start` is false (a test of the app
   * starting before its database starts it later, on the port chosen now).
   */
  static async create({ start = true }: { start?: boolean } = {}): Promise<PrivateMariadb> {
    if (MARIADB_SKIP) throw new Error(MARIADB_SKIP);
    const dir = mkdtempSync(join(tmpdir(), 'crm-reliability-mariadb-'));
    // The mysql user must reach its directory.
    chmodSync(dir, 0o755);
    const server = new PrivateMariadb(await freePort(), dir);
    running.add(server);
    try {
      mkdirSync(join(dir, 'data'));
      if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'mysql:', dir]);
      const installed = spawnSync(INSTALL_DB!, ['--no-defaults', `--datadir=${join(dir, 'data')}`, ...server.userArgs(), '--auth-root-authentication-method=normal', '--skip-test-db'], {
        encoding: 'utf8',
      });
      if (installed.status !== 0) throw new Error(`mariadb-install-db failed: ${installed.stdout}${installed.stderr}`);
      // Created once either way, as a database container's entrypoint creates it before it takes connections:
      // an app reaching the server between its start and the CREATE DATABASE would be told the database is missing.
      await server.start();
      if (!start) await server.shutdown();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  private userArgs(): string[] {
    return process.getuid?.() === 0 ? ['--user=mysql'] : [];
  }

  /** Starts mariadbd on this data directory and port; resolves once it answers, the database created. */
  async start(): Promise<void> {
    if (this.#child) throw new Error('mariadbd is already running');
    const child = spawn(
      MARIADBD!,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        ...this.userArgs(),
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        `--log-error=${join(this.dir, 'error.log')}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--innodb-buffer-pool-size=64M',
        '--skip-log-bin',
        '--max-connections=300',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    this.#exited = once(child, 'exit');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mariadbd exited at start-up: ${this.log()}`);
      try {
        const connection = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 2000 });
        await connection.query(`create database if not exists ${DATABASE} character set utf8mb4 collate utf8mb4_bin`);
        await connection.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not answer within 60 s (${(error as Error).message}): ${this.log()}`, { cause: error });
        await sleep(100);
      }
    }
  }

  /** kill -9: the server dies at once, mid-transaction, its connections cut. */
  async kill9(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
    this.#child = undefined;
  }

  /** Stops the server (SIGTERM, SIGKILL after 20 s), keeping its data for another start(). */
  async shutdown(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child = undefined;
  }

  /** Stops the server and removes its data. */
  async stop(): Promise<void> {
    await this.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
    running.delete(this);
  }

  /** For the exit hook: no waiting. */
  killNow(): void {
    this.#child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's error log's last lines, for a failure's message. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no error log)';
    }
  }
}
