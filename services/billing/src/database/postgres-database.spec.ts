import pg from 'pg';
import { startFaultProxy, type FaultProxy } from '@switchyard/testing';
import { DatabaseUnavailableError, type Database } from './database';
import { createPostgresDatabase } from './postgres-database';
import { createScratchPostgres, testBackends, type ScratchPostgres } from '../testing/test-databases';

// A connection reset while a pooled client is checked out used to be an unhandled 'error' event that
// exited the process (`read ECONNRESET`). Now the statement using it fails with DatabaseUnavailableError
// (UNAVAILABLE to callers) and the pool reconnects.
(testBackends().includes('postgres') ? describe : describe.skip)('PostgreSQL connection failures', () => {
  let scratch: ScratchPostgres;
  let proxy: FaultProxy;
  let database: Database;
  let observer: pg.Client;
  const reported: Error[] = [];
  const applicationName = `billing-reset-${process.pid}`;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    const url = new URL(scratch.url);
    proxy = await startFaultProxy({ target: `${url.hostname}:${url.port || 5432}` });
    url.host = proxy.address;
    database = await createPostgresDatabase({ url: url.toString(), maxConnections: 3, applicationName, onConnectionError: (error) => reported.push(error) });
    observer = new pg.Client({ connectionString: scratch.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await database?.close();
    await proxy?.close();
    await scratch?.drop();
  });
  afterEach(() => proxy.clearToxics());

  /** Waits (bounded) until a statement of ours is running on the server, seen from a direct connection. */
  async function runningOnServer(fragment: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await observer.query<{ n: string }>(
        `SELECT COUNT(*)::text AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE $2`,
        [applicationName, `%${fragment}%`],
      );
      if (rows[0]!.n !== '0') return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`"${fragment}" never started on the server`);
  }

  it('a reset under a checked-out client fails its transaction as unavailable, and the process lives on', async () => {
    const transaction = database.transaction(async (tx) => {
      await tx.query('SELECT pg_sleep(20) AS held_in_transaction');
    });
    await runningOnServer('held_in_transaction');
    proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
    const error = await transaction.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/ECONNRESET|Connection terminated/);
    expect(reported.length).toBeGreaterThan(0);

    proxy.clearToxics();
    const { rows } = await database.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('a connection lost between two statements of a transaction fails the next statement as unavailable', async () => {
    let first = false;
    const transaction = database.transaction(async (tx) => {
      await tx.query('SELECT 1');
      first = true;
      proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
      // Give the reset time to arrive before the next statement is sent.
      for (let i = 0; i < 100 && proxy.stats.connectionsOpen > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await tx.query('SELECT 2');
    });
    await expect(transaction).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(first).toBe(true);
    proxy.clearToxics();
    expect((await database.query<{ two: number }>('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('a reset under a pool statement and under idle clients is unavailable too, and the pool reconnects', async () => {
    await Promise.all([database.query('SELECT 1'), database.query('SELECT 1'), database.query('SELECT 1')]); // three idle clients
    const statement = database.query('SELECT pg_sleep(20) AS pool_statement');
    await runningOnServer('pool_statement');
    proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
    await expect(statement).rejects.toBeInstanceOf(DatabaseUnavailableError);
    proxy.clearToxics();
    expect((await database.query<{ three: number }>('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('a server that is gone is unavailable, not an internal error', async () => {
    const url = new URL(scratch.url);
    const doomed = await startFaultProxy({ target: `${url.hostname}:${url.port || 5432}` });
    url.host = doomed.address;
    const other = await createPostgresDatabase({ url: url.toString(), maxConnections: 1, onConnectionError: () => undefined });
    try {
      await doomed.close(); // cuts the pooled connection and refuses new ones
      await expect(other.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(other.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await other.close();
    }
  });
});
