import { randomUUID } from 'node:crypto';
import { formatNanosAsUsd } from '@switchyard/pricing';
import type { Database, Queryable } from './database';
import { billing } from '@switchyard/contracts';
import { BudgetExhaustedError, ConflictingDuplicateError, InvalidFieldError, NotFoundError, RequestAlreadyServedError, type BudgetViolation } from './billing-errors';
import { applyBudgetDeltas, ensureBudgetUsageRows, usageKeyFor, type BudgetRule, type BudgetUsageDelta } from './budget-accounting';
import { isSupportedPeriod, periodEnd, periodName, periodStart, type SupportedPeriod } from './budget-period';
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

interface ReservationRow {
  reservation_id: string;
  request_id: string;
  team_id: string;
  project: string;
  amount_nanos: bigint;
  actual_nanos: bigint | null;
  status: string;
  expires_at: Date;
  team_period_start: Date | null;
  project_period_start: Date | null;
}

const subjectOf = (teamId: string, project: string) => (project ? `team:${teamId}/project:${project}` : `team:${teamId}`);

async function loadRules(tx: Queryable, teamId: string, project: string): Promise<BudgetRule[]> {
  const { rows } = await tx.query<{ project: string; period: number; limit_nanos: bigint }>(
    `SELECT project, period, limit_nanos FROM budgets WHERE team_id = $1 AND (project = '' OR project = $2) ORDER BY project COLLATE "C"`,
    [teamId, project],
  );
  return rows.map((row) => ({ teamId, project: row.project, period: Number(row.period) as SupportedPeriod, limitNanos: row.limit_nanos }));
}

/** The held budget_usage rows of a reservation. */
function heldKeys(row: ReservationRow): Array<{ teamId: string; project: string; periodStart: Date }> {
  const keys: Array<{ teamId: string; project: string; periodStart: Date }> = [];
  if (row.team_period_start) keys.push({ teamId: row.team_id, project: '', periodStart: row.team_period_start });
  if (row.project_period_start) keys.push({ teamId: row.team_id, project: row.project, periodStart: row.project_period_start });
  return keys;
}

/** Smallest limit − spent − reserved over the given rows, or -1 when there are none. */
async function remainingOver(tx: Queryable, keys: ReadonlyArray<{ teamId: string; project: string; periodStart: Date }>): Promise<bigint> {
  if (keys.length === 0) return -1n;
  const { rows } = await tx.query<{ remaining: bigint }>(
    `SELECT b.limit_nanos - u.spent_nanos - u.reserved_nanos AS remaining
     FROM budget_usage u JOIN budgets b ON b.team_id = u.team_id AND b.project = u.project
     JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(team_id, project, period_start)
       ON u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start`,
    [keys.map((k) => k.teamId), keys.map((k) => k.project), keys.map((k) => k.periodStart.toISOString())],
  );
  if (rows.length === 0) return -1n;
  return rows.reduce((min, row) => (row.remaining < min ? row.remaining : min), rows[0].remaining);
}

/** Marker used to roll back a reservation transaction that lost a race to an identical request. */
class ConcurrentDuplicate extends Error {}

