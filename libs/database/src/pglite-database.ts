import { mkdirSync } from 'node:fs';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database';

/** Options for createPgliteDatabase. */
export interface PgliteDatabaseOptions {
  /** Folder holding the data; undefined keeps everything in memory (tests). */
  dataDir?: string;
}

// Same value types as the PostgreSQL pool: int8 → bigint (money never passes through a float), numeric → string.
const parsers = {
  [types.INT8]: (value: string) => BigInt(value),
  [types.NUMERIC]: (value: string) => value,
};

function queryable(target: PGlite | Transaction): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, params as unknown[], { parsers });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite) in a local folder, or in memory. One connection: statements and
 * transactions are serialized by PGlite itself, so there is never lock contention or deadlock.
 * A folder belongs to one process at a time.
 */
export async function createPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<Database> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  await pglite.exec("SET TIME ZONE 'UTC'");
  const root = queryable(pglite);
  return {
    kind: 'pglite',
    query: root.query,
    exec: root.exec,
    transaction: (fn) => pglite.transaction((tx) => fn(queryable(tx))),
    close: () => pglite.close(),
  };
}
