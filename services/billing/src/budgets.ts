import { randomUUID } from 'node:crypto';
import { billing } from '@switchyard/contracts';
import { withTransactionRetry, type Database, type Queryable } from '@switchyard/database';
import { formatNanosAsUsd } from '@switchyard/pricing';
import { BudgetExhaustedError, ConflictingDuplicateError, InvalidFieldError, NotFoundError, RequestAlreadyServedError, type BudgetViolation } from './billing-errors';
import { isSupportedPeriod, periodEnd, periodName, type SupportedPeriod } from './budget-period';
import { decodePageToken, encodePageToken, queryFingerprint, resolvePageSize } from './page-token';
import type { TeamDirectory } from './teams';

/** A budget with its use in the current period. */
export interface BudgetStatus {
  teamId: string;
  project: string;
  period: SupportedPeriod;
  limitNanos: bigint;
  spentNanos: bigint;
  reservedNanos: bigint;
  /** limit − spent − reserved; negative after an over-spend by actual costs. */
  remainingNanos: bigint;
  periodStart: Date;
}

/** A granted hold. */
export interface Reservation {
  reservationId: string;
  expireTime: Date;
  /** Smallest remaining amount over the budgets held, after this hold; -1 when no budget applies. */
  remainingNanos: bigint;
}

/** Budgets and holds. */
export interface Budgets {
  /** Creates or replaces the budget of a team (project '') or of one of its projects. */
  setBudget(input: { teamId: string; project: string; period: number; limitNanos: bigint }): Promise<BudgetStatus>;
  /** The budget and its use in the current period, or undefined. */
  getBudget(input: { teamId: string; project: string }): Promise<BudgetStatus | undefined>;
  /**
   * A page of budgets with their use in the current period, ordered by team then project (bytewise).
   * `teamId` / `project` undefined means every team / every project.
   */
  listBudgets(input: { teamId?: string; project?: string; pageSize: number; pageToken: string }): Promise<{ budgets: BudgetStatus[]; nextPageToken: string }>;
  /**
   * Removes a budget and returns it as it was (NotFoundError when there is none). The ledger is
   * untouched; the budget's per-period counters go, and open holds stop counting against it (see
   * docs/billing.md, "Listing and deleting budgets").
   */
  deleteBudget(input: { teamId: string; project: string }): Promise<BudgetStatus>;
  /**
   * Atomically holds `amountNanos` against every budget that applies (the team's, and the
   * project's if set) or none: throws BudgetExhaustedError when any would go below zero.
   * Idempotent by request id. Throws RequestAlreadyServedError when the ledger already holds a
   * successful row of this team under the request id (the request was served; see docs/billing.md).
   */
  reserve(input: { requestId: string; teamId: string; project: string; amountNanos: bigint; ttlMs?: number }): Promise<Reservation>;
  /**
   * Replaces a hold with the actual cost. Idempotent: a hold already settled, recorded or expired
   * changes nothing. Also says whose hold it was (team and project), for the call's span.
   */
  settle(input: { reservationId: string; actualNanos: bigint }): Promise<{ remainingNanos: bigint; settledNow: boolean; teamId: string; project: string }>;
  /** Releases holds past their expiry (at most `limit` per call); returns how many. Safe to run on every replica at once. */
  releaseExpiredHolds(options?: { teamId?: string; limit?: number }): Promise<number>;
}

/** Options for createBudgets. */
export interface BudgetsOptions {
  database: Database;
  teams: TeamDirectory;
  /** Clock, for tests. Replicas' clocks should be NTP-synced: periods and expiry use it. */
  now?: () => Date;
  /** Hold lifetime when a request gives none, ms; default 10 minutes. */
  defaultTtlMs?: number;
}

/** Largest budget or hold: $1,000,000,000. */
export const MAX_BUDGET_NANOS = 1_000_000_000n * 1_000_000_000n;
const MIN_TTL_MS = 1000;
const MAX_TTL_MS = 24 * 3600_000;

