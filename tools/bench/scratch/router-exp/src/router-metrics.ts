/**
 * The router's metrics, fed by its hooks (see docs/observability.md, "Metrics"): the cost of every
 * served request by team, project and model; fallbacks from a failed candidate to the next; the
 * breaker state of each model; requests served without a budget check.
 */
import type { Meter } from '@opentelemetry/api';
import { SWITCHYARD_TEAM, type SwitchyardMetrics } from '@switchyard/telemetry';
import type { RouterHooks } from './router-service';

/** Counter of requests served without a budget check because billing was unreachable (fail-open), by team. */
export const METRIC_BUDGET_UNCHECKED = 'switchyard.router.budget_unchecked';

/** Options for createRouterMetricsHooks. */
export interface RouterMetricsOptions {
  /** Switchyard's instruments (the telemetry handle's `metrics`). */
  metrics: SwitchyardMetrics;
  /** The meter for the router's own counter of unchecked requests; without it they are not counted. */
  meter?: Meter;
}

/** Hooks that record the router's metrics; none of them throws. */
export function createRouterMetricsHooks(options: RouterMetricsOptions): RouterHooks {
  const { metrics } = options;
  const unchecked = options.meter?.createCounter(METRIC_BUDGET_UNCHECKED, {
    description: 'Requests served without a budget check because billing was unreachable (budget.failureMode failOpen).',
    unit: '{request}',
  });
  return {
    onRequestFinished(summary) {
      // Every request billing will charge for: answered, and broken or cancelled streams (their partial usage).
      if (summary.costNanos === undefined || !summary.chosen) return;
      metrics.recordCost({ team: summary.teamId, project: summary.project, provider: summary.chosen.provider, model: summary.chosen.model, nanosUsd: summary.costNanos });
    },
    onAttemptFinished(attempt) {
      if (!attempt.fallbackFrom) return;
      metrics.recordFallback({ provider: attempt.fallbackFrom.provider, model: attempt.fallbackFrom.model, reason: attempt.fallbackReason ?? 'UNKNOWN', team: attempt.teamId });
    },
    onCircuitChange(_deployment, state, models) {
      // The breaker is per deployment; the gauge is per model, so each model the deployment serves shows its state.
      for (const model of models) metrics.setCircuitState(model, state);
    },
    onBudgetUnchecked(teamId) {
      unchecked?.add(1, { [SWITCHYARD_TEAM]: teamId });
    },
  };
}

/** One set of hooks that calls each given set in turn (e.g. the metrics hooks and a test's own). */
export function combineRouterHooks(...sets: ReadonlyArray<RouterHooks | undefined>): RouterHooks | undefined {
  const present = sets.filter((set): set is RouterHooks => set !== undefined);
  if (present.length <= 1) return present[0];
  return {
    onRequestFinished: (summary) => present.forEach((set) => set.onRequestFinished?.(summary)),
    onAttemptFinished: (attempt) => present.forEach((set) => set.onAttemptFinished?.(attempt)),
    onCircuitChange: (deployment, state, models) => present.forEach((set) => set.onCircuitChange?.(deployment, state, models)),
    onBudgetUnchecked: (teamId) => present.forEach((set) => set.onBudgetUnchecked?.(teamId)),
  };
}
