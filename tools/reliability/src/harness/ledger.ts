// The ledger as the database holds it: the scenarios compare it with what clients were served,
// request id by request id, without going through the service under test.
import pg from 'pg';

/** One ledger row, as much as the scenarios look at. */
export interface LedgerRow {
  requestId: string;
  teamId: string;
  costNanos: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  /** billing.v1.UsageOutcome number. */
  outcome: number;
  /** Empty for a request admitted under a budget lease (or served unchecked while billing was unreachable). */
  reservationId: string;
  /** The caller's `context.end_user_id`: how a scenario labels calls it sends without a request id. */
  endUserId: string;
  /** When billing committed the row (PostgreSQL's clock: the machine's). */
  recordedAt: Date;
}

/**
 * Which column a scenario's call label is in: the request id it sent, or — for calls sent without one,
 * whose id the router makes up — the end-user id it sent.
 */
export type LedgerKey = 'requestId' | 'endUserId';

/** How the ledger accounts for a set of request ids. */
export interface LedgerReconciliation {
  /** Request ids with exactly one row (a row under a derived `id~hash` id counts for its id). */
  once: string[];
  /** Request ids with no row. */
  missing: string[];
  /** Request ids with more than one row. */
  duplicated: string[];
}

/** A budget lease as billing holds it: a reservation under the router-made id `lease:<router instance>:<n>`. */
export interface LeaseReservation {
  requestId: string;
  /** The router process (one incarnation) that took it. */
  instance: string;
  status: 'held' | 'settled' | 'expired' | 'recorded';
  amountNanos: bigint;
  /** What SettleBudget said was used (0 for a returned lease); undefined until settled. */
  actualNanos?: bigint;
  createdAt: Date;
  expiresAt: Date;
  /** When it was settled (returned); undefined while held or after it expired. */
  settledAt?: Date;
}

/** A hold billing still counts as reserved. */
export interface HeldReservation {
  requestId: string;
  amountNanos: bigint;
  /** A budget lease (`lease:` id), not a per-request hold. */
  lease: boolean;
}

/** Budget counters of a team's current period. */
export interface BudgetCounters {
  limitNanos: bigint;
  spentNanos: bigint;
  reservedNanos: bigint;
}

/** Reads usage and budgets from billing's PostgreSQL database. */
export interface LedgerReader {
  /** Every ledger row of a team (all teams when omitted). */
  rows(teamId?: string): Promise<LedgerRow[]>;
  /**
   * Rows per label for `labels`, read from the `key` column (default the request id; a derived id
   * `<id>~<hash>`, written on an id conflict, counts for `<id>`).
   */
  reconcile(labels: readonly string[], teamId?: string, key?: LedgerKey): Promise<LedgerReconciliation>;
  /** The team's budget counters for its current period, if it has a budget. */
  budget(teamId: string): Promise<BudgetCounters | undefined>;
  /** Reservations by status for a team. */
  reservations(teamId: string): Promise<Record<string, number>>;
  /** The team's budget leases, oldest first. */
  leases(teamId: string): Promise<LeaseReservation[]>;
  /** The team's reservations still held (leases and per-request holds). */
  held(teamId: string): Promise<HeldReservation[]>;
  /** Waits until `predicate(rows)` holds or `timeoutMs` passes; returns the last rows read. */
  waitFor(teamId: string, predicate: (rows: LedgerRow[]) => boolean, timeoutMs: number): Promise<LedgerRow[]>;
  close(): Promise<void>;
}

interface RawRow {
  request_id: string;
  team_id: string;
  cost_nanos: string;
  input_tokens: string;
  output_tokens: string;
  outcome: number;
  reservation_id: string;
  end_user_id: string;
  recorded_at: Date;
}

/** The request id a ledger row stands for (a derived conflict id `<id>~<hash>` stands for `<id>`). */
export function servedRequestId(ledgerRequestId: string): string {
  const tilde = ledgerRequestId.lastIndexOf('~');
  return tilde > 0 ? ledgerRequestId.slice(0, tilde) : ledgerRequestId;
}

/** The label of a ledger row under `key`. */
export function ledgerLabel(row: LedgerRow, key: LedgerKey): string {
  return key === 'requestId' ? servedRequestId(row.requestId) : row.endUserId;
}

