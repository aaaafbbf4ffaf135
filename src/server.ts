import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, readConfig, type Config } from './config.js';
import { createDeps, type Deps } from './deps.js';
import { migrations } from './migrations/index.js';
import { bootstrapAdmin, countUsers, LOGIN_PATH } from './modules/staff/index.js';
import { pendingMigrations } from './platform/db/migrate.js';
import { createRedirectServer } from './platform/http/redirect-server.js';
import { waitForRedis } from './platform/redis.js';
import { startupGate } from './platform/http/startup-gate.js';
import { prepareDatabase } from './prepare-database.js';

/** How long in-flight requests get after SIGTERM; below Kubernetes' default 30 s grace period. */
const SHUTDOWN_GRACE_MS = 20_000;
/** How long start-up waits for Redis before serving with in-memory limits. */
const REDIS_START_WAIT_MS = 2000;

async function readTls(certFile: string, keyFile: string) {
  try {
    // Paths from the operator's TLS_CERT_FILE / TLS_KEY_FILE settings.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    return { cert: await readFile(certFile), key: await readFile(keyFile) };
  } catch (error) {
    throw new Error(
      `cannot read the TLS certificate ${certFile} or key ${keyFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
        'run ./make_cert.sh for a self-signed pair, or set TLS_CERT_FILE and TLS_KEY_FILE',
      { cause: error },
    );
  }
}

function configOrExit(): Config {
  try {
    return readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`globomantics-crm: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function listenRedirect(config: Config, httpsPort: number): Promise<Server | undefined> {
  if (config.httpRedirectPort === null) return undefined;
  const server = createRedirectServer({ httpsPort, timeoutMs: config.timeouts.headersMs });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpRedirectPort ?? 0, config.host, () => resolve());
  });
  return server;
}

/**
 * The first admin from CRM_BOOTSTRAP_ADMIN_FILE while there are no staff
 * users, then, if there still are none, how to create one. Skipped while the
 * schema is behind (MIGRATE_ON_START=false before the migration Job ran):
 * readiness reports that, and the next start does this.
 */
async function prepareStaff({ config, db, logger }: Deps): Promise<void> {
  if ((await pendingMigrations(db, migrations)).length > 0) {
    logger.warn('the schema is behind (run npm run migrate): CRM_BOOTSTRAP_ADMIN_FILE and the check for staff users wait for the next start');
    return;
  }
  await bootstrapAdmin(db, config.bootstrapAdminFile, logger);
  if ((await countUsers(db)) === 0) {
    logger.warn(
      'No staff users yet. Create the first admin with: npm run crm -- users add NAME --role admin ' +
        '(in a container: node dist/cli/main.js users add NAME --role admin), ' +
        'or point CRM_BOOTSTRAP_ADMIN_FILE at a file with username= and password= (scripts/make-bootstrap-admin.sh makes one)',
    );
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const tls = await readTls(config.tls.certFile, config.tls.keyFile);
  const deps = createDeps(config);
  const { logger } = deps;
  if (config.sessionSecretSource === 'random') {
    logger.warn('SESSION_SECRET is not set: using a random one, so forms stop working after a restart and across replicas');
  } else if (config.sessionSecretSource === 'development file') {
    logger.info('SESSION_SECRET is not set: using the development secret in var/dev-session-secret');
  }
  // Listening comes first: while the database is away (or the schema is being migrated) a probe hears "not
  // ready" and a visitor a 503 with Retry-After, instead of a refused connection or a request that hangs.
  const gate = startupGate();
  const app = await buildApp(deps, { tls, startupGate: gate });
  const listeners: { redirect?: Server } = {};
  let stopping = false;
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
    stopping = true;
    if (err) logger.error({ err }, 'shutting down after an unexpected error');
    else logger.info({ signal }, 'shutting down: finishing in-flight requests');
    listeners.redirect?.close();
    await app.close();
    await deps.close();
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port }, 'listening; /readyz answers 503 until the database is reached and its schema is current');

  try {
    await prepareDatabase(config, deps.db, logger, { migrate: config.migrateOnStart });
    await prepareStaff(deps);
  } catch (error) {
    // A signal while waiting closed the database under us: that is the shutdown, not a failure to start.
    if (stopping) return;
    await app.close().catch(() => undefined);
    await deps.close().catch(() => undefined);
    throw error;
  }

  if (deps.redis && (await waitForRedis(deps.redis, REDIS_START_WAIT_MS))) logger.info('rate limit counters are shared through Redis');
  if (deps.reads.routed) {
    // Not awaited: until the first round has read the replicas (at most a second or two), reads go to the primary.
    void deps.reads.start();
    logger.info({ replicas: deps.reads.replicas().map(({ url }) => url) }, 'read replicas configured: the heartbeat runs every second');
  }
  gate.open();

  listeners.redirect = await listenRedirect(config, port);
  const redirectAddress = listeners.redirect?.address();
  const redirectPort = typeof redirectAddress === 'object' && redirectAddress ? redirectAddress.port : undefined;
  const base = `https://localhost:${port}`;
  logger.info({ port, ...(redirectPort ? { redirectPort } : {}) }, `serving ${base}/ (staff sign in: ${base}${LOGIN_PATH})`);
  // A parent that started us with an IPC channel (tests, the benchmark) learns the ports without reading logs.
  // Logs are flushed first, so the parent has every start-up line when it hears.
  logger.flush(() => process.send?.({ type: 'listening', port, redirectPort }));
}

main().catch((error: unknown) => {
  // One clear line for the operator; the message never holds a password (see describeTarget).
  process.stderr.write(`globomantics-crm: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
