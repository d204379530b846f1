import { applyMigrations as applySchemaMigrations, type Database, type Migration } from '@switchyard/database';

/**
 * Billing's schema: the `NNNN_*.sql` files beside this runner. The bookkeeping table and the
 * advisory lock key are fixed forever, so existing databases keep their history.
 */
const BILLING_SCHEMA = { folder: __dirname, table: 'schema_migrations', lockKey: 7_301_155_001, owner: 'billing' };

/**
 * Applies billing's pending migrations (see @switchyard/database's applyMigrations); returns the versions
 * applied now. `migrations` replaces the folder's list (tests build a database of an older release).
 */
export function applyMigrations(database: Database, migrations?: readonly Migration[]): Promise<number[]> {
  return applySchemaMigrations(database, migrations ? { ...BILLING_SCHEMA, migrations: [...migrations] } : BILLING_SCHEMA);
}
