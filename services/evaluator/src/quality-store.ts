import type { Database } from '@switchyard/database';
import { mergeSummaries, type ScoreSummary } from './statistics';

/** Quality of one model on one task class, merged over its sources. */
export interface QualityRow {
  model: string;
  taskClass: string;
  summary: ScoreSummary;
  updatedAt: Date;
}

/** The evidence behind the quality scores the router reads. */
export interface QualityStore {
  /**
   * Replaces the rows a suite contributes for these models with a finished run's results: the
   * latest run of a suite is its evidence (re-running a suite does not count its items twice).
   */
  replaceSuiteScores(suite: string, runId: string, rows: ReadonlyArray<{ model: string; taskClass: string; summary: ScoreSummary }>): Promise<void>;
  /** Recomputes a model x task class's online row from the exchanges scored since `since`. */
  refreshOnline(model: string, taskClass: string, since: Date): Promise<void>;
  /** Quality per model x task class, all sources merged; only these models when given. */
  list(models?: readonly string[]): Promise<QualityRow[]>;
  /** A model's online scores since `since`, over all task classes. */
  onlineSummary(model: string, since: Date): Promise<ScoreSummary>;
}

interface Row {
  model: string;
  task_class: string;
  source: string;
  sample_count: bigint;
  score_sum: number;
  score_sq_sum: number;
  all_binary: boolean;
  updated_at: Date;
}

/** Creates the quality store. */
export function createQualityStore(database: Database): QualityStore {
  return {
    async replaceSuiteScores(suite, runId, rows) {
      const source = `suite:${suite}`;
      const models = [...new Set(rows.map((row) => row.model))];
      await database.transaction(async (tx) => {
        await tx.query('DELETE FROM quality_scores WHERE source = $1 AND model = ANY($2::text[])', [source, models]);
        for (const row of rows) {
          if (row.summary.n === 0) continue;
          await tx.query(
            `INSERT INTO quality_scores (model, task_class, source, sample_count, score_sum, score_sq_sum, all_binary, run_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
            [row.model, row.taskClass, source, row.summary.n, row.summary.sum, row.summary.sumSq, row.summary.allBinary, runId],
          );
        }
      });
    },
    async refreshOnline(model, taskClass, since) {
      await database.query(
        `INSERT INTO quality_scores (model, task_class, source, sample_count, score_sum, score_sq_sum, all_binary, updated_at)
         SELECT $1, $2, 'online', count(score), COALESCE(sum(score), 0), COALESCE(sum(score * score), 0),
                COALESCE(bool_and(score = 0 OR score = 1), true), now()
         FROM online_exchanges WHERE model = $1 AND task_class = $2 AND score IS NOT NULL AND scored_at >= $3
         ON CONFLICT (model, task_class, source) DO UPDATE SET
           sample_count = EXCLUDED.sample_count, score_sum = EXCLUDED.score_sum, score_sq_sum = EXCLUDED.score_sq_sum,
           all_binary = EXCLUDED.all_binary, updated_at = EXCLUDED.updated_at`,
        [model, taskClass, since],
      );
    },
    async list(models) {
      const filtered = models && models.length > 0;
      const { rows } = await database.query<Row>(
        `SELECT * FROM quality_scores WHERE sample_count > 0 ${filtered ? 'AND model = ANY($1::text[])' : ''} ORDER BY model, task_class`,
        filtered ? [[...models]] : [],
      );
      const merged = new Map<string, QualityRow & { parts: ScoreSummary[] }>();
      for (const row of rows) {
        const key = `${row.model}\u0000${row.task_class}`;
        const summary = { n: Number(row.sample_count), sum: Number(row.score_sum), sumSq: Number(row.score_sq_sum), allBinary: row.all_binary };
        const existing = merged.get(key);
        const updatedAt = new Date(row.updated_at);
        if (existing) {
          existing.parts.push(summary);
          if (updatedAt > existing.updatedAt) existing.updatedAt = updatedAt;
        } else merged.set(key, { model: row.model, taskClass: row.task_class, summary, updatedAt, parts: [summary] });
      }
      return [...merged.values()].map(({ parts, ...row }) => ({ ...row, summary: mergeSummaries(parts) }));
    },
    async onlineSummary(model, since) {
      const { rows } = await database.query<{ n: number; sum: number; sum_sq: number; all_binary: boolean | null }>(
        `SELECT count(score)::int AS n, COALESCE(sum(score), 0)::double precision AS sum, COALESCE(sum(score * score), 0)::double precision AS sum_sq,
                bool_and(score = 0 OR score = 1) AS all_binary
         FROM online_exchanges WHERE model = $1 AND score IS NOT NULL AND scored_at >= $2`,
        [model, since],
      );
      const row = rows[0]!;
      return { n: row.n, sum: Number(row.sum), sumSq: Number(row.sum_sq), allBinary: row.all_binary ?? true };
    },
  };
}
