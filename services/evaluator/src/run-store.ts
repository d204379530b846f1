import type { Database, Queryable } from '@switchyard/database';
import { type ScoreSummary } from './statistics';

/** A run's lifecycle state as stored. */
export type RunStateName = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Why a run exists. */
export type RunPurpose = 'run' | 'validation';

/** One stored run. */
export interface RunRecord {
  runId: string;
  requestId?: string;
  purpose: RunPurpose;
  /** What a validation run validates. */
  validation?: ValidationSpec;
  suiteName: string;
  suiteVersion: string;
  suiteSha256: string;
  /** Canonical model keys, in the order given. */
  models: string[];
  concurrency: number;
  itemTimeoutMs: number;
  itemLimit: number;
  /** Items x models. */
  total: number;
  state: RunStateName;
  errorMessage: string;
  /** Key id of the caller that cancelled the run; '' unless cancelled (or cancelled without authentication). */
  cancelledBy: string;
  /** Frozen when the run ended. */
  aggregates?: AggregateRow[];
  createdAt: Date;
  startedAt?: Date;
  endedAt?: Date;
}

/** The question a validation run answers. */
export interface ValidationSpec {
  candidate: string;
  incumbent: string;
  tolerance: number;
}

/** A new run. */
export type NewRun = Omit<RunRecord, 'state' | 'errorMessage' | 'cancelledBy' | 'aggregates' | 'createdAt' | 'startedAt' | 'endedAt'>;

/** What cancelling did: `cancelled` now, `already` cancelled before, or `ended` (succeeded or failed: left as it was). */
export type CancelOutcome = { outcome: 'cancelled' | 'already' | 'ended'; run: RunRecord };

/** One model's (or model x task class's) totals over a run. */
export interface AggregateRow {
  model: string;
  /** '' for all task classes. */
  taskClass: string;
  scored: number;
  errors: number;
  summary: ScoreSummary;
  /** Model calls plus judge calls, nano-USD. */
  costNanos: bigint;
}

/** One scored (or failed) item of a run for one model. */
export interface ItemResultRecord {
  runId: string;
  itemId: string;
  model: string;
  itemIndex: number;
  taskClass: string;
  /** Null exactly when errorMessage is set. */
  score: number | null;
  explanation: string;
  errorMessage: string | null;
  output: string;
  costNanos: bigint;
  judgeCostNanos: bigint;
  latencyMs: number;
  attempts: number;
}

interface RunRow {
  run_id: string;
  request_id: string | null;
  purpose: RunPurpose;
  validation: ValidationSpec | null;
  suite_name: string;
  suite_version: string;
  suite_sha256: string;
  models: string[];
  concurrency: number;
  item_timeout_ms: number;
  item_limit: number;
  total: number;
  state: RunStateName;
  error_message: string;
  cancelled_by: string;
  aggregates: StoredAggregate[] | null;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

/** An AggregateRow as JSON (bigint as a string). */
interface StoredAggregate {
  model: string;
  taskClass: string;
  scored: number;
  errors: number;
  summary: ScoreSummary;
  costNanos: string;
}

const toStored = (row: AggregateRow): StoredAggregate => ({ ...row, costNanos: row.costNanos.toString() });
const fromStored = (row: StoredAggregate): AggregateRow => ({ ...row, costNanos: BigInt(row.costNanos) });

function toRecord(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    requestId: row.request_id ?? undefined,
    purpose: row.purpose,
    validation: row.validation ?? undefined,
    suiteName: row.suite_name,
    suiteVersion: row.suite_version,
    suiteSha256: row.suite_sha256,
    models: row.models,
    concurrency: row.concurrency,
    itemTimeoutMs: row.item_timeout_ms,
    itemLimit: row.item_limit,
    total: row.total,
    state: row.state,
    errorMessage: row.error_message,
    cancelledBy: row.cancelled_by,
    aggregates: row.aggregates ? row.aggregates.map(fromStored) : undefined,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : undefined,
    endedAt: row.ended_at ? new Date(row.ended_at) : undefined,
  };
}

/** Separates an item id from a model in a pair key (neither contains NUL). */
export const pairKey = (itemId: string, model: string) => `${itemId}\u0000${model}`;

