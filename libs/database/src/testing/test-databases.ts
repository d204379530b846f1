// Test support (`@switchyard/database/testing`): the same suites run on embedded PGlite and on the
// real PostgreSQL server, each PostgreSQL suite in a scratch database of its own.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../database';
import { createPgliteDatabase } from '../pglite-database';
import { createPostgresDatabase } from '../postgres-database';

/** The database engines tests run on. */
export type Backend = 'pglite' | 'postgres';

/**
 * PGlite always; PostgreSQL unless `SWITCHYARD_TEST_POSTGRES=off` (CI never sets it, so there it
 * must run and a missing server fails the suite).
 */
export function testBackends(): Backend[] {
  return process.env.SWITCHYARD_TEST_POSTGRES === 'off' ? ['pglite'] : ['pglite', 'postgres'];
}

const ADMIN_URLS = process.env.SWITCHYARD_TEST_POSTGRES_URL
  ? [process.env.SWITCHYARD_TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'];

/** A throwaway PostgreSQL database, uniquely named, dropped by `drop()`. */
export interface ScratchPostgres {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function adminClient(urls: readonly string[] = ADMIN_URLS): Promise<{ client: pg.Client; url: string }> {
  let lastError: unknown;
  for (const url of urls) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return { client, url };
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no PostgreSQL at ${urls.join(' or ')} (set SWITCHYARD_TEST_POSTGRES=off to skip): ${String(lastError)}`);
}

/** Runs one statement as a server's admin (the test server unless `urls` names others); returns the admin URL that worked. */
async function asAdmin(sql: string, urls?: readonly string[]): Promise<string> {
  const { client, url } = await adminClient(urls);
  try {
    await client.query(sql);
    return url;
  } finally {
    await client.end();
  }
}

/** Where createScratchPostgres makes its database. */
export interface ScratchPostgresOptions {
  /** An admin connection to another server (e.g. a throwaway one a test may crash); default the test server. */
  adminUrl?: string;
  /** The database name's prefix (lower-case letters, digits, `_`); default `switchyard_test`. */
  prefix?: string;
}

/** Creates a uniquely named database (`<prefix>_<pid>_<random>`) on the test server, or on `adminUrl`'s. */
export async function createScratchPostgres(options: ScratchPostgresOptions = {}): Promise<ScratchPostgres> {
  const prefix = options.prefix ?? 'switchyard_test';
  if (!/^[a-z][a-z0-9_]*$/.test(prefix)) throw new Error(`scratch database prefix must be a lower-case identifier, got ${JSON.stringify(prefix)}`);
  const admins = options.adminUrl ? [options.adminUrl] : undefined;
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const adminUrl = await asAdmin(`CREATE DATABASE ${name}`, admins);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, [adminUrl]);
    },
  };
}

/** A database for one test file, and how to dispose of it. */
export interface TestDatabase {
  backend: Backend;
  database: Database;
  /** The PostgreSQL URL (postgres backend only), e.g. for spawned processes. */
  url?: string;
  close(): Promise<void>;
}

/** An in-memory PGlite, or a fresh scratch PostgreSQL database (dropped on close). */
export async function createTestDatabase(backend: Backend, options: { maxConnections?: number } = {}): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await createPgliteDatabase();
    return { backend, database, close: () => database.close() };
  }
  const scratch = await createScratchPostgres();
  const database = await createPostgresDatabase({ url: scratch.url, maxConnections: options.maxConnections ?? 10 });
  return {
    backend,
    database,
    url: scratch.url,
    async close() {
      await database.close();
      await scratch.drop();
    },
  };
}

/**
 * Polls (bounded: ~10 s) until a session of `applicationName` on the observed server waits on a lock,
 * e.g. a statement a test blocked with `LOCK TABLE` to cut its connection mid-statement. Returns
 * whether one did; `observer` is a connected client of its own.
 */
export async function waitForLockWaiter(observer: pg.Client, applicationName: string): Promise<boolean> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const { rows } = await observer.query<{ n: string }>(
      `SELECT COUNT(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows[0]?.n !== '0') return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
