import { sql, type Kysely } from 'kysely';
import { tableDefaults } from '../platform/db/dialect.js';

/**
 * Staff users, their sessions and API tokens, and the audit log. Times are
 * milliseconds since the epoch in BIGINT columns: the same value and the same
 * comparison on all three databases, with no time-zone conversion in between.
 * Flags are 0/1 integers, which all three bind and return alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { withId, utf8 } = tableDefaults(db);

  await db.schema
    .createTable('staff_user')
    .$call(withId)
    // Stored lower-case: "Alice" and "alice" are one user on every database.
    .addColumn('username', 'varchar(64)', (column) => column.notNull().unique())
    .addColumn('role', 'varchar(16)', (column) => column.notNull())
    .addColumn('password_hash', 'varchar(255)', (column) => column.notNull())
    .addColumn('disabled', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('failed_logins', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('locked_until', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('staff_user_role_known', sql`role in ('admin', 'clerk', 'viewer')`)
    .addCheckConstraint('staff_user_disabled_flag', sql`disabled in (0, 1)`)
    .$call(utf8)
    .execute();

  await db.schema
    .createTable('staff_session')
    // SHA-256 of the cookie's random id: a copy of this table signs nobody in.
    .addColumn('id_hash', 'char(64)', (column) => column.primaryKey())
    .addColumn('user_id', 'bigint', (column) => column.notNull().references('staff_user.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .addColumn('ip', 'varchar(64)')
    .$call(utf8)
    .execute();
  await db.schema.createIndex('staff_session_user').on('staff_session').column('user_id').execute();
  await db.schema.createIndex('staff_session_expires').on('staff_session').column('expires_at').execute();

  await db.schema
    .createTable('api_token')
    .$call(withId)
    .addColumn('user_id', 'bigint', (column) => column.notNull().references('staff_user.id').onDelete('cascade'))
    .addColumn('label', 'varchar(100)', (column) => column.notNull())
    // SHA-256 of the whole token; the token itself is shown once and never stored.
    .addColumn('token_hash', 'char(64)', (column) => column.notNull().unique())
    // The first characters, so a person can tell their tokens apart.
    .addColumn('prefix', 'varchar(16)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .$call(utf8)
    .execute();
  await db.schema.createIndex('api_token_user').on('api_token').column('user_id').execute();

  await db.schema
    .createTable('audit_event')
    .$call(withId)
    .addColumn('at', 'bigint', (column) => column.notNull())
    // A user name, "cli", "bootstrap" or "anonymous": kept as text so the row outlives the user.
    .addColumn('actor', 'varchar(80)', (column) => column.notNull())
    .addColumn('ip', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('action', 'varchar(64)', (column) => column.notNull())
    .addColumn('target', 'varchar(200)')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .$call(utf8)
    .execute();
  await db.schema.createIndex('audit_event_at').on('audit_event').column('at').execute();
  await db.schema.createIndex('audit_event_actor').on('audit_event').columns(['actor', 'id']).execute();
  await db.schema.createIndex('audit_event_action').on('audit_event').columns(['action', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_event', 'api_token', 'staff_session', 'staff_user']) await db.schema.dropTable(table).execute();
}
