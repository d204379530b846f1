/**
 * Renders evaluation results as Markdown (for the terminal and docs/routing.md) and as the compact
 * summary stored in the artifact's `validation` field.
 */
import type { Interval } from './bootstrap';
import type { GroupEvaluation } from './router-evaluation';

const round = (value: number, digits = 4) => Number(value.toFixed(digits));
const fixed = (value: number) => value.toFixed(3);
const withInterval = (value: number, interval: Interval) =>
  `${fixed(value)} [${fixed(interval.low)}, ${fixed(interval.high)}]`;
const signed = (value: number) => (value >= 0 ? '+' : '') + value.toFixed(3);

/** One Markdown table per group plus the APGR differences. */
export function formatEvaluation(groups: readonly GroupEvaluation[]): string {
  const lines: string[] = [];
  for (const group of groups) {
    lines.push(
      `### ${group.group} (n = ${group.rows}; weak ${(100 * group.qualityWeak).toFixed(1)} %, strong ${(100 * group.qualityStrong).toFixed(1)} %)`,
      '',
      '| router | APGR [95% CI] | CPT(50%) [95% CI] | CPT(80%) [95% CI] | APGR, RouteLLM 10-step |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const result of group.routers) {
      const m = result.metrics;
      lines.push(
        `| ${result.router} | ${withInterval(m.apgr, result.apgrInterval)} | ${withInterval(m.cpt50, result.cpt50Interval)} | ${withInterval(m.cpt80, result.cpt80Interval)} | ${fixed(result.apgrQuantileSteps)} |`,
      );
    }
    lines.push('');
    for (const d of group.differences) {
      const excludesZero = d.interval.low > 0 || d.interval.high < 0;
      lines.push(
        `- APGR ${d.router} − ${d.baseline}: ${signed(d.difference)} [${signed(d.interval.low)}, ${signed(d.interval.high)}]${excludesZero ? ' (interval excludes 0)' : ' (interval includes 0)'}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Compact, rounded metrics for the artifact's `validation` field. */
export function validationSummary(groups: readonly GroupEvaluation[], description: Record<string, unknown>): Record<string, unknown> {
  return {
    ...description,
    groups: Object.fromEntries(
      groups.map((group) => [
        group.group,
        {
          rows: group.rows,
          qualityWeak: round(group.qualityWeak),
          qualityStrong: round(group.qualityStrong),
          routers: Object.fromEntries(
            group.routers.map((r) => [
              r.router,
              {
                apgr: round(r.metrics.apgr),
                apgrInterval: [round(r.apgrInterval.low), round(r.apgrInterval.high)],
                cpt50: round(r.metrics.cpt50),
                cpt80: round(r.metrics.cpt80),
              },
            ]),
          ),
          differences: group.differences.map((d) => ({
            router: d.router,
            baseline: d.baseline,
            apgr: round(d.difference),
            interval: [round(d.interval.low), round(d.interval.high)],
          })),
        },
      ]),
    ),
  };
}
