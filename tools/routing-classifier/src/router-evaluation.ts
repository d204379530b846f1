/**
 * Evaluates routers on labelled prompts: per benchmark and pooled, each router's APGR, CPT(50%) and
 * CPT(80%) with bootstrap 95 % intervals, and the APGR difference of one router against a baseline
 * (computed on the same resamples, so the interval of the difference is paired).
 */
import { bootstrapWeights, type Interval, percentileInterval } from './bootstrap';
import {
  apgrAtQuantileCutoffs,
  curveMetrics,
  prepareRoutingOrder,
  type RoutingMetrics,
  type RoutingTable,
  routingCurve,
} from './metrics';
import type { RoutingRow } from './routing-data';

/** A router's score for each row (same order as the rows). Higher = send to strong. */
export interface RouterScores {
  readonly router: string;
  readonly scores: Float64Array;
}

/** One router's results on one group of rows. */
export interface RouterResult {
  readonly router: string;
  readonly metrics: RoutingMetrics;
  readonly apgrInterval: Interval;
  readonly cpt50Interval: Interval;
  readonly cpt80Interval: Interval;
  /** RouteLLM's 10-quantile-cutoff APGR, for comparison (no interval). */
  readonly apgrQuantileSteps: number;
}

/** APGR(router) − APGR(baseline) with its paired bootstrap interval. */
export interface ApgrDifference {
  readonly router: string;
  readonly baseline: string;
  readonly difference: number;
  readonly interval: Interval;
}

/** Results for one benchmark, or for all rows pooled (`group` = `pooled`). */
export interface GroupEvaluation {
  readonly group: string;
  readonly rows: number;
  readonly qualityWeak: number;
  readonly qualityStrong: number;
  readonly routers: RouterResult[];
  readonly differences: ApgrDifference[];
}

/** Bootstrap settings and which differences to report. */
export interface EvaluationOptions {
  readonly resamples: number;
  readonly seed: number;
  /** Pairs `[router, baseline]` whose APGR difference gets an interval. */
  readonly comparisons: ReadonlyArray<readonly [string, string]>;
}

function evaluateGroup(
  group: string,
  rows: readonly RoutingRow[],
  routers: readonly RouterScores[],
  options: EvaluationOptions,
): GroupEvaluation {
  const strong = Float64Array.from(rows, (row) => row.strongCorrect);
  const weak = Float64Array.from(rows, (row) => row.weakCorrect);
  const tables: RoutingTable[] = routers.map(({ scores }) => ({ scores, strong, weak }));
  const orders = tables.map((table) => prepareRoutingOrder(table.scores));
  const point = tables.map((table, r) => curveMetrics(routingCurve(table, orders[r])));
  const samples = routers.map(() => ({ apgr: [] as number[], cpt50: [] as number[], cpt80: [] as number[] }));
  for (const weights of bootstrapWeights(rows.length, options.resamples, options.seed)) {
    tables.forEach((table, r) => {
      const metrics = curveMetrics(routingCurve(table, orders[r], weights));
      samples[r].apgr.push(metrics.apgr);
      samples[r].cpt50.push(metrics.cpt50);
      samples[r].cpt80.push(metrics.cpt80);
    });
  }
  const indexOf = (name: string): number => {
    const index = routers.findIndex((router) => router.router === name);
    if (index < 0) throw new Error(`unknown router "${name}"`);
    return index;
  };
  return {
    group,
    rows: rows.length,
    qualityWeak: point[0].qualityWeak,
    qualityStrong: point[0].qualityStrong,
    routers: routers.map(({ router }, r) => ({
      router,
      metrics: point[r],
      apgrInterval: percentileInterval(samples[r].apgr),
      cpt50Interval: percentileInterval(samples[r].cpt50),
      cpt80Interval: percentileInterval(samples[r].cpt80),
      apgrQuantileSteps: apgrAtQuantileCutoffs(tables[r]),
    })),
    differences: options.comparisons.map(([router, baseline]) => {
      const a = indexOf(router), b = indexOf(baseline);
      return {
        router,
        baseline,
        difference: point[a].apgr - point[b].apgr,
        interval: percentileInterval(samples[a].apgr.map((value, i) => value - samples[b].apgr[i])),
      };
    }),
  };
}

/** Evaluates every router per benchmark (sorted by name) and pooled. */
export function evaluateRouters(
  rows: readonly RoutingRow[],
  routers: readonly RouterScores[],
  options: EvaluationOptions,
): GroupEvaluation[] {
  const benchmarks = [...new Set(rows.map((row) => row.benchmark))].sort();
  const groups = benchmarks.map((benchmark) => {
    const members = rows.flatMap((row, i) => (row.benchmark === benchmark ? [i] : []));
    const pick = (scores: Float64Array) => Float64Array.from(members, (i) => scores[i]);
    return evaluateGroup(
      benchmark,
      members.map((i) => rows[i]),
      routers.map(({ router, scores }) => ({ router, scores: pick(scores) })),
      options,
    );
  });
  if (benchmarks.length > 1) groups.push(evaluateGroup('pooled', rows, routers, options));
  return groups;
}
