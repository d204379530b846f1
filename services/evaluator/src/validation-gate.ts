import type { Database } from '@switchyard/database';
import type { AggregateRow } from './run-store';
import { deltaInterval, meanInterval, type Interval, type ScoreSummary } from './statistics';

/** The gate's answer. */
export type VerdictOutcomeName = 'pass' | 'fail';

/** A verdict with its evidence. */
export interface VerdictRecord {
  verdictId: string;
  requestId?: string;
  candidate: string;
  incumbent: string;
  suite: string;
  outcome: VerdictOutcomeName;
  tolerance: number;
  reason: string;
  runId: string;
  candidateScores: AggregateRow[];
  incumbentScores: AggregateRow[];
  createdAt: Date;
}

/** What the gate decides on. */
export interface VerdictInput {
  candidate: string;
  incumbent: string;
  /** Allowed drop of the candidate's mean score below the incumbent's. */
  tolerance: number;
  /** The validation run's aggregates (both models, overall and per task class). */
  aggregates: readonly AggregateRow[];
  /** Per-item scores of the run, to pair the two models item by item. */
  itemScores: ReadonlyArray<{ itemId: string; model: string; taskClass: string; score: number }>;
  /** Largest share of the candidate's items that may fail to score; default 0.1. */
  maxErrorRate?: number;
}

/** The decision and its numbers. */
export interface VerdictDecision {
  outcome: VerdictOutcomeName;
  reason: string;
  /** Candidate minus incumbent, overall, with the paired 95% CI. */
  delta: Interval;
}

const fmt = (value: number) => value.toFixed(3);

function pairedDifferences(input: VerdictInput, taskClass: string): number[] {
  const byItem = new Map<string, { candidate?: number; incumbent?: number }>();
  for (const row of input.itemScores) {
    if (taskClass !== '' && row.taskClass !== taskClass) continue;
    const entry = byItem.get(row.itemId) ?? {};
    if (row.model === input.candidate) entry.candidate = row.score;
    else if (row.model === input.incumbent) entry.incumbent = row.score;
    byItem.set(row.itemId, entry);
  }
  return [...byItem.values()].filter((e) => e.candidate !== undefined && e.incumbent !== undefined).map((e) => e.candidate! - e.incumbent!);
}

const EMPTY: ScoreSummary = { n: 0, sum: 0, sumSq: 0, allBinary: true };

/**
 * The validation gate. FAIL when the candidate produced nothing scorable, when too many of its
 * items failed, when its mean score is more than `tolerance` below the incumbent's, or when on some
 * task class it is worse beyond tolerance with confidence (the upper end of the paired 95% CI of
 * the difference is below -tolerance). Otherwise PASS. Equal models pass.
 */
export function decideVerdict(input: VerdictInput): VerdictDecision {
  const find = (model: string, taskClass: string) => input.aggregates.find((row) => row.model === model && row.taskClass === taskClass);
  const candidate = find(input.candidate, '');
  const incumbent = find(input.incumbent, '');
  const overall = deltaInterval(incumbent?.summary ?? EMPTY, candidate?.summary ?? EMPTY, pairedDifferences(input, ''));
  if (!candidate || candidate.scored === 0) return { outcome: 'fail', reason: `${input.candidate} produced no scorable answers`, delta: overall };
  const errorRate = candidate.errors / (candidate.errors + candidate.scored);
  const maxErrorRate = input.maxErrorRate ?? 0.1;
  if (errorRate > maxErrorRate) {
    return { outcome: 'fail', reason: `${(errorRate * 100).toFixed(1)}% of ${input.candidate}'s items could not be scored (limit ${(maxErrorRate * 100).toFixed(0)}%)`, delta: overall };
  }
  if (!incumbent || incumbent.scored === 0) return { outcome: 'fail', reason: `${input.incumbent} produced no scorable answers to compare with`, delta: overall };
  const candidateMean = meanInterval(candidate.summary).mean;
  const incumbentMean = meanInterval(incumbent.summary).mean;
  const ci = `95% CI of the difference [${fmt(overall.ciLow)}, ${fmt(overall.ciHigh)}]`;
  if (overall.mean < -input.tolerance) {
    return {
      outcome: 'fail',
      reason: `${input.candidate} scores ${fmt(candidateMean)} vs ${input.incumbent} ${fmt(incumbentMean)}: ${fmt(-overall.mean)} worse, beyond the tolerance ${fmt(input.tolerance)} (${ci})`,
      delta: overall,
    };
  }
  for (const row of input.aggregates) {
    if (row.model !== input.candidate || row.taskClass === '') continue;
    const other = find(input.incumbent, row.taskClass);
    if (!other) continue;
    const classDelta = deltaInterval(other.summary, row.summary, pairedDifferences(input, row.taskClass));
    if (classDelta.ciHigh < -input.tolerance) {
      return {
        outcome: 'fail',
        reason: `${input.candidate} is worse than ${input.incumbent} on ${row.taskClass} beyond the tolerance with 95% confidence (difference ${fmt(classDelta.mean)}, CI [${fmt(classDelta.ciLow)}, ${fmt(classDelta.ciHigh)}])`,
        delta: overall,
      };
    }
  }
  return {
    outcome: 'pass',
    reason: `${input.candidate} scores ${fmt(candidateMean)} vs ${input.incumbent} ${fmt(incumbentMean)} (difference ${fmt(overall.mean)}, ${ci}), within the tolerance ${fmt(input.tolerance)}`,
    delta: overall,
  };
}

