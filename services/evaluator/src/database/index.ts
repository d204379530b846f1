import type { Database } from './database';
import { createPgliteDatabase } from './pglite-database';
import { createPostgresDatabase } from './postgres-database';

export type { Database, Queryable, QueryResult } from './database';
export { sqlState } from './database';
export { createPgliteDatabase } from './pglite-database';
export { createPostgresDatabase } from './postgres-database';

/** Options for openDatabase. */
export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, the evaluator uses that server. */
  url?: string;
  /** Otherwise embedded PGlite in this folder (undefined: in memory). */
  dataDir?: string;
  /** PostgreSQL pool size. */
  maxConnections?: number;
}

/** PostgreSQL when a URL is given, else embedded PGlite: the same SQL runs on both. */
export function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url
    ? createPostgresDatabase({ url: options.url, maxConnections: options.maxConnections })
    : createPgliteDatabase({ dataDir: options.dataDir });
}