/** A hold as billing_reserve returns it (a new one, or the one already made under the request id). */
interface HoldRow {
  result: 'granted' | 'existing';
  hold_id: string;
  hold_team_id: string;
  hold_project: string;
  hold_amount_nanos: bigint;
  hold_expires_at: Date;
  remaining_nanos: bigint;
}

/** A budget that applied to a refused hold, as billing_reserve saw it (locked). */
interface ExhaustedRow {
  result: 'exhausted';
  budget_project: string;
  budget_period: number;
  budget_limit_nanos: bigint;
  budget_spent_nanos: bigint;
  budget_reserved_nanos: bigint;
  budget_period_start: Date;
}

/** A row of billing_reserve (migration 0002); the columns of the other outcomes are NULL. */
type ReserveRow = HoldRow | ExhaustedRow | { result: 'served'; served_at: Date };

const RESERVE_SQL = 'SELECT * FROM billing_reserve($1, $2, $3, $4, $5::bigint, $6::timestamptz, $7::timestamptz, $8::smallint)';
const SETTLE_SQL = 'SELECT result, hold_team_id, hold_project, remaining_nanos FROM billing_settle($1, $2::bigint, $3::timestamptz)';
const RELEASE_SQL = 'SELECT billing_release_expired_holds($1::text, $2::integer, $3::timestamptz) AS released';

const subjectOf = (teamId: string, project: string) => (project ? `team:${teamId}/project:${project}` : `team:${teamId}`);

/** A budget row with its current-period use, as BUDGET_STATUS_SQL returns it. */
interface BudgetStatusRow {
  team_id: string;
  project: string;
  period: number;
  limit_nanos: bigint;
  spent_nanos: bigint;
  reserved_nanos: bigint;
  period_start: Date;
}

/**
 * Budgets with their use in the period containing $1. A budget without a budget_usage row this period
 * has held nothing yet, and has spent what the ledger holds for it (what billing_ensure_budget_usage
 * would start the row with). Callers append a WHERE on `b` (and, for a page, an ORDER BY and a LIMIT).
 */
const BUDGET_STATUS_SQL = `
  SELECT b.team_id, b.project, b.period, b.limit_nanos, p.start AS period_start,
         COALESCE(u.spent_nanos, (SELECT COALESCE(SUM(l.cost_nanos), 0) FROM usage_ledger l
                                  WHERE l.team_id = b.team_id AND (b.project = '' OR l.project = b.project)
                                    AND l.time >= p.start AND l.time < billing_period_end(b.period, p.start)))::bigint AS spent_nanos,
         COALESCE(u.reserved_nanos, 0)::bigint AS reserved_nanos
  FROM budgets b
  CROSS JOIN LATERAL (SELECT billing_period_start(b.period, $1::timestamptz) AS start) AS p
  LEFT JOIN budget_usage u ON u.team_id = b.team_id AND u.project = b.project AND u.period_start = p.start`;

/** A budget's state from its stored figures; remaining is derived (limit − spent − reserved). */
function statusOfRow(row: BudgetStatusRow): BudgetStatus {
  return {
    teamId: row.team_id,
    project: row.project,
    period: Number(row.period) as SupportedPeriod,
    limitNanos: row.limit_nanos,
    spentNanos: row.spent_nanos,
    reservedNanos: row.reserved_nanos,
    remainingNanos: row.limit_nanos - row.spent_nanos - row.reserved_nanos,
    periodStart: row.period_start,
  };
}

/**
 * Detaches a deleted budget from the holds still open against it (held, or settled and awaiting their
 * usage row), locked in the global order: their settle, expiry or usage row then changes no counter, so
 * a budget set again later starts from the ledger and is not charged for holds it never granted.
 */
