/** The result of one statement: rows (RETURNING or SELECT) and how many rows it touched. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Something statements can run on: the database itself or an open transaction. */
export interface Queryable {
  /** One parameterized statement ($1, $2, ...). int8 columns come back as bigint, numeric as string. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The small database surface the services need, implemented over embedded PGlite and over a real
 * PostgreSQL pool with the same SQL. Transactions run in READ COMMITTED (PostgreSQL's default).
 */
export interface Database extends Queryable {
  /** Which engine this is. */
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. On a
   * deadlock or serialization failure the whole transaction is retried (a few times), so `fn` must
   * have no side effects outside the database.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the database (PGlite) or the pool (PostgreSQL). */
  close(): Promise<void>;
}

/**
 * The database could not be reached, or dropped the connection in the middle of a statement (reset,
 * server shutdown, too many clients). Nothing about the request is wrong: the caller should retry,
 * and a service answers it as gRPC UNAVAILABLE. A transaction that failed this way was rolled back,
 * except when the connection broke during COMMIT, where it may have committed: a retry is safe
 * only for writes that are idempotent (as billing's and the evaluator's are).
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** SQLSTATE codes after which a transaction may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** The SQLSTATE of a database error, if it carries one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Runs a transaction attempt again after a retryable failure, up to `attempts` times, with a short jittered pause. */
export async function withTransactionRetry<T>(attempt: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= attempts || !RETRYABLE_SQLSTATES.has(sqlState(error) ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10 * i));
    }
  }
}
