import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database';

/** One versioned schema change: `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Whose schema is migrated, and how: each service has its own folder, bookkeeping table and lock. */
export interface MigrationOptions {
  /** The folder of `NNNN_name.sql` files. */
  folder: string;
  /** The table recording applied versions; one per service, so services can share a database. */
  table: string;
  /** Any fixed number, distinct per service: every replica takes this transaction-scoped advisory lock. */
  lockKey: number;
  /** Who owns the schema, named when the database is newer than this build, e.g. `billing`. */
  owner: string;
  /** The migrations to apply instead of the folder's (tests). */
  migrations?: readonly Migration[];
}

// The table name is spliced into SQL, so it must be a plain identifier.
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** Reads `NNNN_name.sql` files from a folder, ordered by version; versions must run 1..n without gaps. */
export function readMigrations(folder: string): Migration[] {
  const migrations = readdirSync(folder)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ version: Number(match[1]), name: match[2], sql: readFileSync(join(folder, match[0]), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migration versions must be 1..n without gaps; found ${migration.version} at position ${index + 1}`);
  });
  return migrations;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, recording each in
 * `options.table`; replicas starting together wait for each other instead of racing, and a failed
 * migration leaves the schema unchanged. Returns the versions applied now.
 */
export async function applyMigrations(database: Database, options: MigrationOptions): Promise<number[]> {
  const { table, lockKey, owner } = options;
  if (!TABLE_NAME.test(table)) throw new Error(`migration table "${table}" must be a lower-case SQL identifier`);
  const migrations = options.migrations ?? readMigrations(options.folder);
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Set((await tx.query<{ version: number }>(`SELECT version FROM ${table}`)).rows.map((row) => Number(row.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((version) => !known.has(version));
    if (unknown.length > 0) throw new Error(`database has migrations this build does not know (${unknown.join(', ')}): is an older ${owner} running against a newer schema?`);
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}
