import { applyMigrations as applySchemaMigrations, type Database } from '@switchyard/database';

/**
 * The evaluator's schema: the `NNNN_*.sql` files beside this runner. The bookkeeping table and the
 * advisory lock key (distinct from billing's, as the two may share a database) are fixed forever,
 * so existing databases keep their history.
 */
const EVALUATOR_SCHEMA = { folder: __dirname, table: 'evaluator_schema_migrations', lockKey: 7_301_155_007, owner: 'evaluator' };

/** Applies the evaluator's pending migrations (see @switchyard/database's applyMigrations); returns the versions applied now. */
export function applyMigrations(database: Database): Promise<number[]> {
  return applySchemaMigrations(database, EVALUATOR_SCHEMA);
}
