import type { Queryable } from './database';
import { periodEnd, periodStart, type SupportedPeriod } from './budget-period';

/** One budget_usage row: a budget (team, project) in one period. */
export interface BudgetUsageKey {
  teamId: string;
  /** '' for the team-wide budget. */
  project: string;
  periodStart: Date;
}

/** A change to one budget_usage row. */
export interface BudgetUsageDelta extends BudgetUsageKey {
  spentNanos: bigint;
  reservedNanos: bigint;
}

/** A budget as configured. */
export interface BudgetRule {
  teamId: string;
  project: string;
  period: SupportedPeriod;
  limitNanos: bigint;
}

/** Stable string form of a key (for maps). */
export const usageKeyString = (key: BudgetUsageKey) => `${key.teamId}\u0000${key.project}\u0000${key.periodStart.getTime()}`;

/** The budgets that apply to spend by (team, project): the team-wide one and, if project is set, that project's. */
export function applicableBudgets(rules: readonly BudgetRule[], teamId: string, project: string): BudgetRule[] {
  return rules.filter((rule) => rule.teamId === teamId && (rule.project === '' || rule.project === project));
}

/** Reads the configured budgets of some teams. */
export async function loadBudgetRules(tx: Queryable, teamIds: readonly string[]): Promise<BudgetRule[]> {
  if (teamIds.length === 0) return [];
  const { rows } = await tx.query<{ team_id: string; project: string; period: number; limit_nanos: bigint }>(
    'SELECT team_id, project, period, limit_nanos FROM budgets WHERE team_id = ANY($1::text[])',
    [[...new Set(teamIds)]],
  );
  return rows.map((row) => ({ teamId: row.team_id, project: row.project, period: Number(row.period) as SupportedPeriod, limitNanos: row.limit_nanos }));
}

/**
 * Makes sure budget_usage rows exist for these budgets and periods. A new row starts with what the
 * ledger already holds for that budget and period, so a budget set mid-period counts earlier spend.
 * Keys are inserted in one global order (team, project, period) so concurrent writers never deadlock;
 * an existing row is neither read for the sum nor locked.
 */
export async function ensureBudgetUsageRows(tx: Queryable, keys: ReadonlyArray<BudgetUsageKey & { period: SupportedPeriod }>): Promise<void> {
  const unique = [...new Map(keys.map((key) => [usageKeyString(key), key])).values()];
  if (unique.length === 0) return;
  await tx.query(
    `INSERT INTO budget_usage (team_id, project, period_start, spent_nanos, reserved_nanos)
     SELECT k.team_id, k.project, k.period_start,
            (SELECT COALESCE(SUM(l.cost_nanos), 0) FROM usage_ledger l
              WHERE l.team_id = k.team_id AND (k.project = '' OR l.project = k.project)
                AND l.time >= k.period_start AND l.time < k.period_end),
            0
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS k(team_id, project, period_start, period_end)
     WHERE NOT EXISTS (SELECT 1 FROM budget_usage u WHERE u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start)
     ORDER BY k.team_id COLLATE "C", k.project COLLATE "C", k.period_start
     ON CONFLICT (team_id, project, period_start) DO NOTHING`,
    [
      unique.map((k) => k.teamId),
      unique.map((k) => k.project),
      unique.map((k) => k.periodStart.toISOString()),
      unique.map((k) => periodEnd(k.period, k.periodStart).toISOString()),
    ],
  );
}

/** The budget_usage key of a rule for a time. */
export function usageKeyFor(rule: BudgetRule, at: Date): BudgetUsageKey & { period: SupportedPeriod } {
  return { teamId: rule.teamId, project: rule.project, periodStart: periodStart(rule.period, at), period: rule.period };
}

/**
 * Applies spent/reserved deltas to existing budget_usage rows: locks them in the global order first
 * (no deadlocks between concurrent writers), then updates them in one statement.
 */
export async function applyBudgetDeltas(tx: Queryable, deltas: readonly BudgetUsageDelta[]): Promise<void> {
  const summed = new Map<string, BudgetUsageDelta>();
  for (const delta of deltas) {
    const key = usageKeyString(delta);
    const current = summed.get(key);
    summed.set(key, current ? { ...current, spentNanos: current.spentNanos + delta.spentNanos, reservedNanos: current.reservedNanos + delta.reservedNanos } : { ...delta });
  }
  const list = [...summed.values()].filter((d) => d.spentNanos !== 0n || d.reservedNanos !== 0n);
  if (list.length === 0) return;
  const params = [list.map((d) => d.teamId), list.map((d) => d.project), list.map((d) => d.periodStart.toISOString())];
  await tx.query(
    `SELECT 1 FROM budget_usage u
     JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(team_id, project, period_start)
       ON u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start
     ORDER BY u.team_id COLLATE "C", u.project COLLATE "C", u.period_start
     FOR UPDATE OF u`,
    params,
  );
  await tx.query(
    `UPDATE budget_usage u SET spent_nanos = u.spent_nanos + d.spent, reserved_nanos = u.reserved_nanos + d.reserved
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::bigint[]) AS d(team_id, project, period_start, spent, reserved)
     WHERE u.team_id = d.team_id AND u.project = d.project AND u.period_start = d.period_start`,
    [...params, list.map((d) => d.spentNanos.toString()), list.map((d) => d.reservedNanos.toString())],
  );
}
