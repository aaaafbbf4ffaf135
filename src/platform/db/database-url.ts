/** Where the data lives, parsed from DATABASE_URL; never holds more than it needs to connect. */
export type DatabaseTarget =
  | {
      readonly kind: 'mysql' | 'postgres';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string | undefined;
      readonly database: string;
    }
  | { readonly kind: 'sqlite'; readonly file: string };

const DEFAULTS = new Map([
  ['mysql', { port: 3306, user: 'root' }],
  ['postgres', { port: 5432, user: 'postgres' }],
] as const);

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * Accepts mysql://user:pass@host:port/db, postgres:// (or postgresql://),
 * sqlite:relative/or/absolute.db and sqlite::memory:.
 * `passwordOverride` (DATABASE_PASSWORD) lets a secret stay out of the URL.
 */
export function parseDatabaseUrl(url: string, passwordOverride?: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file.length === 0) throw new DatabaseUrlError('a sqlite: URL needs a file path or :memory:');
    return { kind: 'sqlite', file };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError('is not a URL (expected mysql://, postgres:// or sqlite:)');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const kind = scheme === 'mysql' ? 'mysql' : scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : undefined;
  if (!kind) throw new DatabaseUrlError(`has the unsupported scheme "${scheme}" (expected mysql, postgres or sqlite)`);
  const defaults = DEFAULTS.get(kind)!;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!parsed.hostname) throw new DatabaseUrlError('needs a host');
  if (!database) throw new DatabaseUrlError('needs a database name after the host, e.g. /crm');
  return {
    kind,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : defaults.port,
    user: decodeURIComponent(parsed.username) || defaults.user,
    password: passwordOverride ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined),
    database,
  };
}

/** For logs and error messages: says where, never the password. */
export function describeTarget(target: DatabaseTarget): string {
  return target.kind === 'sqlite'
    ? `sqlite file ${target.file}`
    : `${target.kind} at ${target.host}:${target.port}/${target.database}`;
}

/** The target as a URL without its password: what /readyz and the logs show of a replica. */
export function urlWithoutPassword(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite:${target.file}`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.kind}://${encodeURIComponent(target.user)}@${host}:${target.port}/${encodeURIComponent(target.database)}`;
}
