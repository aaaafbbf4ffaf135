import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseDatabaseUrl, type DatabaseTarget } from './platform/db/database-url.js';

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

const flag = (fallback: boolean) =>
  z.stringbool({ error: 'must be true or false' }).default(fallback);

/** Every variable the app reads; README and .env.example document each. */
const environment = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535, 5000),
  TLS_CERT_FILE: z.string().min(1).default('ssl/cert.pem'),
  TLS_KEY_FILE: z.string().min(1).default('ssl/key.pem'),
  DATABASE_URL: z.string().min(1).default('sqlite:var/crm.db'),
  DATABASE_PASSWORD: z.string().optional(),
  DB_POOL_SIZE: integer(1, 100, 10),
  DB_CONNECT_ATTEMPTS: integer(1, 1000, 10),
  DB_CONNECT_DELAY_MS: integer(0, 600_000, 5000),
  MIGRATE_ON_START: flag(true),
  SEED_ACCOUNTS: flag(true),
  SEED_FILE: z.string().default('data/initial.json'),
  SESSION_SECRET: z.string().min(32, { error: 'must be at least 32 characters (try: openssl rand -hex 32)' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be a pino level such as info or debug' }).default('info'),
  BODY_LIMIT_BYTES: integer(1024, 10 * 1024 * 1024, 16 * 1024),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  readonly database: DatabaseTarget;
  readonly pool: { readonly size: number; readonly connectAttempts: number; readonly connectMaxDelayMs: number };
  readonly migrateOnStart: boolean;
  /** The seed file's accounts are added at start-up when missing; null when switched off. */
  readonly seedFile: string | null;
  /** Signs cookies; every replica must share it so sessions survive load balancing. */
  readonly sessionSecret: string;
  /** True when no SESSION_SECRET was given and one was made up for this process. */
  readonly sessionSecretGenerated: boolean;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** The one place that reads the environment; everything else takes a Config. */
export function loadConfig(source: Readonly<Record<string, string | undefined>> = process.env): Config {
  // An empty variable means "not set", as in a .env file with `PORT=`.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];

  let database: DatabaseTarget | undefined;
  try {
    database = parseDatabaseUrl(env.DATABASE_URL, env.DATABASE_PASSWORD);
  } catch (error) {
    problems.push(`DATABASE_URL: ${(error as Error).message}`);
  }
  if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
    problems.push('SESSION_SECRET: is required when NODE_ENV=production (at least 32 characters, shared by every replica)');
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems);

  return Object.freeze({
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    tls: Object.freeze({ certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }),
    database: Object.freeze(database),
    pool: Object.freeze({
      size: env.DB_POOL_SIZE,
      connectAttempts: env.DB_CONNECT_ATTEMPTS,
      connectMaxDelayMs: env.DB_CONNECT_DELAY_MS,
    }),
    migrateOnStart: env.MIGRATE_ON_START,
    seedFile: env.SEED_ACCOUNTS ? env.SEED_FILE : null,
    sessionSecret: env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    sessionSecretGenerated: !env.SESSION_SECRET,
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
  });
}
