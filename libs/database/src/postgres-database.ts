import pg from 'pg';
import { DatabaseUnavailableError, sqlState, withTransactionRetry, type Database, type Queryable, type QueryResult } from './database';

/** Options for createPostgresDatabase. */
export interface PostgresDatabaseOptions {
  /** A `postgres://` connection string. */
  url: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** Name shown in pg_stat_activity, e.g. `switchyard-billing`; default `switchyard`. */
  applicationName?: string;
  /**
   * Told once per failed connection (reset, server gone), idle or in use, for a log line; must not
   * throw. The pool drops the connection and opens a new one on demand.
   */
  onConnectionError?: (error: Error) => void;
}

// int8 → bigint, so money never passes through a float; numeric stays a string (converted with BigInt where summed).
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// Socket errors, and SQLSTATE classes 08 (connection exception), 57P01-03 (admin/crash shutdown,
// cannot connect now) and 53300 (too many connections): the server, not the statement, failed.
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
const SERVER_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/i;

/** Whether `error` means the connection or the server failed (retry later), not the statement. */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = sqlState(error) ?? '';
  return CONNECTION_ERRNOS.has(code) || code.startsWith('08') || SERVER_UNAVAILABLE_STATES.has(code) || (error instanceof Error && CONNECTION_MESSAGES.test(error.message));
}

const asUnavailable = (error: unknown) => (isConnectionFailure(error) && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(error) : error);

/** A Queryable over a pool or a checked-out client; `broken()` says whether that client's connection already failed. */
function queryable(client: pg.Pool | pg.PoolClient, broken: () => Error | undefined = () => undefined): Queryable {
  const run = async (sql: string, params?: readonly unknown[]) => {
    const failed = broken();
    if (failed) throw new DatabaseUnavailableError(failed);
    try {
      return await client.query(sql, params as unknown[] | undefined);
    } catch (error) {
      throw asUnavailable(broken() ? new DatabaseUnavailableError(error) : error);
    }
  };
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await run(sql, params);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string) {
      await run(sql);
    },
  };
}

/**
 * A real PostgreSQL server through a `pg` pool; every session runs in UTC. A connection that fails
 * never takes the process down: every pooled client has an `error` listener from the moment it
 * connects (pg-pool only listens while a client is idle, and an `error` event nobody listens to is an
 * uncaught exception), and the statement or transaction that was using it fails with
 * DatabaseUnavailableError, which services answer as UNAVAILABLE.
 */
export async function createPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'switchyard',
    options: '-c TimeZone=UTC',
    types: typeParsers,
  });
  const reported = new WeakSet<Error>();
  const report = (error: Error) => {
    if (reported.has(error)) return;
    reported.add(error);
    try {
      options.onConnectionError?.(error);
    } catch {
      // A logging hook must not turn a handled connection failure into a crash.
    }
  };
  pool.on('connect', (client) => client.on('error', report));
  // pg-pool re-emits an idle client's error here; without a listener that would be an uncaught exception.
  pool.on('error', report);
  const root = queryable(pool);
  await root.query('SELECT 1');
  return {
    kind: 'postgres',
    query: root.query,
    exec: root.exec,
    transaction: (fn) =>
      withTransactionRetry(async () => {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (error) {
          throw asUnavailable(error);
        }
        // Set by the client's 'error' event (emitted before its pending query rejects): this connection is gone.
        let connectionError: Error | undefined;
        const onError = (error: Error) => (connectionError ??= error);
        client.on('error', onError);
        try {
          const tx = queryable(client, () => connectionError);
          await tx.query('BEGIN');
          const result = await fn(tx);
          await tx.query('COMMIT');
          return result;
        } catch (error) {
          if (!connectionError) await client.query('ROLLBACK').catch(() => undefined);
          throw connectionError && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(connectionError) : error;
        } finally {
          client.off('error', onError);
          // Releasing with the error destroys the connection instead of returning it to the pool.
          client.release(connectionError);
        }
      }),
    close: () => pool.end(),
  };
}