const LEASE_ID = /^lease:([^:]+):\d+$/;

/** Opens a small pool on the database at `url`. */
export function createLedgerReader(url: string): LedgerReader {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const rows = async (teamId?: string): Promise<LedgerRow[]> => {
    const result = await pool.query<RawRow>(
      `SELECT request_id, team_id, cost_nanos::text, input_tokens::text, output_tokens::text, outcome, reservation_id, end_user_id, recorded_at
         FROM usage_ledger ${teamId ? 'WHERE team_id = $1' : ''} ORDER BY request_id`,
      teamId ? [teamId] : [],
    );
    return result.rows.map((r) => ({
      requestId: r.request_id,
      teamId: r.team_id,
      costNanos: BigInt(r.cost_nanos),
      inputTokens: BigInt(r.input_tokens),
      outputTokens: BigInt(r.output_tokens),
      outcome: r.outcome,
      reservationId: r.reservation_id,
      endUserId: r.end_user_id,
      recordedAt: r.recorded_at,
    }));
  };
  return {
    rows,
    async reconcile(labels, teamId, key = 'requestId') {
      const counts = new Map<string, number>();
      for (const row of await rows(teamId)) {
        const label = ledgerLabel(row, key);
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      const result: LedgerReconciliation = { once: [], missing: [], duplicated: [] };
      for (const id of labels) {
        const n = counts.get(id) ?? 0;
        (n === 0 ? result.missing : n === 1 ? result.once : result.duplicated).push(id);
      }
      return result;
    },
    async budget(teamId) {
      const result = await pool.query<{ limit_nanos: string; spent: string; reserved: string }>(
        `SELECT b.limit_nanos::text, u.spent_nanos::text AS spent, u.reserved_nanos::text AS reserved
           FROM budgets b JOIN budget_usage u ON u.team_id = b.team_id AND u.project = b.project
          WHERE b.team_id = $1 AND b.project = '' ORDER BY u.period_start DESC LIMIT 1`,
        [teamId],
      );
      const row = result.rows[0];
      return row ? { limitNanos: BigInt(row.limit_nanos), spentNanos: BigInt(row.spent), reservedNanos: BigInt(row.reserved) } : undefined;
    },
    async reservations(teamId) {
      const result = await pool.query<{ status: string; n: string }>(`SELECT status, count(*)::text AS n FROM reservations WHERE team_id = $1 GROUP BY status`, [teamId]);
      return Object.fromEntries(result.rows.map((r) => [r.status, Number(r.n)]));
    },
    async leases(teamId) {
      const result = await pool.query<{
        request_id: string;
        status: LeaseReservation['status'];
        amount: string;
        actual: string | null;
        created_at: Date;
        expires_at: Date;
        settled_at: Date | null;
      }>(
        `SELECT request_id, status, amount_nanos::text AS amount, actual_nanos::text AS actual, created_at, expires_at, settled_at
           FROM reservations WHERE team_id = $1 AND request_id LIKE 'lease:%' ORDER BY created_at, request_id`,
        [teamId],
      );
      return result.rows.map((r) => ({
        requestId: r.request_id,
        instance: LEASE_ID.exec(r.request_id)?.[1] ?? '',
        status: r.status,
        amountNanos: BigInt(r.amount),
        ...(r.actual === null ? {} : { actualNanos: BigInt(r.actual) }),
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        ...(r.settled_at === null ? {} : { settledAt: r.settled_at }),
      }));
    },
    async held(teamId) {
      const result = await pool.query<{ request_id: string; amount: string }>(
        `SELECT request_id, amount_nanos::text AS amount FROM reservations WHERE team_id = $1 AND status = 'held' ORDER BY request_id`,
        [teamId],
      );
      return result.rows.map((r) => ({ requestId: r.request_id, amountNanos: BigInt(r.amount), lease: LEASE_ID.test(r.request_id) }));
    },
    async waitFor(teamId, predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = await rows(teamId);
      while (!predicate(last) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        last = await rows(teamId);
      }
      return last;
    },
    close: () => pool.end(),
  };
}
