import pg from 'pg';
import { DatabaseUnavailableError, type Database } from './database';
import { createPostgresDatabase } from './postgres-database';
import { startConnectionCutter, type ConnectionCutter } from './testing/connection-cutter';
import { createScratchPostgres, testBackends, type ScratchPostgres } from './testing/test-databases';

/** The scratch database's URL with its host replaced by the cutter's address. */
function through(cutter: ConnectionCutter, scratchUrl: string): string {
  const url = new URL(scratchUrl);
  url.host = cutter.address;
  return url.toString();
}

const serverOf = (scratchUrl: string) => {
  const url = new URL(scratchUrl);
  return `${url.hostname}:${url.port || 5432}`;
};

// A connection reset while a pooled client is checked out used to be an unhandled 'error' event that
// exited the process (`read ECONNRESET`). Now the statement using it fails with DatabaseUnavailableError
// (UNAVAILABLE to callers) and the pool reconnects.
(testBackends().includes('postgres') ? describe : describe.skip)('PostgreSQL connection failures', () => {
  let scratch: ScratchPostgres;
  let cutter: ConnectionCutter;
  let database: Database;
  let observer: pg.Client;
  const reported: Error[] = [];
  const applicationName = `database-reset-${process.pid}`;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    cutter = await startConnectionCutter(serverOf(scratch.url));
    database = await createPostgresDatabase({ url: through(cutter, scratch.url), maxConnections: 3, applicationName, onConnectionError: (error) => reported.push(error) });
    observer = new pg.Client({ connectionString: scratch.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await database?.close();
    await cutter?.close();
    await scratch?.drop();
  });

  /** Waits (bounded) until a statement of ours is running on the server, seen from a direct connection. */
  async function runningOnServer(fragment: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await observer.query<{ n: string }>(
        `SELECT COUNT(*)::text AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE $2`,
        [applicationName, `%${fragment}%`],
      );
      if (rows[0].n !== '0') return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`"${fragment}" never started on the server`);
  }

  it('a reset under a checked-out client fails its transaction as unavailable, and the process lives on', async () => {
    const transaction = database.transaction(async (tx) => {
      await tx.query('SELECT pg_sleep(20) AS held_in_transaction');
    });
    await runningOnServer('held_in_transaction');
    cutter.resetAll();
    const error = await transaction.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/ECONNRESET|Connection terminated/);
    expect(reported.length).toBeGreaterThan(0);

    const { rows } = await database.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('a connection lost between two statements of a transaction fails the next statement as unavailable', async () => {
    let first = false;
    const transaction = database.transaction(async (tx) => {
      await tx.query('SELECT 1');
      first = true;
      const before = reported.length;
      cutter.resetAll();
      // Give the reset time to reach the client (it reports the failure) before the next statement is sent.
      for (let i = 0; i < 100 && reported.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await tx.query('SELECT 2');
    });
    await expect(transaction).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(first).toBe(true);
    expect((await database.query<{ two: number }>('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('a reset under a pool statement and under idle clients is unavailable too, and the pool reconnects', async () => {
    await Promise.all([database.query('SELECT 1'), database.query('SELECT 1'), database.query('SELECT 1')]); // three idle clients
    const statement = database.query('SELECT pg_sleep(20) AS pool_statement');
    await runningOnServer('pool_statement');
    cutter.resetAll();
    await expect(statement).rejects.toBeInstanceOf(DatabaseUnavailableError);
    // An idle client whose reset has not been reported yet (a loaded machine delays the event) fails its next
    // statement UNAVAILABLE too and is discarded; the caller's retry gets a fresh connection. Three idle clients: at most three such failures.
    let rows: Array<{ three: number }> | undefined;
    for (let attempt = 0; attempt < 4 && !rows; attempt++) {
      try {
        rows = (await database.query<{ three: number }>('SELECT 3 AS three')).rows;
      } catch (error) {
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
      }
    }
    expect(rows).toEqual([{ three: 3 }]);
  });

  it('a server that is gone is unavailable, not an internal error', async () => {
    const doomed = await startConnectionCutter(serverOf(scratch.url));
    const other = await createPostgresDatabase({ url: through(doomed, scratch.url), maxConnections: 1, onConnectionError: () => undefined });
    try {
      await doomed.close(); // cuts the pooled connection and refuses new ones
      await expect(other.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(other.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await other.close();
    }
  });
});
