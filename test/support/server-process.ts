import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ROOT } from './paths.js';


export interface ServerProcess {
  readonly baseUrl: string;
  /** The plain-HTTP redirect listener's port, when HTTP_REDIRECT_PORT was set. */
  readonly redirectPort: number | undefined;
  readonly caFile: string;
  readonly dir: string;
  readonly child: ChildProcess;
  /** Every line the server wrote to stdout so far. */
  readonly logLines: string[];
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  cleanup(): Promise<void>;
}

/** A directory with a fresh self-signed certificate, made by the project's own make_cert.sh. */
export function makeCertDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-system-'));
  const made = spawnSync('bash', [join(ROOT, 'make_cert.sh'), join(dir, 'ssl')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make_cert.sh failed: ${made.stderr}`);
  return dir;
}

/**
 * Starts the real server (src/server.ts through tsx) on a free port and
 * resolves once it logs where it listens; one that does not within
 * `startTimeoutMs` is killed and the promise rejects.
 */
export async function startServer(
  env: Readonly<Record<string, string>> = {},
  dir = makeCertDir(),
  /** logLines: the array to fill with its stdout lines, readable before it listens (a server waiting for its database). */
  { startTimeoutMs = 20_000, logLines = [] }: { startTimeoutMs?: number; logLines?: string[] } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      // A developer's .env must not change what the tests see.
      ENV_FILE: 'none',
      PORT: '0',
      HOST: '127.0.0.1',
      TLS_CERT_FILE: join(dir, 'ssl', 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'ssl', 'key.pem'),
      DATABASE_URL: `sqlite:${join(dir, 'crm.db')}`,
      SESSION_SECRET: 'system-test-secret-that-is-long-enough-0123456789',
      LOG_LEVEL: 'info',
      // The suites read the log as JSON lines.
      LOG_FORMAT: 'json',
      // The suites look up and sign in far more than a visitor would; the limiters stay on, out of their way.
      LOOKUP_RATE_LIMIT: '100000',
      LOGIN_RATE_LIMIT: '100000',
      API_RATE_LIMIT: '100000',
      API_USER_RATE_LIMIT: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');

  child.stdout?.setEncoding('utf8');
  let buffer = '';
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    logLines.push(...lines);
  });
  let redirectPort: number | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Left running, it would keep the test process alive after the failure.
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${startTimeoutMs / 1000} s: ${stderr}`));
    }, startTimeoutMs);
    // The server reports its port over the IPC channel once it listens.
    child.on('message', (message: { type?: string; port?: number; redirectPort?: number }) => {
      if (message.type === 'listening' && typeof message.port === 'number') {
        clearTimeout(timer);
        redirectPort = message.redirectPort;
        resolve(message.port);
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)} before listening: ${stderr}`));
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  };
  return {
    baseUrl: `https://localhost:${port}`,
    redirectPort,
    caFile: join(dir, 'ssl', 'cert.pem'),
    dir,
    child,
    logLines,
    stderr: () => stderr,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the server to completion (for start-up failures) and returns what it said. */
export function runServerToExit(env: Readonly<Record<string, string>>, timeoutMs = 20_000) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** Suites that start their own server skip when CRM_BASE_URL points the system tests at another. */
export const OWN_SERVER_SKIP = process.env.CRM_BASE_URL ? 'CRM_BASE_URL targets an external server; to run: unset CRM_BASE_URL' : false;
