import type { Database } from '@switchyard/database';
import type { Suite, SuiteItem } from './suite-file';

/**
 * Suite snapshots in the `suites` table: every loaded file version is kept by content hash, so a
 * run resumed after its file was edited still scores exactly the items it started with.
 */
export interface SuiteSnapshots {
  /** Stores a suite version (a no-op when that exact content is already stored). */
  save(suite: Suite): Promise<void>;
  /** A stored suite by name, version and content hash. */
  load(name: string, version: string, sha256: string): Promise<Suite | undefined>;
}

/** Creates the snapshot store. */
export function createSuiteSnapshots(database: Database): SuiteSnapshots {
  return {
    async save(suite) {
      await database.query(
        `INSERT INTO suites (name, version, content_sha256, description, item_count, scorers, items)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
         ON CONFLICT (name, version, content_sha256) DO NOTHING`,
        [suite.name, suite.version, suite.sha256, suite.description, suite.items.length, JSON.stringify(suite.scorers), JSON.stringify(suite.items)],
      );
    },
    async load(name, version, sha256) {
      const { rows } = await database.query<{ description: string; scorers: string[]; items: SuiteItem[] }>(
        'SELECT description, scorers, items FROM suites WHERE name = $1 AND version = $2 AND content_sha256 = $3',
        [name, version, sha256],
      );
      const row = rows[0];
      return row ? { name, version, sha256, description: row.description, scorers: row.scorers, items: row.items } : undefined;
    },
  };
}
