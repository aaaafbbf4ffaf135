import { readFile } from 'node:fs/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './platform/db/database.js';
import { createLogger } from './platform/logger.js';
import { prepareDatabase } from './prepare-database.js';

/** How long in-flight requests get after SIGTERM; below Kubernetes' default 30 s grace period. */
const SHUTDOWN_GRACE_MS = 20_000;

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

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`globomantics-crm: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.sessionSecretGenerated) {
    logger.warn('SESSION_SECRET is not set: using a random one, so forms stop working after a restart and across replicas');
  }

  const tls = await readTls(config.tls.certFile, config.tls.keyFile);
  const db = createDatabase(config.database, { poolSize: config.pool.size, connectTimeoutMs: 5000 });
  try {
    await prepareDatabase(config, db, logger, { migrate: config.migrateOnStart });
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }

  const app = await buildApp(config, { db, logger, tls });
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an unexpected error');
    else logger.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    await db.destroy();
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port }, `serving https://localhost:${port}/`);
  // A parent that started us with an IPC channel (tests, the benchmark) learns the port without reading logs.
  // Logs are flushed first, so the parent has every start-up line when it hears.
  logger.flush(() => process.send?.({ type: 'listening', port }));
}

main().catch((error: unknown) => {
  // One clear line for the operator; the message never holds a password (see describeTarget).
  process.stderr.write(`globomantics-crm: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
