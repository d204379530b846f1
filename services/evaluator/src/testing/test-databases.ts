// Test support: the same store tests run on embedded PGlite and on the real PostgreSQL server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPgliteDatabase, createPostgresDatabase, type Database } from '../database';

/** The database engines tests run on. */
export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL unless `SWITCHYARD_TEST_POSTGRES=off` (CI never sets it, so a missing server fails there). */
export function testBackends(): Backend[] {
  return process.env.SWITCHYARD_TEST_POSTGRES === 'off' ? ['pglite'] : ['pglite', 'postgres'];
}

const ADMIN_URLS = process.env.SWITCHYARD_TEST_POSTGRES_URL
  ? [process.env.SWITCHYARD_TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'];

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

/** A database for one test file, and how to dispose of it. */
export interface TestDatabase {
  backend: Backend;
  database: Database;
  close(): Promise<void>;
}

/** An in-memory PGlite, or a fresh uniquely named PostgreSQL database (dropped on close). */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await createPgliteDatabase();
    return { backend, database, close: () => database.close() };
  }
  const { client, url } = await adminClient();
  const name = `evaluator_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  const database = await createPostgresDatabase({ url: parsed.toString(), maxConnections: 4 });
  return {
    backend,
    database,
    async close() {
      await database.close();
      const admin = await adminClient();
      try {
        await admin.client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.client.end();
      }
    },
  };
}
