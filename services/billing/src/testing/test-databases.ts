// Test support: the same suites run on embedded PGlite and on the real PostgreSQL server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createBilling, prepareBillingDatabase, type Billing } from '../billing-app';
import { createPgliteDatabase, createPostgresDatabase, type Database } from '../database';
import { defaultPriceCatalog } from '@switchyard/pricing';

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

async function adminClient(): Promise<{ client: pg.Client; url: string }> {
  let lastError: unknown;
  for (const url of ADMIN_URLS) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return { client, url };
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no PostgreSQL at ${ADMIN_URLS.join(' or ')} (set SWITCHYARD_TEST_POSTGRES=off to skip): ${String(lastError)}`);
}

/** Creates a uniquely named database on the test server. */
export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const { client, url } = await adminClient();
  const name = `billing_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return {
    url: parsed.toString(),
    name,
    async drop() {
      const admin = await adminClient();
      try {
        await admin.client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.client.end();
      }
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

/** An in-memory PGlite, or a fresh PostgreSQL database. */
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

/** A mutable clock for tests. */
export interface TestClock {
  now: () => Date;
  set(iso: string | Date): void;
  advance(ms: number): void;
}

/** A clock starting at `iso`. */
export function createTestClock(iso: string): TestClock {
  let current = new Date(iso);
  return {
    now: () => new Date(current.getTime()),
    set: (value) => (current = new Date(value)),
    advance: (ms) => (current = new Date(current.getTime() + ms)),
  };
}

/** A migrated billing over a test database, seeded with the shipped catalog and the given teams. */
export async function createTestBilling(
  database: Database,
  options: { now?: () => Date; teams?: Array<{ teamId: string; displayName?: string; baselineModel?: string }>; teamCacheTtlMs?: number } = {},
): Promise<Billing> {
  const app = createBilling({ database, now: options.now, teamCacheTtlMs: options.teamCacheTtlMs });
  await prepareBillingDatabase(app, {
    seedCatalog: defaultPriceCatalog(),
    bootstrapTeams: (options.teams ?? []).map((t) => ({ teamId: t.teamId, displayName: t.displayName ?? t.teamId, baselineModel: t.baselineModel ?? '' })),
  });
  return app;
}
