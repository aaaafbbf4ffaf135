import { sql, type Kysely } from 'kysely';
import { dialectOf, tableDefaults } from '../platform/db/dialect.js';

/**
 * Search terms carry their account's `sort_name`, with the index
 * (term, sort_name, acctid): a search word then reads one page in name order
 * however many accounts it matches, as the primary key (term, acctid) already
 * does in id order. The name is copied because it changes only when staff
 * rename the account, which rewrites the terms anyway.
 *
 * The table is rebuilt rather than altered: copying in primary-key order and
 * building the index once is far quicker than updating tens of millions of
 * rows in place (about 20 terms an account). At a million accounts it runs
 * for minutes, which `crm migrate` allows (DB_MIGRATE_STATEMENT_TIMEOUT_MS,
 * an hour by default); a server migrating at start-up keeps the request limit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { utf8 } = tableDefaults(db);
  const bytewise = dialectOf(db) === 'postgres' ? sql`collate "C"` : sql``;
  // Left by a run cut off part-way (MySQL's DDL is not transactional): start the copy again.
  await db.schema.dropTable('account_search_term_sorted').ifExists().execute();
  await db.schema
    .createTable('account_search_term_sorted')
    .addColumn('term', 'varchar(15)', (column) => column.modifyFront(bytewise).notNull())
    .addColumn('acctid', 'varchar(15)', (column) => column.notNull())
    .addColumn('sort_name', 'varchar(200)', (column) => column.modifyFront(bytewise).notNull())
    // Not account_search_term_pk: on PostgreSQL the old table's key holds that name while both tables exist.
    .addPrimaryKeyConstraint('account_search_term_key', ['term', 'acctid'])
    .$call(utf8)
    .execute();
  await sql`insert into account_search_term_sorted (term, acctid, sort_name)
    select t.term, t.acctid, a.sort_name from account_search_term t join account a on a.acctid = t.acctid`.execute(db);
  await db.schema.dropTable('account_search_term').execute();
  await db.schema.alterTable('account_search_term_sorted').renameTo('account_search_term').execute();
  await db.schema.createIndex('account_search_term_name').on('account_search_term').columns(['term', 'sort_name', 'acctid']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const drop = db.schema.dropIndex('account_search_term_name');
  await (dialectOf(db) === 'mysql' ? drop.on('account_search_term') : drop).execute();
  await db.schema.alterTable('account_search_term').dropColumn('sort_name').execute();
}