const DETACH_TEAM_HOLDS_SQL = `
  UPDATE reservations r SET team_period_start = NULL
  FROM (SELECT reservation_id FROM reservations
        WHERE team_id = $1 AND status IN ('held', 'settled') AND team_period_start IS NOT NULL
        ORDER BY reservation_id COLLATE "C" FOR UPDATE) AS k
  WHERE r.reservation_id = k.reservation_id`;
const DETACH_PROJECT_HOLDS_SQL = `
  UPDATE reservations r SET project_period_start = NULL
  FROM (SELECT reservation_id FROM reservations
        WHERE team_id = $1 AND project = $2 AND status IN ('held', 'settled') AND project_period_start IS NOT NULL
        ORDER BY reservation_id COLLATE "C" FOR UPDATE) AS k
  WHERE r.reservation_id = k.reservation_id`;

/** The budgets of a refused hold as billing_reserve saw them, locked, at the moment of refusal. */
function exhaustedStatuses(teamId: string, rows: readonly ExhaustedRow[]): BudgetStatus[] {
  return rows.map((row) =>
    statusOfRow({
      team_id: teamId,
      project: row.budget_project,
      period: row.budget_period,
      limit_nanos: row.budget_limit_nanos,
      spent_nanos: row.budget_spent_nanos,
      reserved_nanos: row.budget_reserved_nanos,
      period_start: row.budget_period_start,
    }),
  );
}

