/**
 * A throwaway PostgreSQL database on the machine's server for one benchmark run: created with a
 * unique name, dropped (with FORCE, so lingering connections cannot keep it) when the work ends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The admin connection used to create scratch databases. */
export const DEFAULT_POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A scratch database: its URL and name. */
export interface ScratchDatabase {
  url: string;
  name: string;
}

/** Runs `work` with a new database, then drops it. Throws when the server does not answer in 5 s. */
export async function withScratchPostgres<T>(adminUrl: string, prefix: string, work: (database: ScratchDatabase) => Promise<T>): Promise<T> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await work({ url: url.toString(), name });
  } finally {
    const cleanup = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  }
}
