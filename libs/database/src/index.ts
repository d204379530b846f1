// @switchyard/database: one small Database interface over embedded PGlite and over a PostgreSQL pool
// that survives connection failures, plus the versioned SQL migrations every service runs at start.
import type { Database } from './database';
import { createPgliteDatabase } from './pglite-database';
import { createPostgresDatabase } from './postgres-database';

export type { Database, Queryable, QueryResult } from './database';
export { DatabaseUnavailableError, sqlState, withTransactionRetry } from './database';
export { createPgliteDatabase, type PgliteDatabaseOptions } from './pglite-database';
export { createPostgresDatabase, type PostgresDatabaseOptions } from './postgres-database';
export { integerArrayLiteral, textArrayLiteral } from './array-literal';
export { applyMigrations, readMigrations, type Migration, type MigrationOptions } from './migration-runner';

/** Options for openDatabase. */
export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, that server is used. */
  url?: string;
  /** Otherwise embedded PGlite in this folder (undefined: in memory). */
  dataDir?: string;
  /** PostgreSQL pool size. */
  maxConnections?: number;
  /** Name shown in PostgreSQL's pg_stat_activity, e.g. `switchyard-billing`. */
  applicationName?: string;
  /** Told when a pooled PostgreSQL connection fails (for a log line); the pool replaces the connection. */
  onConnectionError?: (error: Error) => void;
}

/** PostgreSQL when a URL is given, else embedded PGlite: the same SQL runs on both. */
export function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { url, dataDir, ...pool } = options;
  return url ? createPostgresDatabase({ url, ...pool }) : createPgliteDatabase({ dataDir });
}