/** Marker used to roll back a reservation transaction whose hold did not fit (earlier holds undone too). */
class HoldDoesNotFit extends Error {
  constructor(readonly rules: BudgetRule[]) {
    super('hold does not fit');
  }
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
    const [rule] = (await loadRules(tx, teamId, project)).filter((r) => r.project === project);
    if (!rule) return undefined;
    const start = periodStart(rule.period, now());
    const usage = await tx.query<{ spent_nanos: bigint; reserved_nanos: bigint }>(
      'SELECT spent_nanos, reserved_nanos FROM budget_usage WHERE team_id = $1 AND project = $2 AND period_start = $3',
      [teamId, project, start],
    );
    let spent: bigint;
    let reserved = 0n;
    if (usage.rows.length > 0) {
      spent = usage.rows[0].spent_nanos;
      reserved = usage.rows[0].reserved_nanos;
    } else {
      // No row yet this period: what the ledger holds is what a new row would start with.
      const sum = await tx.query<{ spent: string }>(
        `SELECT COALESCE(SUM(cost_nanos), 0)::text AS spent FROM usage_ledger
         WHERE team_id = $1 AND ($2 = '' OR project = $2) AND time >= $3 AND time < $4`,
        [teamId, project, start, periodEnd(rule.period, start)],
      );
      spent = BigInt(sum.rows[0].spent);
    }
    return { teamId, project, period: rule.period, limitNanos: rule.limitNanos, spentNanos: spent, reservedNanos: reserved, remainingNanos: rule.limitNanos - spent - reserved, periodStart: start };
  };

  const releaseExpiredHolds: Budgets['releaseExpiredHolds'] = async ({ teamId, limit = 500 } = {}) =>
    database.transaction(async (tx) => {
      // SKIP LOCKED: holds another replica is releasing (or settling) right now are left to it.
      const { rows } = await tx.query<ReservationRow>(
        `SELECT reservation_id, request_id, team_id, project, amount_nanos, actual_nanos, status, expires_at, team_period_start, project_period_start
         FROM reservations WHERE status = 'held' AND expires_at <= $1 AND ($2::text IS NULL OR team_id = $2)
         ORDER BY reservation_id COLLATE "C" LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [now(), teamId ?? null, limit],
      );
      if (rows.length === 0) return 0;
      await tx.query(`UPDATE reservations SET status = 'expired' WHERE reservation_id = ANY($1::text[]) AND status = 'held'`, [rows.map((r) => r.reservation_id)]);
      await applyBudgetDeltas(tx, rows.flatMap((row) => heldKeys(row).map((key) => ({ ...key, spentNanos: 0n, reservedNanos: -row.amount_nanos }))));
      return rows.length;
    });

  const exhaustedError = async (teamId: string, project: string, amount: bigint, rules: BudgetRule[]): Promise<BudgetExhaustedError> => {
    const violations: BudgetViolation[] = [];
    const metadata: Record<string, string> = { team_id: teamId, requested_nanos_usd: amount.toString() };
    for (const rule of rules) {
      const status = await statusOf(database, teamId, rule.project);
      if (!status || status.remainingNanos >= amount) continue;
      violations.push({
        subject: subjectOf(teamId, rule.project),
        description:
          `budget of $${formatNanosAsUsd(status.limitNanos)} per ${periodName(rule.period)}: spent $${formatNanosAsUsd(status.spentNanos)}, ` +
          `held $${formatNanosAsUsd(status.reservedNanos)}, remaining $${formatNanosAsUsd(status.remainingNanos)}; requested $${formatNanosAsUsd(amount)}`,
      });
      metadata[rule.project ? 'project_remaining_nanos_usd' : 'team_remaining_nanos_usd'] = status.remainingNanos.toString();
      metadata.period_end = periodEnd(rule.period, status.periodStart).toISOString();
    }
    if (violations.length === 0) violations.push({ subject: subjectOf(teamId, project), description: `a hold of $${formatNanosAsUsd(amount)} does not fit the remaining budget` });
    if (project) metadata.project = project;
    return new BudgetExhaustedError(`budget exhausted for ${violations.map((v) => v.subject).join(', ')}: ${violations[0].description}`, violations, metadata);
  };

  const tryReserve = async (input: { requestId: string; teamId: string; project: string; amountNanos: bigint; expireTime: Date }) =>
    database.transaction(async (tx): Promise<Reservation> => {
      const at = now();
      const rules = await loadRules(tx, input.teamId, input.project);
      const keys = rules.map((rule) => usageKeyFor(rule, at));
      await ensureBudgetUsageRows(tx, keys);
      let remaining = -1n;
      // The check-and-hold: one conditional UPDATE per budget row, in the global lock order (team row first).
      for (const [i, key] of keys.entries()) {
        const { rows } = await tx.query<{ remaining: bigint }>(
          `UPDATE budget_usage u SET reserved_nanos = u.reserved_nanos + $4
           FROM budgets b
           WHERE u.team_id = $1 AND u.project = $2 AND u.period_start = $3
             AND b.team_id = u.team_id AND b.project = u.project
             AND b.limit_nanos - u.spent_nanos - u.reserved_nanos >= $4
           RETURNING b.limit_nanos - u.spent_nanos - u.reserved_nanos AS remaining`,
          [key.teamId, key.project, key.periodStart, input.amountNanos.toString()],
        );
        if (rows.length === 0) throw new HoldDoesNotFit(rules.slice(i));
        remaining = remaining < 0n || rows[0].remaining < remaining ? rows[0].remaining : remaining;
      }
      const reservationId = `rsv_${randomUUID()}`;
      const teamKey = keys.find((k) => k.project === '');
      const projectKey = keys.find((k) => k.project !== '');
      const inserted = await tx.query(
        `INSERT INTO reservations (reservation_id, request_id, team_id, project, amount_nanos, team_period_start, project_period_start, status, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8, $9)
         ON CONFLICT (request_id) DO NOTHING RETURNING reservation_id`,
        [reservationId, input.requestId, input.teamId, input.project, input.amountNanos.toString(), teamKey?.periodStart ?? null, projectKey?.periodStart ?? null, at, input.expireTime],
      );
      if (inserted.rows.length === 0) throw new ConcurrentDuplicate();
      return { reservationId, expireTime: input.expireTime, remainingNanos: remaining };
    });

  const existingReservation = async (input: { requestId: string; teamId: string; project: string; amountNanos: bigint }): Promise<Reservation | undefined> => {
    // One round trip: the hold under this request id, and whether the request was already served (a
    // successful ledger row of the same team; another team's id is not this team's business).
    const { rows } = await database.query<Partial<ReservationRow> & { served_at: Date | null }>(
      `SELECT s.served_at, r.reservation_id, r.request_id, r.team_id, r.project, r.amount_nanos, r.actual_nanos, r.status, r.expires_at, r.team_period_start, r.project_period_start
       FROM (SELECT (SELECT recorded_at FROM usage_ledger WHERE request_id = $1 AND team_id = $2 AND outcome = $3) AS served_at) s
       LEFT JOIN reservations r ON r.request_id = $1`,
      [input.requestId, input.teamId, billing.UsageOutcome.SUCCESS],
    );
    const found = rows[0];
    if (found?.served_at) throw new RequestAlreadyServedError(input.requestId, input.teamId, found.served_at);
    if (!found?.reservation_id) return undefined;
    const row = found as ReservationRow;
    if (row.team_id !== input.teamId || row.project !== input.project || row.amount_nanos !== input.amountNanos) {
      throw new ConflictingDuplicateError(
        `request id ${input.requestId} already holds $${formatNanosAsUsd(row.amount_nanos)} for ${subjectOf(row.team_id, row.project)}; a retry must repeat the same team, project and amount`,
      );
    }
    return { reservationId: row.reservation_id, expireTime: row.expires_at, remainingNanos: await remainingOver(database, heldKeys(row)) };
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

      const existing = await existingReservation(input);
      if (existing) return existing;
      for (let attempt = 0; ; attempt++) {
        try {
          return await tryReserve({ ...input, expireTime: new Date(now().getTime() + ttl) });
        } catch (error) {
          const winner = error instanceof ConcurrentDuplicate ? await existingReservation(input) : undefined;
          if (winner) return winner;
          if (!(error instanceof HoldDoesNotFit)) throw error;
          // Expired holds are released lazily: only when they stand in the way, then try once more.
          if (attempt === 0 && (await releaseExpiredHolds({ teamId })) > 0) continue;
          throw await exhaustedError(teamId, project, amountNanos, error.rules);
        }
      }
    },

    async settle({ reservationId, actualNanos }) {
      if (!reservationId) throw new InvalidFieldError('reservation_id', 'must be set');
      if (actualNanos < 0n) throw new InvalidFieldError('actual_nanos_usd', 'must not be negative');
      if (actualNanos > MAX_BUDGET_NANOS) throw new InvalidFieldError('actual_nanos_usd', 'is absurdly large');
      return database.transaction(async (tx) => {
        const { rows } = await tx.query<ReservationRow>(
          `SELECT reservation_id, request_id, team_id, project, amount_nanos, actual_nanos, status, expires_at, team_period_start, project_period_start
           FROM reservations WHERE reservation_id = $1 FOR UPDATE`,
          [reservationId],
        );
        const row = rows[0];
        if (!row) throw new NotFoundError(`reservation ${reservationId} does not exist`);
        const keys = heldKeys(row);
        const owner = { teamId: row.team_id, project: row.project };
        if (row.status !== 'held') return { remainingNanos: await remainingOver(tx, keys), settledNow: false, ...owner };
        const at = now();
        let deltas: BudgetUsageDelta[];
        if (row.expires_at.getTime() <= at.getTime()) {
          // Past its expiry: release it as the sweep would; the usage row, when it comes, counts the cost.
          await tx.query(`UPDATE reservations SET status = 'expired' WHERE reservation_id = $1`, [reservationId]);
          deltas = keys.map((key) => ({ ...key, spentNanos: 0n, reservedNanos: -row.amount_nanos }));
          await applyBudgetDeltas(tx, deltas);
          return { remainingNanos: await remainingOver(tx, keys), settledNow: false, ...owner };
        }
        await tx.query(`UPDATE reservations SET status = 'settled', actual_nanos = $2, settled_at = $3 WHERE reservation_id = $1`, [reservationId, actualNanos.toString(), at]);
        deltas = keys.map((key) => ({ ...key, spentNanos: actualNanos, reservedNanos: -row.amount_nanos }));
        await applyBudgetDeltas(tx, deltas);
        return { remainingNanos: await remainingOver(tx, keys), settledNow: true, ...owner };
      });
    },

    releaseExpiredHolds,
  };
}
