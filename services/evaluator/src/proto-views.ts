import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evaluator } from '@switchyard/contracts';
import type { QualityRow } from './quality-store';
import type { AggregateRow, ItemResultRecord, RunRecord, RunStateName } from './run-store';
import { meanInterval } from './statistics';
import type { Suite } from './suites/suite-file';
import type { VerdictRecord } from './validation-gate';

const RUN_STATES: Record<RunStateName, evaluator.RunState> = {
  pending: evaluator.RunState.PENDING,
  running: evaluator.RunState.RUNNING,
  succeeded: evaluator.RunState.SUCCEEDED,
  failed: evaluator.RunState.FAILED,
  cancelled: evaluator.RunState.CANCELLED,
};

/** True once a run can no longer change. */
export const isTerminal = (state: RunStateName) => state === 'succeeded' || state === 'failed' || state === 'cancelled';

/** Milliseconds as a protobuf Duration. */
export function durationFromMs(ms: number): { seconds: bigint; nanos: number } {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: BigInt(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 };
}

/** A protobuf Duration as milliseconds. */
export function msFromDuration(duration: { seconds: bigint; nanos: number }): number {
  return Number(duration.seconds) * 1000 + Math.round(duration.nanos / 1_000_000);
}

/** The contract's Suite. */
export function suiteView(suite: Suite): MessageInitShape<typeof evaluator.SuiteSchema> {
  return { name: suite.name, version: suite.version, description: suite.description, itemCount: suite.items.length, scorers: suite.scorers };
}

/** The contract's ModelAggregate. */
export function aggregateView(row: AggregateRow): MessageInitShape<typeof evaluator.ModelAggregateSchema> {
  const interval = meanInterval(row.summary);
  return {
    model: row.model,
    taskClass: row.taskClass,
    scored: row.scored,
    errors: row.errors,
    meanScore: interval.mean,
    ciLow: interval.ciLow,
    ciHigh: interval.ciHigh,
    costNanosUsd: row.costNanos,
  };
}

/** Aggregates ordered as the run lists its models: overall first, then by task class. */
export function orderAggregates(rows: readonly AggregateRow[], models: readonly string[]): AggregateRow[] {
  const rank = (model: string) => {
    const index = models.indexOf(model);
    return index < 0 ? models.length : index;
  };
  return [...rows].sort((a, b) => rank(a.model) - rank(b.model) || a.model.localeCompare(b.model) || (a.taskClass === '' ? -1 : b.taskClass === '' ? 1 : a.taskClass.localeCompare(b.taskClass)));
}

/** The contract's Run. */
export function runView(run: RunRecord, completed: number, aggregates: readonly AggregateRow[]): MessageInitShape<typeof evaluator.RunSchema> {
  return {
    runId: run.runId,
    suite: run.suiteName,
    suiteVersion: run.suiteVersion,
    models: run.models,
    state: RUN_STATES[run.state],
    total: run.total,
    completed,
    aggregates: orderAggregates(aggregates, run.models).map(aggregateView),
    createTime: timestampFromDate(run.createdAt),
    endTime: run.endedAt ? timestampFromDate(run.endedAt) : undefined,
    errorMessage: run.errorMessage,
    cancelledBy: run.cancelledBy,
  };
}

/** The contract's ItemResult. */
export function itemResultView(row: ItemResultRecord): MessageInitShape<typeof evaluator.ItemResultSchema> {
  return {
    itemId: row.itemId,
    model: row.model,
    taskClass: row.taskClass,
    score: row.score ?? undefined,
    explanation: row.explanation,
    errorMessage: row.errorMessage ?? '',
    costNanosUsd: row.costNanos,
    latency: durationFromMs(row.latencyMs),
  };
}

/** The contract's Verdict. */
export function verdictView(verdict: VerdictRecord): MessageInitShape<typeof evaluator.VerdictSchema> {
  return {
    candidate: verdict.candidate,
    incumbent: verdict.incumbent,
    suite: verdict.suite,
    outcome: verdict.outcome === 'pass' ? evaluator.VerdictOutcome.PASS : evaluator.VerdictOutcome.FAIL,
    tolerance: verdict.tolerance,
    candidateScores: orderAggregates(verdict.candidateScores, [verdict.candidate]).map(aggregateView),
    incumbentScores: orderAggregates(verdict.incumbentScores, [verdict.incumbent]).map(aggregateView),
    reason: verdict.reason,
    runId: verdict.runId,
    createTime: timestampFromDate(verdict.createdAt),
  };
}

/** The contract's QualityScore. */
export function qualityView(row: QualityRow): MessageInitShape<typeof evaluator.QualityScoreSchema> {
  const interval = meanInterval(row.summary);
  return {
    model: row.model,
    taskClass: row.taskClass,
    meanScore: interval.mean,
    sampleCount: BigInt(row.summary.n),
    ciLow: interval.ciLow,
    ciHigh: interval.ciHigh,
    updateTime: timestampFromDate(row.updatedAt),
  };
}

/** An opaque AIP-158 page token: the offset, bound to what is being listed. */
export function encodePageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString('base64url');
}

/** Reads a page token; undefined when it is not one of ours for this listing. */
export function decodePageToken(token: string, scope: string): number | undefined {
  if (token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    return parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 ? parsed.o : undefined;
  } catch {
    return undefined;
  }
}