/** Runs and their per-item results in the evaluator's tables. */
export interface RunStore {
  /** Inserts a run; with a request id already used, returns that run instead (`created` false). */
  insertRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getRunByRequestId(requestId: string): Promise<RunRecord | undefined>;
  /**
   * Claims an unfinished run for `owner` for `leaseMs`: only when unclaimed, already ours, or its
   * lease expired (or `force`, for an embedded database no other process can share). Marks it running.
   */
  claimRun(runId: string, owner: string, leaseMs: number, force?: boolean): Promise<RunRecord | undefined>;
  /** Extends the leases of runs `owner` holds. */
  renewLeases(owner: string, runIds: readonly string[], leaseMs: number): Promise<void>;
  /** Unfinished runs another instance may take over (lease expired), or all unfinished ones with `force`. */
  claimableRunIds(owner: string, force?: boolean): Promise<string[]>;
  /** The (item, model) pairs already recorded. */
  completedPairs(runId: string): Promise<Set<string>>;
  /** Records one result once, only while the run is unfinished; false when the pair was already recorded or the run ended. */
  recordResult(result: ItemResultRecord): Promise<boolean>;
  countCompleted(runId: string): Promise<number>;
  /** Totals per model and per model x task class. */
  aggregate(runId: string): Promise<AggregateRow[]>;
  /**
   * Cancels a pending or running run: marks it cancelled (by `cancelledBy`), releases its lease and
   * freezes the aggregates of the results recorded so far. Undefined for an unknown run.
   */
  cancelRun(runId: string, cancelledBy: string): Promise<CancelOutcome | undefined>;
  /** The runs among `runIds` that were cancelled (possibly by another evaluator instance). */
  cancelledAmong(runIds: readonly string[]): Promise<string[]>;
  /** Ends a pending or running run with its frozen aggregates and releases its lease; false when it had already ended (e.g. cancelled). */
  finishRun(runId: string, state: Exclude<RunStateName, 'pending' | 'running'>, errorMessage: string, aggregates: AggregateRow[]): Promise<boolean>;
  /** Results in suite order, then model order. */
  listResults(runId: string, offset: number, limit: number): Promise<ItemResultRecord[]>;
  /** Every scored item's score (errors excluded), for pairing items across runs. */
  itemScores(runId: string): Promise<Array<{ itemId: string; model: string; taskClass: string; score: number }>>;
}

/** Totals per model and per model x task class of a run's recorded results. */
async function aggregateRun(database: Queryable, runId: string): Promise<AggregateRow[]> {
  const { rows } = await database.query<{ model: string; task_class: string | null; scored: number; errors: number; sum: number; sum_sq: number; all_binary: boolean | null; cost: bigint }>(
    `SELECT model, task_class, count(score)::int AS scored, count(error_message)::int AS errors,
            COALESCE(sum(score), 0)::double precision AS sum, COALESCE(sum(score * score), 0)::double precision AS sum_sq,
            bool_and(score IS NULL OR score = 0 OR score = 1) AS all_binary,
            COALESCE(sum(cost_nanos + judge_cost_nanos), 0)::bigint AS cost
     FROM run_items WHERE run_id = $1
     GROUP BY GROUPING SETS ((model), (model, task_class))`,
    [runId],
  );
  return rows.map((row) => ({
    model: row.model,
    taskClass: row.task_class ?? '',
    scored: row.scored,
    errors: row.errors,
    summary: { n: row.scored, sum: Number(row.sum), sumSq: Number(row.sum_sq), allBinary: row.all_binary ?? true },
    costNanos: BigInt(row.cost),
  }));
}