/** Creates budgets over the budgets, budget_usage and reservations tables. */
export function createBudgets(options: BudgetsOptions): Budgets {
  const { database, teams } = options;
  const now = options.now ?? (() => new Date());
  const defaultTtlMs = options.defaultTtlMs ?? 10 * 60_000;

  const requireTeam = async (teamId: string, field = 'team_id') => {
    if (!teamId) throw new InvalidFieldError(field, 'must be set');
    if (!(await teams.get(teamId))) throw new InvalidFieldError(field, `unknown team "${teamId}"`);
  };

  const statusOf = async (tx: Queryable, teamId: string, project: string): Promise<BudgetStatus | undefined> => {
    const { rows } = await tx.query<BudgetStatusRow>(`${BUDGET_STATUS_SQL} WHERE b.team_id = $2 AND b.project = $3`, [now(), teamId, project]);
    return rows.length > 0 ? statusOfRow(rows[0]) : undefined;
  };

  const releaseExpiredHolds: Budgets['releaseExpiredHolds'] = async ({ teamId, limit = 500 } = {}) => {
    const { rows } = await withTransactionRetry(() => database.query<{ released: number }>(RELEASE_SQL, [teamId ?? null, limit, now()]));
    return Number(rows[0].released);
  };

  /** The error for a refused hold: every budget it did not fit, as billing_reserve saw them. */
  const exhaustedError = (teamId: string, project: string, amount: bigint, budgets: readonly BudgetStatus[]): BudgetExhaustedError => {
    const violations: BudgetViolation[] = [];
    const metadata: Record<string, string> = { team_id: teamId, requested_nanos_usd: amount.toString() };
    for (const status of budgets.filter((b) => b.remainingNanos < amount)) {
      violations.push({
        subject: subjectOf(teamId, status.project),
        description:
          `budget of $${formatNanosAsUsd(status.limitNanos)} per ${periodName(status.period)}: spent $${formatNanosAsUsd(status.spentNanos)}, ` +
          `held $${formatNanosAsUsd(status.reservedNanos)}, remaining $${formatNanosAsUsd(status.remainingNanos)}; requested $${formatNanosAsUsd(amount)}`,
      });
      metadata[status.project ? 'project_remaining_nanos_usd' : 'team_remaining_nanos_usd'] = status.remainingNanos.toString();
      metadata.period_end = periodEnd(status.period, status.periodStart).toISOString();
    }
    if (project) metadata.project = project;
    return new BudgetExhaustedError(`budget exhausted for ${violations.map((v) => v.subject).join(', ')}: ${violations[0].description}`, violations, metadata);
  };

  const holdOf = (row: HoldRow): Reservation => ({ reservationId: row.hold_id, expireTime: row.hold_expires_at, remainingNanos: row.remaining_nanos });

  /** An existing hold under the request id answers a retry, if the retry asks for the same thing. */
  const existingHold = (input: { requestId: string; teamId: string; project: string; amountNanos: bigint }, row: HoldRow): Reservation => {
    if (row.hold_team_id !== input.teamId || row.hold_project !== input.project || row.hold_amount_nanos !== input.amountNanos) {
      throw new ConflictingDuplicateError(
        `request id ${input.requestId} already holds $${formatNanosAsUsd(row.hold_amount_nanos)} for ${subjectOf(row.hold_team_id, row.hold_project)}; a retry must repeat the same team, project and amount`,
      );
    }
    return holdOf(row);
  };

  return {
    async setBudget({ teamId, project, period, limitNanos }) {
      await requireTeam(teamId);
      if (project.length > 128) throw new InvalidFieldError('project', 'must be at most 128 characters');
      if (!isSupportedPeriod(period)) throw new InvalidFieldError('period', 'must be BUDGET_PERIOD_DAY or BUDGET_PERIOD_MONTH');
      if (limitNanos <= 0n) throw new InvalidFieldError('limit_nanos_usd', 'must be positive');
      if (limitNanos > MAX_BUDGET_NANOS) throw new InvalidFieldError('limit_nanos_usd', `must be at most ${MAX_BUDGET_NANOS} ($1,000,000,000)`);
      await database.query(
        `INSERT INTO budgets (team_id, project, period, limit_nanos) VALUES ($1, $2, $3, $4)
         ON CONFLICT (team_id, project) DO UPDATE SET period = EXCLUDED.period, limit_nanos = EXCLUDED.limit_nanos, updated_at = now()`,
        [teamId, project, period, limitNanos.toString()],
      );
      const status = await statusOf(database, teamId, project);
      if (!status) throw new Error(`budget of ${subjectOf(teamId, project)} vanished right after it was set`);
      return status;
    },

    async getBudget({ teamId, project }) {
      await requireTeam(teamId);
      await releaseExpiredHolds({ teamId });
      return statusOf(database, teamId, project);
    },

    async listBudgets({ teamId, project, pageSize, pageToken }) {
      const size = resolvePageSize(pageSize);
      if (teamId !== undefined) await requireTeam(teamId);
      const fingerprint = queryFingerprint({ list: 'budgets', teamId: teamId ?? null, project: project ?? null });
      const cursor = decodePageToken(pageToken, fingerprint);
      if (cursor && cursor.after.length !== 2) throw new InvalidFieldError('page_token', 'is not a token this service issued');
      // Held amounts are only as current as the expired holds released (at most a bounded batch per call).
      await releaseExpiredHolds({ teamId });
      const { rows } = await database.query<BudgetStatusRow>(
        `${BUDGET_STATUS_SQL}
         WHERE ($2::text IS NULL OR b.team_id = $2) AND ($3::text IS NULL OR b.project = $3)
           AND ($4::text IS NULL OR b.team_id COLLATE "C" > $4 OR (b.team_id = $4 AND b.project COLLATE "C" > $5))
         ORDER BY b.team_id COLLATE "C", b.project COLLATE "C" LIMIT $6`,
        [now(), teamId ?? null, project ?? null, cursor?.after[0] ?? null, cursor?.after[1] ?? null, size + 1],
      );
      const page = rows.slice(0, size).map(statusOfRow);
      const last = page[page.length - 1];
      const nextPageToken = rows.length > size ? encodePageToken({ query: fingerprint, after: [last.teamId, last.project] }) : '';
      return { budgets: page, nextPageToken };
    },

    async deleteBudget({ teamId, project }) {
      await requireTeam(teamId);
      return database.transaction(async (tx) => {
        const missing = () => new NotFoundError(`budget of ${subjectOf(teamId, project)} does not exist`, 'BUDGET_NOT_FOUND');
        const status = await statusOf(tx, teamId, project);
        if (!status) throw missing();
        // Another DeleteBudget may have committed since the read above: then this one deleted nothing.
        const deleted = await tx.query('DELETE FROM budgets WHERE team_id = $1 AND project = $2 RETURNING team_id', [teamId, project]);
        if (deleted.rows.length === 0) throw missing();
        const [detach, params] = project ? [DETACH_PROJECT_HOLDS_SQL, [teamId, project]] : [DETACH_TEAM_HOLDS_SQL, [teamId]];
        await tx.query(detach, params);
        // Waits for a ReserveBudget that has these rows locked; the holds it granted are detached next.
        await tx.query('DELETE FROM budget_usage WHERE team_id = $1 AND project = $2', [teamId, project]);
        await tx.query(detach, params);
        return status;
      });
    },

    async reserve({ requestId, teamId, project, amountNanos, ttlMs }) {
      if (!requestId) throw new InvalidFieldError('request_id', 'must be set (it makes the hold idempotent)');
      if (requestId.length > 128) throw new InvalidFieldError('request_id', 'must be at most 128 characters');
      await requireTeam(teamId);
      if (project.length > 128) throw new InvalidFieldError('project', 'must be at most 128 characters');
      if (amountNanos <= 0n) throw new InvalidFieldError('amount_nanos_usd', 'must be positive');
      if (amountNanos > MAX_BUDGET_NANOS) throw new InvalidFieldError('amount_nanos_usd', 'is absurdly large');
      const ttl = ttlMs ?? defaultTtlMs;
      if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) throw new InvalidFieldError('ttl', 'must be between 1 second and 24 hours');
      const input = { requestId, teamId, project, amountNanos };

      // One statement does it all (billing_reserve, migration 0002); the only second round trip is after
      // a refusal, when expired holds of the team are released and the hold is tried once more.
      for (let attempt = 0; ; attempt++) {
        const at = now();
        const params = [`rsv_${randomUUID()}`, requestId, teamId, project, amountNanos.toString(), at, new Date(at.getTime() + ttl), billing.UsageOutcome.SUCCESS];
        const { rows } = await withTransactionRetry(() => database.query<ReserveRow>(RESERVE_SQL, params));
        const [row] = rows;
        switch (row.result) {
          case 'served':
            throw new RequestAlreadyServedError(requestId, teamId, row.served_at);
          case 'existing':
            return existingHold(input, row);
          case 'granted':
            return holdOf(row);
          case 'exhausted':
            // Expired holds are released lazily: only when they stand in the way, then try once more.
            if (attempt === 0 && (await releaseExpiredHolds({ teamId })) > 0) continue;
            throw exhaustedError(teamId, project, amountNanos, exhaustedStatuses(teamId, rows as ExhaustedRow[]));
        }
      }
    },

    async settle({ reservationId, actualNanos }) {
      if (!reservationId) throw new InvalidFieldError('reservation_id', 'must be set');
      if (actualNanos < 0n) throw new InvalidFieldError('actual_nanos_usd', 'must not be negative');
      if (actualNanos > MAX_BUDGET_NANOS) throw new InvalidFieldError('actual_nanos_usd', 'is absurdly large');
      const { rows } = await withTransactionRetry(() =>
        database.query<{ result: 'settled' | 'expired' | 'unchanged'; hold_team_id: string; hold_project: string; remaining_nanos: bigint }>(SETTLE_SQL, [
          reservationId,
          actualNanos.toString(),
          now(),
        ]),
      );
      const [row] = rows;
      if (!row) throw new NotFoundError(`reservation ${reservationId} does not exist`, 'RESERVATION_NOT_FOUND');
      return { remainingNanos: row.remaining_nanos, settledNow: row.result === 'settled', teamId: row.hold_team_id, project: row.hold_project };
    },

    releaseExpiredHolds,
  };
}
