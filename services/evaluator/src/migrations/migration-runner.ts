import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../database';

/** One versioned schema change: `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Options for applyMigrations. */
export interface MigrationOptions {
  /** The migrations; default the `NNNN_*.sql` files beside this runner. */
  migrations?: Migration[];
}

// Any fixed number, distinct from other services' keys: every replica takes the same transaction-scoped lock.
const MIGRATION_LOCK_KEY = 7_301_155_007;

/** Reads `NNNN_name.sql` files from a folder, ordered by version. */
export function readMigrations(folder: string = __dirname): Migration[] {
  const migrations = readdirSync(folder)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ version: Number(match[1]), name: match[2]!, sql: readFileSync(join(folder, match[0]), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migration versions must be 1..n without gaps; found ${migration.version} at position ${index + 1}`);
  });
  return migrations;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, recording each in
 * `evaluator_schema_migrations`; replicas starting together wait for each other instead of racing,
 * and a failed migration leaves the schema unchanged. Returns the versions applied now.
 */
export async function applyMigrations(database: Database, options: MigrationOptions = {}): Promise<number[]> {
  const migrations = options.migrations ?? readMigrations();
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS evaluator_schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Set((await tx.query<{ version: number }>('SELECT version FROM evaluator_schema_migrations')).rows.map((row) => Number(row.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((version) => !known.has(version));
    if (unknown.length > 0) throw new Error(`database has migrations this build does not know (${unknown.join(', ')}): is an older evaluator running against a newer schema?`);
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO evaluator_schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}