interface VerdictRow {
  verdict_id: string;
  request_id: string | null;
  candidate: string;
  incumbent: string;
  suite: string;
  outcome: VerdictOutcomeName;
  tolerance: number;
  reason: string;
  run_id: string;
  evidence: { candidate: Array<AggregateRow & { costNanos: string }>; incumbent: Array<AggregateRow & { costNanos: string }> };
  created_at: Date;
}

const revive = (rows: Array<AggregateRow & { costNanos: string }>): AggregateRow[] => rows.map((row) => ({ ...row, costNanos: BigInt(row.costNanos) }));
const freeze = (rows: AggregateRow[]) => rows.map((row) => ({ ...row, costNanos: row.costNanos.toString() }));

function toVerdict(row: VerdictRow): VerdictRecord {
  return {
    verdictId: row.verdict_id,
    requestId: row.request_id ?? undefined,
    candidate: row.candidate,
    incumbent: row.incumbent,
    suite: row.suite,
    outcome: row.outcome,
    tolerance: Number(row.tolerance),
    reason: row.reason,
    runId: row.run_id,
    candidateScores: revive(row.evidence.candidate),
    incumbentScores: revive(row.evidence.incumbent),
    createdAt: new Date(row.created_at),
  };
}

/** Verdicts in the evaluator's tables. */
export interface VerdictStore {
  /** Records a verdict once per request id (and per run); returns the stored one. */
  insert(verdict: Omit<VerdictRecord, 'createdAt'>): Promise<VerdictRecord>;
  byRequestId(requestId: string): Promise<VerdictRecord | undefined>;
  byRunId(runId: string): Promise<VerdictRecord | undefined>;
  /** The newest verdict where the model was the candidate. */
  latestFor(model: string): Promise<VerdictRecord | undefined>;
}

/** Creates the verdict store. */
export function createVerdictStore(database: Database): VerdictStore {
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await database.query<VerdictRow>(sql, params);
    return rows[0] ? toVerdict(rows[0]) : undefined;
  };
  const store: VerdictStore = {
    async insert(verdict) {
      const existing = (verdict.requestId ? await store.byRequestId(verdict.requestId) : undefined) ?? (await store.byRunId(verdict.runId));
      if (existing) return existing;
      const inserted = await one(
        `INSERT INTO verdicts (verdict_id, request_id, candidate, incumbent, suite, outcome, tolerance, reason, run_id, evidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
         ON CONFLICT DO NOTHING RETURNING *`,
        [
          verdict.verdictId,
          verdict.requestId ?? null,
          verdict.candidate,
          verdict.incumbent,
          verdict.suite,
          verdict.outcome,
          verdict.tolerance,
          verdict.reason,
          verdict.runId,
          JSON.stringify({ candidate: freeze(verdict.candidateScores), incumbent: freeze(verdict.incumbentScores) }),
        ],
      );
      return inserted ?? (await store.byRunId(verdict.runId))!;
    },
    byRequestId: (requestId) => one('SELECT * FROM verdicts WHERE request_id = $1', [requestId]),
    byRunId: (runId) => one('SELECT * FROM verdicts WHERE run_id = $1 ORDER BY created_at DESC LIMIT 1', [runId]),
    latestFor: (model) => one('SELECT * FROM verdicts WHERE candidate = $1 ORDER BY created_at DESC, verdict_id DESC LIMIT 1', [model]),
  };
  return store;
}
