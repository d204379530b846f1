import { evaluator as evaluatorPb } from '@switchyard/contracts';
import type { EvaluatorServiceClient } from '@switchyard/sdk';
import type { Logger } from 'pino';
import type { QualityLookup } from './policy/choose-route';
import { TASK_CLASS_NAMES, type RoutingPolicy, type TaskClassName } from './policy/policy-schema';

type PolicyInput = RoutingPolicy | (() => RoutingPolicy);
const policyOf = (input: PolicyInput) => (typeof input === 'function' ? input() : input);

function prior(policy: RoutingPolicy, key: string, taskClass: TaskClassName): number {
  const table = Object.hasOwn(policy.qualityPriors, key) ? policy.qualityPriors[key] : undefined;
  return table?.[taskClass] ?? table?.default ?? policy.defaultPrior;
}

/** Expected quality from the policy's priors only (no evaluator configured). */
export function createPriorQuality(policy: PolicyInput): QualityLookup {
  return { lookup: (key, taskClass) => ({ score: prior(policyOf(policy), key, taskClass), source: 'prior' }) };
}

/** A model's standing with the evaluator's validation gate and online scores. */
export type EvaluatorStatus = 'unvalidated' | 'validated' | 'rejected' | 'demoted';

/** Quality scores: the evaluator's measurements when it has enough samples, else the policy's priors. */
export interface QualityScores extends QualityLookup {
  /** Re-reads the evaluator's scores (and the statuses of `models()`) now. */
  refresh(): Promise<void>;
  /** The evaluator's status of a `provider/model`; undefined without an evaluator or before it answered. */
  status(key: string): EvaluatorStatus | undefined;
  /** Expected quality per task class name for one `provider/model`. */
  byTaskClass(key: string): Record<string, number>;
  /** Stops the refresh timer. */
  close(): void;
}

/** Options for createQualityScores. */
export interface QualityScoresOptions {
  /** The routing policy (priors and `evaluatorMinSamples`); a function to follow reloads. */
  policy: PolicyInput;
  /** The evaluator client; without one only priors are used. */
  evaluator?: Pick<EvaluatorServiceClient, 'getQualityScores' | 'getModelStatus'>;
  /** The models whose status to read (`provider/model`), e.g. the catalog's. */
  models?: () => readonly string[];
  /** Refresh interval, ms; 0 = no timer. */
  refreshMs?: number;
  logger?: Logger;
}

const STATUS_NAMES: Record<number, EvaluatorStatus> = {
  [evaluatorPb.ModelStatus.UNSPECIFIED]: 'unvalidated',
  [evaluatorPb.ModelStatus.VALIDATED]: 'validated',
  [evaluatorPb.ModelStatus.REJECTED]: 'rejected',
  [evaluatorPb.ModelStatus.DEMOTED]: 'demoted',
};

/** `TASK_CLASS_CODE`, `Code` or `code` → `code`. */
function taskClassName(raw: string): TaskClassName | undefined {
  const name = raw.toLowerCase().replace(/^task_class_/, '');
  return (TASK_CLASS_NAMES as readonly string[]).includes(name) ? (name as TaskClassName) : undefined;
}

/**
 * Creates the quality source the router reads on every decision. Scores are fetched in the
 * background, so a slow or absent evaluator never delays a request; the last good scores stay.
 */
export function createQualityScores(options: QualityScoresOptions): QualityScores {
  // model name as the evaluator gives it ("provider/model" or a bare model id) → task class → mean
  let measured = new Map<string, Map<TaskClassName, number>>();
  let statuses = new Map<string, EvaluatorStatus>();

  const lookup: QualityLookup['lookup'] = (key, taskClass) => {
    const score = measured.get(key)?.get(taskClass) ?? measured.get(key.slice(key.indexOf('/') + 1))?.get(taskClass);
    if (score !== undefined) return { score, source: 'evaluator' };
    return { score: prior(policyOf(options.policy), key, taskClass), source: 'prior' };
  };

  const refresh = async () => {
    if (!options.evaluator) return;
    const minSamples = BigInt(policyOf(options.policy).evaluatorMinSamples);
    try {
      const response = await options.evaluator.getQualityScores({ models: [] }, { timeoutMs: 5000 });
      const next = new Map<string, Map<TaskClassName, number>>();
      for (const score of response.scores) {
        const taskClass = taskClassName(score.taskClass);
        if (!taskClass || score.sampleCount < minSamples || !(score.meanScore >= 0 && score.meanScore <= 1)) continue;
        const table = next.get(score.model) ?? new Map<TaskClassName, number>();
        table.set(taskClass, score.meanScore);
        next.set(score.model, table);
      }
      measured = next;
    } catch (error) {
      options.logger?.warn({ err: (error as Error).message }, 'evaluator quality scores unavailable; keeping the last scores and priors');
    }
    const keys = [...new Set(options.models?.() ?? [])];
    if (keys.length === 0) return;
    const next = new Map(statuses);
    await Promise.all(
      keys.map(async (key) => {
        try {
          const response = await options.evaluator!.getModelStatus({ model: key }, { timeoutMs: 5000 });
          next.set(key, STATUS_NAMES[response.status] ?? 'unvalidated');
        } catch {
          // keep the last known status
        }
      }),
    );
    statuses = next;
  };
  const timer = options.evaluator && options.refreshMs ? setInterval(() => void refresh(), options.refreshMs) : undefined;
  timer?.unref();

  return {
    lookup,
    refresh,
    status: (key) => statuses.get(key),
    byTaskClass(key) {
      const out: Record<string, number> = {};
      for (const taskClass of TASK_CLASS_NAMES) out[taskClass] = Math.round(lookup(key, taskClass).score * 10_000) / 10_000;
      return out;
    },
    close: () => clearInterval(timer),
  };
}
