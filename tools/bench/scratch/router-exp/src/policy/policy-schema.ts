import { z } from 'zod';

/** The task class names the classifier produces (plus `default` in prior tables). */
export const TASK_CLASS_NAMES = ['code', 'math', 'extraction', 'reasoning', 'chat', 'creative', 'summarization', 'translation', 'other'] as const;
/** A task class name. */
export type TaskClassName = (typeof TASK_CLASS_NAMES)[number];

const unit = z.number().min(0).max(1);
/** A model selector: `provider/model`, `provider/*`, or `*`. Provider names are data from the adapters. */
const modelPattern = z.string().regex(/^(\*|[A-Za-z0-9._-]+\/(\*|[A-Za-z0-9._:@-]+))$/, 'provider/model, provider/* or *');
const modelKey = z.string().regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:@-]+$/, 'provider/model');

/** Settings that a tag override or an alias may change for one request. */
const routingOverrideSchema = z.object({
  /** Replaces the team's allowed models (must be a subset to be useful; the team list still bounds it). */
  models: z.array(modelPattern).optional(),
  qualityTarget: unit.optional(),
  latencyObjectiveMs: z.number().int().positive().optional(),
  safetyModels: z.array(modelPattern).optional(),
  /** Always send to this model (rule `tag_override` / `alias`). */
  pin: modelKey.optional(),
  maxCostNanosUsd: z.number().int().positive().optional(),
});

const canarySchema = z.object({
  /** The new model, `provider/model`. */
  model: modelKey,
  /** Share of eligible requests sent to it, 0..1. */
  weight: unit,
  /** Only for these task classes; empty or absent means every class. */
  taskClasses: z.array(z.enum(TASK_CLASS_NAMES)).optional(),
});

/** One team's routing policy. */
export const teamPolicySchema = z.object({
  /** Models the team may use. */
  models: z.array(modelPattern).min(1),
  /** Minimum expected quality the chosen model must reach. */
  qualityTarget: unit.default(0.8),
  /** Exclude models whose observed p90 latency exceeds this, ms. */
  latencyObjectiveMs: z.number().int().positive().optional(),
  /** Safety-sensitive prompts go only to these models; empty means no restriction. */
  safetyModels: z.array(modelPattern).default([]),
  /** Safety score at or above which a prompt counts as sensitive; default: the classifier's own flag. */
  safetyThreshold: unit.optional(),
  /** The model savings are measured against, `provider/model`. */
  baselineModel: modelKey.optional(),
  /** Callers may name a concrete model (rule `pinned`) when it is in `models`. */
  allowPinning: z.boolean().default(true),
  /** Never route to a model whose expected cost exceeds this, nano-USD. */
  maxCostNanosUsd: z.number().int().positive().optional(),
  /** Output tokens held against the budget when the caller sets no max_output_tokens. */
  reserveOutputTokens: z.number().int().positive().default(4096),
  /** Names callers may pass as `model`; `switchyard/auto` always exists. */
  aliases: z.record(z.string().regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/), routingOverrideSchema).default({}),
  /** Overrides by feature tag, applied in this order for every tag the request carries. */
  tagOverrides: z.record(z.string().min(1), routingOverrideSchema).default({}),
  /** Weighted canary shares for new models (with an evaluator: only once it validated them). */
  canary: z.array(canarySchema).default([]),
  /**
   * Share of this team's exchanges (prompt and reply) sent to the evaluator for online quality
   * scoring. Content capture: 0 (the default) unless the team agreed to it.
   */
  onlineSampleRate: unit.default(0),
});

/** The whole policy file. */
export const routingPolicySchema = z.object({
  version: z.literal(1),
  /** Logit units expected quality moves per unit of difficulty away from 0.5 (see docs/router.md). */
  difficultySlope: z.number().min(0).max(20).default(3),
  /** Expected quality used when a model has no prior, 0..1. */
  defaultPrior: unit.default(0.5),
  /** Evaluator scores with fewer samples than this are ignored in favour of priors. */
  evaluatorMinSamples: z.number().int().nonnegative().default(20),
  /** Expected quality per `provider/model` and task class (`default` for the rest). */
  qualityPriors: z.record(modelKey, z.partialRecord(z.enum([...TASK_CLASS_NAMES, 'default']), unit)).default({}),
  /** Policies by team id; `*` applies to teams not listed. */
  teams: z.record(z.string().min(1), teamPolicySchema),
});

/** A parsed routing policy file. */
export type RoutingPolicy = z.infer<typeof routingPolicySchema>;
/** One team's parsed policy. */
export type TeamPolicy = z.infer<typeof teamPolicySchema>;
/** An alias or tag override. */
export type RoutingOverride = z.infer<typeof routingOverrideSchema>;
/** A canary entry. */
export type CanaryShare = z.infer<typeof canarySchema>;

/** True when `key` (`provider/model`) matches a selector (`provider/model`, `provider/*`, `*`). */
export function modelMatches(pattern: string, key: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return key.startsWith(pattern.slice(0, -1));
  return pattern === key;
}

/** True when any selector matches. */
export function anyModelMatches(patterns: readonly string[], key: string): boolean {
  for (const pattern of patterns) if (modelMatches(pattern, key)) return true;
  return false;
}
