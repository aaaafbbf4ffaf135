import { Migrator, type Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema up to date. Kysely takes a lock table first, so replicas
 * starting together run each migration once. Returns the names it applied.
 */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((result) => result.status === 'Error');
  if (error !== undefined || failed) {
    const cause = error instanceof Error ? error : undefined;
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause?.message ?? String(error)}`, { cause });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
