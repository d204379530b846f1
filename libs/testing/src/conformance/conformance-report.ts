/** How one conformance case ended. `n/a`: the model lacks the capability the case needs. `skip`: it could not run (no fake to script). */
export type ConformanceStatus = 'pass' | 'fail' | 'skip' | 'n/a';

/** The result of one case. */
export interface ConformanceCaseResult {
  /** Stable id, e.g. `fault.rate-limit`. */
  readonly id: string;
  /** What the case checks, for a person. */
  readonly title: string;
  readonly status: ConformanceStatus;
  /** Why it failed or was skipped. */
  readonly detail?: string;
  readonly durationMs: number;
}

/** What a conformance run found. */
export interface ConformanceReport {
  /** The adapter's address. */
  readonly target: string;
  /** The model the cases used. */
  readonly model: string;
  /** Whether a fake upstream was scripted (fault, deadline and cancel cases need one). */
  readonly faultsScripted: boolean;
  readonly results: readonly ConformanceCaseResult[];
  /** True only when every case passed or was not applicable: no failure and no skip. */
  readonly passed: boolean;
  readonly counts: Readonly<Record<ConformanceStatus, number>>;
}

/** Builds the report from the case results. */
export function summarizeConformance(
  target: string,
  model: string,
  faultsScripted: boolean,
  results: readonly ConformanceCaseResult[],
): ConformanceReport {
  const counts: Record<ConformanceStatus, number> = { pass: 0, fail: 0, skip: 0, 'n/a': 0 };
  for (const result of results) counts[result.status]++;
  return { target, model, faultsScripted, results, passed: counts.fail === 0 && counts.skip === 0, counts };
}

/** The report as a text table: one row per case, then a summary line. */
export function formatConformanceTable(report: ConformanceReport): string {
  const rows = report.results.map((r) => [r.status.toUpperCase(), r.id, `${Math.round(r.durationMs)} ms`, r.detail ?? r.title]);
  const header = ['STATUS', 'CASE', 'TIME', 'DETAIL'];
  const widths = header.map((h, i) => Math.min(100, Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0))));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 3 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  const c = report.counts;
  return [
    `conformance of ${report.target} (model ${report.model || '?'}, faults ${report.faultsScripted ? 'scripted' : 'not scripted'})`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${report.passed ? 'PASSED' : 'FAILED'}: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped, ${c['n/a']} not applicable`,
  ].join('\n');
}
