import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import { parseDatabaseUrl, type DatabaseTarget } from './platform/db/database-url.js';
import { weakSecretReason } from './platform/secret-strength.js';

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

/** Whether Intl accepts a setting (it throws a RangeError for an unknown locale or time zone). */
function isSupported(use: () => unknown): boolean {
  try {
    use();
    return true;
  } catch {
    return false;
  }
}
const flag = (fallback: boolean) => z.stringbool({ error: 'must be true or false' }).default(fallback);

const COMPANY_NAME_MAX = 100;
const COMPANY_ADDRESS_LINES_MAX = 6;
const COMPANY_ADDRESS_LINE_MAX = 80;

/**
 * The company's address as lines: separated by `|` (one line in .env), or by
 * real line breaks (a quoted .env value with \n, a multi-line variable);
 * blank lines dropped.
 */
function addressLines(text: string): string[] {
  return text
    .split(/\||\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The SMTP server to send through, or why SMTP_URL is not one. */
function parseSmtpUrl(value: string): { url: string; host: string } | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as smtp://user:pass@mail.example.com:587 or smtps://user:pass@mail.example.com:465';
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return 'must start with smtp:// (STARTTLS when offered) or smtps:// (TLS from the start)';
  if (url.hostname === '') return 'must name the SMTP host, e.g. smtp://mail.example.com:587';
  if ((url.username === '') !== (url.password === '')) return 'must give both a user and a password (smtp://user:pass@host), or neither';
  return { url: url.href, host: url.hostname };
}

/** `Name <addr@domain>` or `addr@domain`; the address's domain names the Message-IDs. */
const MAIL_ADDRESS = /^(?:[^<>\p{Cc}]*<([^\s<>@]+@([^\s<>@]+\.[^\s<>@]+|localhost))>|([^\s<>@]+@([^\s<>@]+\.[^\s<>@]+|localhost)))$/u;

/** Requests per minute; 0 switches the limit off. */
const perMinute = (fallback: number) => integer(0, 1_000_000_000, fallback);

/** Every variable the app reads; docs/configuration.md and .env.example document each. */
const environment = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535, 5000),
  HTTP_REDIRECT_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a port number' })
    .min(0, { error: 'must be a port number' })
    .max(65535, { error: 'must be a port number' })
    .optional(),
  TLS_CERT_FILE: z.string().min(1).default('ssl/cert.pem'),
  TLS_KEY_FILE: z.string().min(1).default('ssl/key.pem'),
  TRUST_PROXY: z.string().default('false'),
  DATABASE_URL: z.string().min(1).default('sqlite:var/crm.db'),
  DATABASE_PASSWORD: z.string().optional(),
  DATABASE_CA_FILE: z.string().min(1).optional(),
  DATABASE_REPLICA_URL: z.string().optional(),
  READ_YOUR_WRITES_MS: integer(0, 3_600_000, 10_000),
  REPLICA_MAX_LAG_MS: integer(100, 3_600_000, 5000),
  DB_POOL_SIZE: integer(1, 100, 10),
  DB_CONNECT_ATTEMPTS: integer(1, 1000, 10),
  DB_CONNECT_DELAY_MS: integer(0, 600_000, 5000),
  DB_STATEMENT_TIMEOUT_MS: integer(100, 600_000, 5000),
  DB_MIGRATE_STATEMENT_TIMEOUT_MS: integer(100, 86_400_000, 3_600_000),
  DB_ACQUIRE_TIMEOUT_MS: integer(100, 600_000, 3000),
  MIGRATE_ON_START: flag(true),
  SEED_ACCOUNTS: flag(true),
  SEED_FILE: z.string().default('data/initial.json'),
  SESSION_SECRET: z.string().min(32, { error: 'must be at least 32 characters (try: openssl rand -hex 32)' }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  LOOKUP_RATE_LIMIT: perMinute(60),
  LOGIN_RATE_LIMIT: perMinute(10),
  API_RATE_LIMIT: perMinute(600),
  STAFF_RATE_LIMIT: perMinute(300),
  API_USER_RATE_LIMIT: perMinute(600),
  API_TOKENS_PER_USER: integer(1, 1000, 10),
  LOGIN_LOCKOUT_THRESHOLD: integer(0, 1000, 5),
  LOGIN_LOCKOUT_SECONDS: integer(1, 86_400, 60),
  SESSION_IDLE_MINUTES: integer(1, 7 * 24 * 60, 30),
  SESSION_MAX_HOURS: integer(1, 30 * 24, 12),
  CRM_PUBLIC_LOOKUP: flag(true),
  CRM_LOCALE: z
    .string()
    .refine((tag) => isSupported(() => Intl.getCanonicalLocales(tag)), { error: 'must be a BCP 47 locale such as en-US or de-DE' })
    .default('en-US'),
  CRM_TIME_ZONE: z
    .string()
    .refine((zone) => isSupported(() => new Intl.DateTimeFormat('en', { timeZone: zone })), { error: 'must be an IANA time zone such as UTC or Europe/Berlin' })
    .default('UTC'),
  CRM_BOOTSTRAP_ADMIN_FILE: z.string().min(1).optional(),
  COMPANY_NAME: z
    .string()
    .trim()
    .min(1)
    .max(COMPANY_NAME_MAX, { error: `must be at most ${COMPANY_NAME_MAX} characters` })
    .refine((name) => !/[\p{Cc}]/u.test(name), { error: 'must be one line of text, without control characters' })
    .default('Globomantics'),
  COMPANY_ADDRESS: z
    .string()
    .transform(addressLines)
    .refine((lines) => lines.length <= COMPANY_ADDRESS_LINES_MAX, { error: `must have at most ${COMPANY_ADDRESS_LINES_MAX} lines (separated by |)` })
    .refine((lines) => lines.every((line) => line.length <= COMPANY_ADDRESS_LINE_MAX), { error: `each line must be at most ${COMPANY_ADDRESS_LINE_MAX} characters` })
    .refine((lines) => lines.every((line) => !/[\p{Cc}]/u.test(line)), { error: 'must be text, its lines separated by | (no control characters)' })
    .default([]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be a pino level such as info or debug' }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional(),
  BODY_LIMIT_BYTES: integer(1024, 10 * 1024 * 1024, 16 * 1024),
  REQUEST_TIMEOUT_MS: integer(1000, 600_000, 15_000),
  HEADERS_TIMEOUT_MS: integer(1000, 600_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: integer(1000, 600_000, 5000),
  CONNECTION_TIMEOUT_MS: integer(1000, 600_000, 30_000),
  MAX_CONNECTIONS: integer(1, 1_000_000, 1000),
  STATEMENT_LINK_DAYS: integer(1, 365, 30),
  SMTP_URL: z.string().optional(),
  SMTP_REQUIRE_TLS: flag(false),
  MAIL_FROM: z.string().trim().optional(),
  PUBLIC_BASE_URL: z.string().trim().optional(),
  REMINDERS_AT: z
    .string()
    .trim()
    .regex(/^(([01][0-9]|2[0-3]):[0-5][0-9])?$/, { error: 'must be a time of day HH:MM (24-hour, such as 09:00), or empty to turn the daily run off' })
    .optional(),
});

/** The names of every setting the app reads: the schema's, and nothing else (a test holds .env.example and docs/configuration.md to it). */
export const SETTINGS: readonly string[] = Object.keys(environment.shape);

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

const ENGINE = { mysql: 'MySQL/MariaDB', postgres: 'PostgreSQL', sqlite: 'SQLite' } as const;

/**
 * DATABASE_REPLICA_URL: one or more comma-separated URLs of the primary's
 * replicas, each of the primary's engine (a replica of MariaDB is MariaDB).
 * SQLite has no replicas. A replica URL without a password takes
 * DATABASE_PASSWORD (the reader endpoint of a managed database shares the
 * writer's users). Returns the targets, or why not.
 */
function parseReplicaUrls(value: string, primary: DatabaseTarget, password: string | undefined): DatabaseTarget[] | string {
  const urls = value.split(',').map((url) => url.trim()).filter((url) => url !== '');
  if (urls.length === 0) return 'must be one or more mysql:// or postgres:// URLs, separated by commas';
  if (primary.kind === 'sqlite') return 'is not allowed with a SQLite DATABASE_URL (SQLite has no replicas); unset it, or use MariaDB/MySQL or PostgreSQL';
  const targets: DatabaseTarget[] = [];
  for (const [index, url] of urls.entries()) {
    const which = urls.length === 1 ? 'the replica URL' : `replica ${index + 1} of ${urls.length}`;
    let target: DatabaseTarget;
    try {
      target = parseDatabaseUrl(url);
    } catch (error) {
      return `${which} ${(error as Error).message}`;
    }
    if (target.kind !== primary.kind) {
      return `${which} is ${ENGINE[target.kind]}, but DATABASE_URL is ${ENGINE[primary.kind]}: a replica must run the primary's engine`;
    }
    targets.push(target.password === undefined && password !== undefined ? { ...target, password } : target);
  }
  return targets;
}

function parseTrustProxy(value: string): false | number | string[] | string {
  const text = value.trim();
  if (text === 'false' || text === '0') return false;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  // Addresses or CIDRs only: "true" (trust everyone) would let any client pick its own IP.
  const isAddressOrCidr = (entry: string) => {
    const [address = '', bits, ...rest] = entry.split('/');
    return isIP(address) !== 0 && rest.length === 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
  };
  const bad = entries.find((entry) => !isAddressOrCidr(entry));
  return bad === undefined && entries.length > 0 ? entries : `"${bad ?? value}" is not false, a hop count, or a list of proxy addresses/CIDRs`;
}

/** However many failures, an account is never locked for longer than this at a time. */
const LOCKOUT_MAX_MS = 60 * 60 * 1000;

/** Where `npm run dev` keeps its generated secret, so a reload keeps open forms valid. */
export const DEV_SECRET_FILE = 'var/dev-session-secret';

/**
 * The settings as the app uses them: the variables parsed, checked against
 * each other, and shaped into a frozen Config. Config is this schema's output
 * type, so the shape is declared here once.
 */
function configSchema(devSecret?: () => string) {
  return environment.transform((env, context) => {
    let problems = 0;
    const problem = (variable: string, message: string) => {
      problems += 1;
      context.addIssue({ code: 'custom', path: [variable], message });
    };
    let database: DatabaseTarget | undefined;
    try {
      database = parseDatabaseUrl(env.DATABASE_URL, env.DATABASE_PASSWORD);
    } catch (error) {
      problem('DATABASE_URL', (error as Error).message);
    }
    if (env.DATABASE_CA_FILE !== undefined && database?.kind === 'sqlite') {
      problem('DATABASE_CA_FILE', 'applies to a mysql:// or postgres:// DATABASE_URL only (a sqlite: file has no connection to encrypt)');
    }
    const replicas = database && env.DATABASE_REPLICA_URL !== undefined ? parseReplicaUrls(env.DATABASE_REPLICA_URL, database, env.DATABASE_PASSWORD) : [];
    if (typeof replicas === 'string') problem('DATABASE_REPLICA_URL', replicas);
    const trustProxy = parseTrustProxy(env.TRUST_PROXY);
    if (typeof trustProxy === 'string') problem('TRUST_PROXY', trustProxy);
    if (env.SESSION_SECRET !== undefined) {
      const weak = weakSecretReason(env.SESSION_SECRET);
      if (weak) problem('SESSION_SECRET', `${weak}; generate one with: openssl rand -hex 32`);
    } else if (env.NODE_ENV === 'production') {
      problem('SESSION_SECRET', 'is required when NODE_ENV=production (at least 32 random characters, shared by every replica)');
    }
    if (env.HTTP_REDIRECT_PORT !== undefined && env.HTTP_REDIRECT_PORT !== 0 && env.HTTP_REDIRECT_PORT === env.PORT) {
      problem('HTTP_REDIRECT_PORT', 'must differ from PORT');
    }
    const smtp = env.SMTP_URL === undefined ? null : parseSmtpUrl(env.SMTP_URL);
    if (typeof smtp === 'string') problem('SMTP_URL', smtp);
    const from = env.MAIL_FROM === undefined ? null : MAIL_ADDRESS.exec(env.MAIL_FROM);
    if (from === null && env.MAIL_FROM !== undefined) problem('MAIL_FROM', 'must be an address such as billing@example.com or "Globomantics Billing <billing@example.com>"');
    if (typeof smtp === 'object' && smtp !== null && env.MAIL_FROM === undefined) problem('MAIL_FROM', 'is required when SMTP_URL is set (the sender of every message, e.g. billing@example.com)');
    let publicBaseUrl = `https://localhost:${env.PORT}`;
    if (env.PUBLIC_BASE_URL !== undefined) {
      const base = URL.canParse(env.PUBLIC_BASE_URL) ? new URL(env.PUBLIC_BASE_URL) : null;
      if (!base || (base.protocol !== 'https:' && base.protocol !== 'http:') || base.search !== '' || base.hash !== '') {
        problem('PUBLIC_BASE_URL', 'must be the https:// address customers reach the app at, e.g. https://crm.example.com');
      } else publicBaseUrl = base.href.replace(/\/+$/, '');
    } else if (env.NODE_ENV === 'production' && typeof smtp === 'object' && smtp !== null) {
      problem('PUBLIC_BASE_URL', 'is required when NODE_ENV=production and SMTP_URL is set (the address in the links customers get)');
    }
    if (problems > 0 || !database || typeof replicas === 'string' || typeof trustProxy === 'string' || typeof smtp === 'string') return z.NEVER;

    const { sessionSecret, sessionSecretSource } =
      env.SESSION_SECRET !== undefined
        ? { sessionSecret: env.SESSION_SECRET, sessionSecretSource: 'environment' as const }
        : env.NODE_ENV === 'development' && devSecret
          ? { sessionSecret: devSecret(), sessionSecretSource: 'development file' as const }
          : { sessionSecret: randomBytes(32).toString('hex'), sessionSecretSource: 'random' as const };

    return Object.freeze({
      env: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      /** A plain-HTTP port that only redirects to HTTPS; null when off. */
      httpRedirectPort: env.HTTP_REDIRECT_PORT ?? null,
      tls: Object.freeze({ certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }),
      /** Which proxies' X-Forwarded-For counts: none, a hop count, or a list of addresses/CIDRs. */
      trustProxy: typeof trustProxy === 'object' ? Object.freeze([...trustProxy]) : trustProxy,
      database: Object.freeze(database),
      /** The CA bundle (PEM) the database server's certificate must chain to; set: TLS, verified, never plain text. Null: plain connections. */
      databaseCaFile: env.DATABASE_CA_FILE ?? null,
      /** Read replicas of the primary (DATABASE_REPLICA_URL), used in turn for reads that tolerate lag; empty: every read goes to the primary. */
      replicas: Object.freeze(replicas.map((replica) => Object.freeze(replica))),
      readRouting: Object.freeze({
        /** After a principal's write, its routed reads go to the primary for this long (every app process: the mark is in Redis when REDIS_URL is set). */
        readYourWritesMs: env.READ_YOUR_WRITES_MS,
        /** A replica whose heartbeat is older than this is skipped until it catches up. */
        maxLagMs: env.REPLICA_MAX_LAG_MS,
      }),
      pool: Object.freeze({
        size: env.DB_POOL_SIZE,
        connectAttempts: env.DB_CONNECT_ATTEMPTS,
        connectMaxDelayMs: env.DB_CONNECT_DELAY_MS,
        statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
        /** `crm migrate` rebuilds tables and indexes, which take minutes at a million accounts; requests keep the short limit. */
        migrateStatementTimeoutMs: env.DB_MIGRATE_STATEMENT_TIMEOUT_MS,
        acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
      }),
      migrateOnStart: env.MIGRATE_ON_START,
      /** The seed file's accounts are added at start-up when missing; null when switched off. */
      seedFile: env.SEED_ACCOUNTS ? env.SEED_FILE : null,
      /** Signs cookies; every replica must share it so forms survive load balancing. */
      sessionSecret,
      /** Where the secret came from when SESSION_SECRET was not set. */
      sessionSecretSource,
      redisUrl: env.REDIS_URL ?? null,
      /** Requests per minute (lookup and sign-in per client address and per user name, API per token and per user, staff pages per signed-in user); 0 means no limit. */
      rateLimits: Object.freeze({ lookup: env.LOOKUP_RATE_LIMIT, login: env.LOGIN_RATE_LIMIT, api: env.API_RATE_LIMIT, apiPerUser: env.API_USER_RATE_LIMIT, staff: env.STAFF_RATE_LIMIT }),
      /** Live (unrevoked, unexpired) API tokens a user may hold at once. */
      tokensPerUser: env.API_TOKENS_PER_USER,
      sessions: Object.freeze({ idleMs: env.SESSION_IDLE_MINUTES * 60_000, maxAgeMs: env.SESSION_MAX_HOURS * 3_600_000 }),
      /** Failures in a row before an account locks (0 = never), the first lock's length, doubling per further failure up to maxMs. */
      lockout: Object.freeze({ threshold: env.LOGIN_LOCKOUT_THRESHOLD, baseMs: env.LOGIN_LOCKOUT_SECONDS * 1000, maxMs: LOCKOUT_MAX_MS }),
      /** Whether the balance lookup at / is open to everyone (true) or to signed-in staff only. */
      publicLookup: env.CRM_PUBLIC_LOOKUP,
      /** How staff pages write numbers, money and dates (a BCP 47 locale), and the business time zone they show times in. */
      display: Object.freeze({ locale: env.CRM_LOCALE, timeZone: env.CRM_TIME_ZONE }),
      /** Who sends the statements: the name and address lines printed at their top. */
      company: Object.freeze({ name: env.COMPANY_NAME, addressLines: Object.freeze([...env.COMPANY_ADDRESS]) }),
      /** A secret file with the first admin's name and password (or hash), used once while there are no users. */
      bootstrapAdminFile: env.CRM_BOOTSTRAP_ADMIN_FILE ?? null,
      logLevel: env.LOG_LEVEL,
      /** JSON lines for collectors; pretty (pino-pretty) for a person reading a terminal. Default: pretty in development only. */
      logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      timeouts: Object.freeze({
        requestMs: env.REQUEST_TIMEOUT_MS,
        headersMs: env.HEADERS_TIMEOUT_MS,
        keepAliveMs: env.KEEP_ALIVE_TIMEOUT_MS,
        connectionMs: env.CONNECTION_TIMEOUT_MS,
      }),
      maxConnections: env.MAX_CONNECTIONS,
      /** When the worker runs the reminder policy each day (HH:MM in CRM_TIME_ZONE); null: it does not (crm reminders run by hand or from cron). */
      remindersAt: env.REMINDERS_AT === undefined || env.REMINDERS_AT === '' ? null : env.REMINDERS_AT,
      /** How long a customer's link to their statement page works, in days. */
      customerLinkDays: env.STATEMENT_LINK_DAYS,
      mail: Object.freeze({
        /** The SMTP server (smtp:// with STARTTLS when offered, smtps:// TLS from the start); null: nothing is sent. Its password is never logged. */
        smtpUrl: smtp?.url ?? null,
        /** Refuse to send unless the connection is encrypted (STARTTLS or smtps). */
        requireTls: env.SMTP_REQUIRE_TLS,
        /** The From of every message; null when unset (then SMTP_URL is too). */
        from: env.MAIL_FROM ?? null,
        /** The From address's domain, which names Message-IDs. */
        domain: from ? (from[2] ?? from[4] ?? 'localhost') : 'localhost',
        /** The address customers reach the app at, without a trailing slash (links in messages). */
        publicBaseUrl,
      }),
    });
  });
}

/** The app's configuration, as configSchema shapes it. */
export type Config = z.output<ReturnType<typeof configSchema>>;

/** Which proxies' X-Forwarded-For counts: none, a hop count, or a list of addresses/CIDRs. */
export type TrustProxy = Config['trustProxy'];

/**
 * Parses the variables into a frozen Config, naming every bad one. Pure:
 * `readConfig` is what a process calls.
 */
export function loadConfig(source: Readonly<Record<string, string | undefined>>, devSecret?: () => string): Config {
  // An empty variable means "not set", as in a .env file with `PORT=`.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema(devSecret).safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return parsed.data;
}

/** Reads (or makes, mode 0600) the git-ignored development secret. */
function developmentSecret(): string {
  if (existsSync(DEV_SECRET_FILE)) {
    const stored = readFileSync(DEV_SECRET_FILE, 'utf8').trim();
    if (stored.length >= 32) return stored;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(DEV_SECRET_FILE), { recursive: true });
  writeFileSync(DEV_SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The process's configuration: `.env` in the working directory (or the file
 * ENV_FILE names; ENV_FILE=none skips it) fills in what the environment does
 * not set, then everything is validated once. The only reader of process.env.
 */
export function readConfig(): Config {
  const envFile = process.env.ENV_FILE ?? '.env';
  // The operator's own settings file, named by them.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  if (envFile !== 'none' && existsSync(envFile)) {
    try {
      process.loadEnvFile(envFile);
    } catch (error) {
      throw new ConfigError([`ENV_FILE: cannot read ${envFile}: ${(error as Error).message}`]);
    }
  }
  return loadConfig(process.env, developmentSecret);
}
