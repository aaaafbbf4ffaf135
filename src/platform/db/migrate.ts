import { Migrator, type Kysely, type Migration } from 'kysely';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Every migration by name; names sort in the order they run. */
export type MigrationList = Readonly<Record<string, Migration>>;

/**
 * Unordered: features developed side by side land in any order, so a
 * database may have applied a later-dated migration before an earlier one
 * arrives; that one is applied then instead of refusing to start.
 */
function migrator<T>(db: Kysely<T>, migrations: MigrationList): Migrator {
  return new Migrator({ db, allowUnorderedMigrations: true, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
}

/**
 * Brings the schema up to date. Kysely takes a lock table first, so replicas
 * starting together run each migration once. Returns the names it applied.
 */
export async function migrateToLatest<T>(db: Kysely<T>, migrations: MigrationList): Promise<string[]> {
  const { error, results = [] } = await migrator(db, migrations).migrateToLatest();
  const failed = results.find((result) => result.status === 'Error');
  if (error !== undefined || failed) {
    const cause = error instanceof Error ? error : undefined;
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause?.message ?? String(error)}`, { cause });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** The migrations this code knows that the database has not applied yet (readiness). */
export async function pendingMigrations<T>(db: Kysely<T>, migrations: MigrationList): Promise<string[]> {
  const known = await migrator(db, migrations).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
