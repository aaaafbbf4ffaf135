/**
 * The search's query plans at scale (node --import tsx bench/search-plans.ts <database URL> <accounts>):
 * fills an empty database with N accounts named like bench:crm's (through
 * createAccounts, so the terms are the app's), unless it already holds them,
 * then prints EXPLAIN for each read the search makes, per sort and direction,
 * and times searchAccounts itself (median and worst of 5) for q=a, q=al and
 * q=smith, each sort and direction.
 */
import { sql, type Kysely } from 'kysely';
import { accountSearchQuery, searchAccounts } from '../src/modules/accounts/account-search.js';
import { createAccounts, type NewAccount } from '../src/modules/accounts/accounts.service.js';
import { migrateDatabase } from '../src/migrations/index.js';
import { createDatabase } from '../src/platform/db/database.js';
import { parseDatabaseUrl } from '../src/platform/db/database-url.js';
import { dialectOf } from '../src/platform/db/dialect.js';
import type { Database } from '../src/schema.js';
import { cents } from '../src/shared/money.js';
import { accountName, acctidOf } from './accounts.js';

const [url = 'sqlite:/tmp/search-plans.db', sizeText = '200000'] = process.argv.slice(2);
const size = Number(sizeText);
const db: Kysely<Database> = createDatabase<Database>(parseDatabaseUrl(url), { poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 600_000 });
const dialect = dialectOf(db);

async function fill(): Promise<void> {
  await migrateDatabase(db);
  const { count } = await db.selectFrom('account').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  if (Number(count) >= size) return;
  const actor = { name: 'bench' };
  for (let start = Number(count) + 1; start <= size; start += 500) {
    const batch: NewAccount[] = [];
    for (let i = start; i < Math.min(start + 500, size + 1); i++) {
      const due = 1000 + ((i * 7919) % 900_000);
      batch.push({ acctid: acctidOf(i), name: accountName(i), openingDueCents: cents(due), openingPaidCents: cents(1 + ((i * 104_729) % (due - 1))) });
    }
    await db.transaction().execute((trx) => createAccounts(trx, actor, batch));
  }
  if (dialect === 'postgres') await sql`analyze`.execute(db);
  if (dialect === 'sqlite') await sql`analyze`.execute(db);
  if (dialect === 'mysql') await sql`analyze table account, account_search_term`.execute(db);
}

const EXPLAIN = { mysql: sql`explain`, postgres: sql`explain`, sqlite: sql`explain query plan` }[dialect];

/** The reads searchAccounts makes, as it makes them (see account-search.ts). */
function reads(dir: 'asc' | 'desc') {
  const d = sql.raw(dir);
  const ids = sql.join(Array.from({ length: 26 }, (_, i) => acctidOf(i * 997 + 1)));
  return {
    'a word: are there at most 1,000 matches? (term, acctid)': sql`select acctid from account_search_term where term = 'smith' limit 1001`,
    'few matches sorted whole, by name': sql`select acctid, sort_name, balance_cents from account where acctid in (${ids}) order by sort_name ${d}, acctid ${d} limit 26`,
    'common word by id: (term, acctid)': sql`select acctid, acctid as value from account_search_term where term = 'a' order by acctid ${d} limit 26`,
    'common word by id, next page': sql`select acctid, acctid as value from account_search_term where term = 'a' and acctid ${sql.raw(dir === 'asc' ? '>' : '<')} 'ACC0500000' order by acctid ${d} limit 26`,
    'common word by name: (term, sort_name, acctid)': sql`select acctid, sort_name as value from account_search_term where term = 'a' order by sort_name ${d}, acctid ${d} limit 26`,
    'common word by balance: (balance_cents, acctid)': sql`select acctid, balance_cents as value from account order by balance_cents ${d}, acctid ${d} limit 26`,
    'owing by balance: a range of (balance_cents, acctid)': sql`select acctid, balance_cents as value from account where balance_cents > 0 order by balance_cents ${d}, acctid ${d} limit 26`,
    'accounts read, checked by primary key (word by balance, closed filter)': sql`select acctid from account where acctid in (${ids}) and closed_at is not null and exists (select t.acctid from account_search_term t where t.term = 'a' and t.acctid = account.acctid)`,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  await fill();
  console.log(`${dialect}: ${size} accounts ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const dir of ['asc', 'desc'] as const) {
    for (const [name, query] of Object.entries(reads(dir))) {
      const { rows } = await sql<Record<string, unknown>>`${EXPLAIN} ${query}`.execute(db);
      console.log(`\n-- ${name}, ${dir}`);
      for (const row of rows) console.log(dialect === 'postgres' ? String(row['QUERY PLAN']) : JSON.stringify(row));
    }
  }
  console.log('\nsearchAccounts, ms (median / worst of 5, limit 25):');
  for (const q of ['a', 'al', 'smith']) {
    for (const sort of ['acctid', 'name', 'balance']) {
      for (const dir of ['asc', 'desc']) {
        const times = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          await searchAccounts(db, accountSearchQuery.parse({ q, sort, dir }));
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        console.log(`q=${q} ${sort} ${dir}: ${times[2]!.toFixed(1)} / ${times[4]!.toFixed(1)}`);
      }
    }
  }
  await db.destroy();
}

await main();
