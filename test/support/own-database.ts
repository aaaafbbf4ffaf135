/**
 * A database of a suite's own beside the shared test database, for tests
 * that act on every row of a table (an outbox worker sends whatever is due,
 * whoever queued it): a SQLite file, or a sibling database named
 * `<test database>_<suffix>` on the same MySQL/PostgreSQL server, emptied of
 * the suite's tables' rows first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { openTestDatabase, type Opened, type TestDatabase } from './test-databases.js';

export interface OwnDatabase {
  readonly url: string;
  readonly opened: Opened;
  /** Another pool on the same database (another worker, another process's view). */
  connect(poolSize?: number): Kysely<Database>;
  cleanUp(): Promise<void>;
}

export async function openOwnDatabase(target: TestDatabase, suffix: string): Promise<OwnDatabase> {
  let url = target.url;
  let dir: string | null = null;
  if (url.startsWith('sqlite:')) {
    dir = mkdtempSync(join(tmpdir(), `crm-${suffix}-`));
    url = `sqlite:${join(dir, 'crm.db')}`;
  } else {
    const shared = await openTestDatabase(target);
    if (!shared.db) return { url, opened: shared, connect: () => { throw new Error(shared.skip); }, cleanUp: () => Promise.resolve() };
    const parsed = new URL(url);
    const name = `${parsed.pathname.slice(1)}_${suffix}`.replace(/[^A-Za-z0-9_]/g, '_');
    if (url.startsWith('mysql')) await sql`create database if not exists ${sql.id(name)}`.execute(shared.db);
    else {
      const exists = await sql`select 1 from pg_database where datname = ${name}`.execute(shared.db);
      if (exists.rows.length === 0) await sql`create database ${sql.id(name)}`.execute(shared.db).catch(() => undefined);
    }
    await shared.db.destroy();
    parsed.pathname = `/${name}`;
    url = parsed.href;
  }
  const opened = await openTestDatabase({ ...target, url });
  const pools: Kysely<Database>[] = [];
  return {
    url,
    opened,
    connect(poolSize = 4) {
      const db = createDatabase<Database>(parseDatabaseUrl(url), { poolSize, connectTimeoutMs: 3000 });
      pools.push(db);
      return db;
    },
    async cleanUp() {
      await Promise.all(pools.map((db) => db.destroy()));
      await opened.db?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
