/**
 * A throwaway PostgreSQL database on the machine's server for one benchmark run: created with a
 * unique name, dropped (with FORCE, so lingering connections cannot keep it) when the work ends.
 */
import { createScratchPostgres } from '@switchyard/database/testing';

/** The admin connection used to create scratch databases. */
export const DEFAULT_POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A scratch database: its URL and name. */
export interface ScratchDatabase {
  url: string;
  name: string;
}

/** Runs `work` with a new database, then drops it. Throws when the server does not answer in 5 s. */
export async function withScratchPostgres<T>(adminUrl: string, prefix: string, work: (database: ScratchDatabase) => Promise<T>): Promise<T> {
  const scratch = await createScratchPostgres({ adminUrl, prefix });
  try {
    return await work({ url: scratch.url, name: scratch.name });
  } finally {
    await scratch.drop();
  }
}
