// Test support: a Database that records the statements sent through it, so a test can pin how many
// round trips a write costs.
import type { Database, Queryable } from '@switchyard/database';

/** A database wrapper and the statements sent through it ("BEGIN" for each transaction opened). */
export interface CountingDatabase {
  database: Database;
  statements: string[];
}

/** Wraps `database`; every query, exec and transaction through the wrapper is appended to `statements`. */
export function countingDatabase(database: Database): CountingDatabase {
  const statements: string[] = [];
  const counted = (target: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql);
      return target.query(sql, params);
    },
    exec: (sql) => {
      statements.push(sql);
      return target.exec(sql);
    },
  });
  return {
    statements,
    database: {
      ...counted(database),
      kind: database.kind,
      transaction: (fn) => {
        statements.push('BEGIN');
        return database.transaction((tx) => fn(counted(tx)));
      },
      close: () => database.close(),
    },
  };
}
