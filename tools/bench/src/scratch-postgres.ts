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

/** Where a benchmark's billing keeps its data: a scratch PostgreSQL database, embedded PGlite, or PostgreSQL when it answers. */
export type BillingDatabaseChoice = 'auto' | 'postgres' | 'pglite';

/**
 * Runs `work` with a scratch PostgreSQL database, or with none (billing on embedded PGlite) for
 * `pglite`, and for `auto` when the server does not answer. Only the database's creation falls back:
 * an error from `work` itself propagates, so a failed run is never silently repeated on PGlite.
 */
export async function withBillingDatabase<T>(
  choice: BillingDatabaseChoice,
  options: { adminUrl: string; prefix: string; log: (line: string) => void },
  work: (database: ScratchDatabase | undefined) => Promise<T>,
): Promise<T> {
  if (choice === 'pglite') return work(undefined);
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  try {
    scratch = await createScratchPostgres({ adminUrl: options.adminUrl, prefix: options.prefix });
  } catch (error) {
    if (choice === 'postgres' || !/ECONNREFUSED|connect|timeout/i.test(String(error))) throw error;
    options.log(`PostgreSQL did not answer (${String(error).split('\n')[0]}); billing uses embedded PGlite`);
    return work(undefined);
  }
  try {
    return await work({ url: scratch.url, name: scratch.name });
  } finally {
    await scratch.drop();
  }
}
