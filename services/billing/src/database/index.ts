import type { Database } from './database';
import { createPgliteDatabase } from './pglite-database';
import { createPostgresDatabase } from './postgres-database';

export type { Database, Queryable, QueryResult } from './database';
export { DatabaseUnavailableError, sqlState, withTransactionRetry } from './database';
export { createPgliteDatabase } from './pglite-database';
export { createPostgresDatabase } from './postgres-database';

/** Options for openDatabase. */
export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, billing uses that server. */
  url?: string;
  /** Otherwise embedded PGlite in this folder (undefined: in memory). */
  dataDir?: string;
  /** PostgreSQL pool size. */
  maxConnections?: number;
  /** Told when a pooled PostgreSQL connection fails (for a log line); the pool replaces the connection. */
  onConnectionError?: (error: Error) => void;
}

/** PostgreSQL when a URL is given, else embedded PGlite: the same SQL runs on both. */
export function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url
    ? createPostgresDatabase({ url: options.url, maxConnections: options.maxConnections, onConnectionError: options.onConnectionError })
    : createPgliteDatabase({ dataDir: options.dataDir });
}