/** Creates the run store. */
export function createRunStore(database: Database): RunStore {
  const select = 'SELECT * FROM runs';
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await database.query<RunRow>(sql, params);
    return rows[0] ? toRecord(rows[0]) : undefined;
  };
  return {
    async insertRun(run) {
      const inserted = await one(
        `INSERT INTO runs (run_id, request_id, purpose, validation, suite_name, suite_version, suite_sha256, models, concurrency, item_timeout_ms, item_limit, total, state)
         VALUES ($1, $2, $3, $12::jsonb, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, 'pending')
         ON CONFLICT (request_id) DO NOTHING RETURNING *`,
        [run.runId, run.requestId ?? null, run.purpose, run.suiteName, run.suiteVersion, run.suiteSha256, JSON.stringify(run.models), run.concurrency, run.itemTimeoutMs, run.itemLimit, run.total, run.validation ? JSON.stringify(run.validation) : null],
      );
      if (inserted) return { run: inserted, created: true };
      const existing = await one(`${select} WHERE request_id = $1`, [run.requestId]);
      if (!existing) throw new Error(`run insert for request ${run.requestId} conflicted but no run was found`);
      return { run: existing, created: false };
    },
    getRun: (runId) => one(`${select} WHERE run_id = $1`, [runId]),
    getRunByRequestId: (requestId) => one(`${select} WHERE request_id = $1`, [requestId]),
    claimRun: (runId, owner, leaseMs, force = false) =>
      one(
        `UPDATE runs SET state = 'running', lease_owner = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000),
                started_at = COALESCE(started_at, now())
         WHERE run_id = $1 AND state IN ('pending', 'running')
           AND ($4 OR lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
         RETURNING *`,
        [runId, owner, leaseMs, force],
      ),
    async renewLeases(owner, runIds, leaseMs) {
      if (runIds.length === 0) return;
      await database.query(
        `UPDATE runs SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
         WHERE lease_owner = $1 AND run_id = ANY($2::text[]) AND state = 'running'`,
        [owner, [...runIds], leaseMs],
      );
    },
    async claimableRunIds(owner, force = false) {
      const { rows } = await database.query<{ run_id: string }>(
        `SELECT run_id FROM runs WHERE state IN ('pending', 'running')
           AND ($2 OR lease_owner IS NULL OR lease_owner = $1 OR lease_until < now())
         ORDER BY created_at`,
        [owner, force],
      );
      return rows.map((row) => row.run_id);
    },
    async completedPairs(runId) {
      const { rows } = await database.query<{ item_id: string; model: string }>('SELECT item_id, model FROM run_items WHERE run_id = $1', [runId]);
      return new Set(rows.map((row) => pairKey(row.item_id, row.model)));
    },
    async recordResult(result) {
      const { rowCount } = await database.query(
        // The key-share lock orders this insert with a concurrent cancelRun (FOR UPDATE) but not with
        // lease renewals: a result either lands before the cancellation (and is in its frozen aggregates) or is discarded.
        `INSERT INTO run_items (run_id, item_id, model, item_index, task_class, score, explanation, error_message, output, cost_nanos, judge_cost_nanos, latency_ms, attempts)
         SELECT $1::text, $2::text, $3::text, $4::integer, $5::text, $6::double precision, $7::text, $8::text, $9::text, $10::bigint, $11::bigint, $12::integer, $13::integer
         WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = $1::text AND state IN ('pending', 'running') FOR KEY SHARE)
         ON CONFLICT (run_id, item_id, model) DO NOTHING`,
        [
          result.runId,
          result.itemId,
          result.model,
          result.itemIndex,
          result.taskClass,
          result.score,
          result.explanation,
          result.errorMessage,
          result.output,
          result.costNanos.toString(),
          result.judgeCostNanos.toString(),
          Math.round(result.latencyMs),
          result.attempts,
        ],
      );
      return rowCount > 0;
    },
    async countCompleted(runId) {
      const { rows } = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM run_items WHERE run_id = $1', [runId]);
      return rows[0]?.n ?? 0;
    },
    aggregate: (runId) => aggregateRun(database, runId),
    async finishRun(runId, state, errorMessage, aggregates) {
      const { rowCount } = await database.query(
        `UPDATE runs SET state = $2, error_message = $3, aggregates = $4::jsonb, ended_at = now(), lease_owner = NULL, lease_until = NULL
         WHERE run_id = $1 AND state IN ('pending', 'running')`,
        [runId, state, errorMessage, JSON.stringify(aggregates.map(toStored))],
      );
      return rowCount > 0;
    },
    cancelRun: (runId, cancelledBy) =>
      database.transaction(async (tx) => {
        // The row lock waits for results being inserted right now (they count) and keeps later ones out.
        const { rows } = await tx.query<RunRow>(`${select} WHERE run_id = $1 FOR UPDATE`, [runId]);
        const current = rows[0] ? toRecord(rows[0]) : undefined;
        if (!current) return undefined;
        if (current.state === 'cancelled') return { outcome: 'already' as const, run: current };
        if (current.state !== 'pending' && current.state !== 'running') return { outcome: 'ended' as const, run: current };
        const aggregates = await aggregateRun(tx, runId);
        const updated = await tx.query<RunRow>(
          `UPDATE runs SET state = 'cancelled', cancelled_by = $2, aggregates = $3::jsonb, ended_at = now(), lease_owner = NULL, lease_until = NULL
           WHERE run_id = $1 RETURNING *`,
          [runId, cancelledBy, JSON.stringify(aggregates.map(toStored))],
        );
        return { outcome: 'cancelled' as const, run: toRecord(updated.rows[0]!) };
      }),
    async cancelledAmong(runIds) {
      if (runIds.length === 0) return [];
      const { rows } = await database.query<{ run_id: string }>(`SELECT run_id FROM runs WHERE run_id = ANY($1::text[]) AND state = 'cancelled'`, [[...runIds]]);
      return rows.map((row) => row.run_id);
    },
    async listResults(runId, offset, limit) {
      const { rows } = await database.query<{
        item_id: string;
        model: string;
        item_index: number;
        task_class: string;
        score: number | null;
        explanation: string;
        error_message: string | null;
        output: string;
        cost_nanos: bigint;
        judge_cost_nanos: bigint;
        latency_ms: number;
        attempts: number;
      }>(`SELECT * FROM run_items WHERE run_id = $1 ORDER BY item_index, model OFFSET $2 LIMIT $3`, [runId, offset, limit]);
      return rows.map((row) => ({
        runId,
        itemId: row.item_id,
        model: row.model,
        itemIndex: row.item_index,
        taskClass: row.task_class,
        score: row.score === null ? null : Number(row.score),
        explanation: row.explanation,
        errorMessage: row.error_message,
        output: row.output,
        costNanos: BigInt(row.cost_nanos),
        judgeCostNanos: BigInt(row.judge_cost_nanos),
        latencyMs: row.latency_ms,
        attempts: row.attempts,
      }));
    },
    async itemScores(runId) {
      const { rows } = await database.query<{ item_id: string; model: string; task_class: string; score: number }>(
        'SELECT item_id, model, task_class, score FROM run_items WHERE run_id = $1 AND score IS NOT NULL',
        [runId],
      );
      return rows.map((row) => ({ itemId: row.item_id, model: row.model, taskClass: row.task_class, score: Number(row.score) }));
    },
  };
}
