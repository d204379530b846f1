/**
 * chooseRoute: the routing decision as a pure function of the candidates, the classification, the
 * team's policy, expected quality, observed latency and circuit state. No I/O, no clock, no
 * randomness (the canary draw comes in with the request), so it is table-tested and benchmarked.
 */
import type { PromptClassification } from '@switchyard/classifier';
import { cacheWriteNanosPerMtok, computeCost, estimateCostWithCapacity, type CatalogPrice } from '@switchyard/pricing';
import { anyModelMatches, type RoutingOverride, type RoutingPolicy, type TaskClassName, type TeamPolicy } from './policy-schema';

/** What a model can do, as its adapter reports it. */
export interface CandidateCapabilities {
  contextWindowTokens: number;
  maxOutputTokens: number;
  tools: boolean;
  jsonOutput: boolean;
  structuredOutput: boolean;
  vision: boolean;
  streaming: boolean;
}

/** A deployment's circuit as the router sees it at decision time. */
export type CircuitView = 'closed' | 'open' | 'half_open';

/** One model at one deployment, as the catalog knows it. */
export interface RouteCandidate {
  ref: { provider: string; model: string; deployment: string };
  /** The configured adapter that serves it (a config label, never a routing rule). */
  adapter: string;
  /** `provider/model`: what policies and quality tables name. */
  key: string;
  capabilities: CandidateCapabilities;
  /** Catalog price (or the adapter's configured one); a model without a price is never chosen. */
  price: CatalogPrice | undefined;
  /** False when the adapter is not answering. */
  adapterAvailable: boolean;
  adapterUnavailableReason?: string;
  /** `open` only while the circuit waits; an open circuit due for a probe is reported `closed`. */
  circuit: CircuitView;
  /** Observed p90 latency, ms, once enough samples exist. */
  p90LatencyMs?: number;
  /** The evaluator's standing of the model; undefined when no evaluator is configured or it has not answered. */
  evaluatorStatus?: 'unvalidated' | 'validated' | 'rejected' | 'demoted';
}

/** Expected quality per model and task class: the evaluator's measurement when it has one, else a prior. */
export interface QualityLookup {
  lookup(key: string, taskClass: TaskClassName): { score: number; source: 'evaluator' | 'prior' };
}

/** The request facts routing needs (no prompt text). */
export interface RouteRequestFacts {
  /** `''`, an alias, a model id, or `provider/model`. */
  requestedModel: string;
  /** Typical prompt tokens: context-window checks and expected cost. */
  estimatedInputTokens: number;
  /** An upper bound on prompt tokens: the input side of the budget hold (default: estimatedInputTokens). */
  maxInputTokens?: number;
  /** The caller's max_output_tokens, if set. */
  maxOutputTokens?: number;
  needs: { tools: boolean; jsonOutput: boolean; structuredOutput: boolean; vision: boolean; streaming: boolean };
  featureTags: readonly string[];
  routing: { qualityTarget?: number; maxCostNanosUsd?: bigint; latencyObjectiveMs?: number; disableFallback: boolean };
  /** Uniform in [0, 1), derived from the request id, for canary shares. */
  canaryDraw: number;
}

/** Everything chooseRoute looks at. */
export interface ChooseRouteInput {
  teamId: string;
  policy: RoutingPolicy;
  teamPolicy: TeamPolicy;
  candidates: readonly RouteCandidate[];
  classification: PromptClassification;
  request: RouteRequestFacts;
  quality: QualityLookup;
}

/** How the router judged one candidate. */
export interface CandidateScore {
  candidate: RouteCandidate;
  eligible: boolean;
  exclusionReason: string;
  expectedQuality: number;
  qualitySource: 'evaluator' | 'prior';
  expectedCostNanos: bigint;
  meetsTarget: boolean;
}

/** A route: the chosen candidate first, then the fallbacks in order. */
export interface RouteChoice {
  ok: true;
  rule: string;
  reason: string;
  /** e.g. `team:acme tag:feature:legal`. */
  policyLabel: string;
  /** Candidates to try, in order; the first is the choice. */
  tryOrder: CandidateScore[];
  /** Every candidate considered: tryOrder, then the excluded ones. */
  evaluated: CandidateScore[];
  qualityTarget: number;
  safetySensitive: boolean;
  /** The most a request could cost on any candidate in tryOrder, nano-USD (held against the budget). */
  estimatedMaxCostNanos: bigint;
}

/** Why no route exists; the router turns it into a gRPC status at the boundary. */
export interface RouteRefusal {
  ok: false;
  kind: 'invalid_argument' | 'permission_denied' | 'unavailable' | 'failed_precondition';
  /** The request field at fault, for INVALID_ARGUMENT. */
  field?: string;
  message: string;
  /** ErrorInfo reason, UPPER_SNAKE. */
  reason: string;
}

/** The alias that means "let the router choose". */
export const AUTO_ALIAS = 'switchyard/auto';

/** Expected quality of a model with measured/prior score `score` on a prompt of `difficulty` (logistic, see docs/router.md). */
export function expectedQuality(score: number, difficulty: number, slope: number): number {
  const s = score < 0.001 ? 0.001 : score > 0.999 ? 0.999 : score;
  const z = Math.log(s / (1 - s)) + slope * (0.5 - difficulty);
  return 1 / (1 + Math.exp(-z));
}

interface EffectivePolicy {
  allowLists: (readonly string[])[];
  qualityTarget: number;
  latencyObjectiveMs?: number;
  safetyModels: readonly string[];
  maxCostNanos?: bigint;
  pin?: { model: string; rule: 'tag_override' | 'alias'; source: string };
  labels: string[];
}

function applyOverride(effective: EffectivePolicy, override: RoutingOverride, rule: 'tag_override' | 'alias', source: string): void {
  if (override.models) effective.allowLists.push(override.models);
  if (override.qualityTarget !== undefined) effective.qualityTarget = override.qualityTarget;
  if (override.latencyObjectiveMs !== undefined) effective.latencyObjectiveMs = override.latencyObjectiveMs;
  if (override.safetyModels) effective.safetyModels = override.safetyModels;
  if (override.maxCostNanosUsd !== undefined) effective.maxCostNanos = minBig(effective.maxCostNanos, BigInt(override.maxCostNanosUsd));
  if (override.pin) effective.pin = { model: override.pin, rule, source };
}

function minBig(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}

const fmt = (value: number) => value.toFixed(2);

function refuse(kind: RouteRefusal['kind'], message: string, reason: string, field?: string): RouteRefusal {
  return { ok: false, kind, message, reason, field };
}

/** Chooses the route for one request, or says why there is none. */
export function chooseRoute(input: ChooseRouteInput): RouteChoice | RouteRefusal {
  const { teamPolicy, policy, classification, request } = input;
  const taskClass = classification.taskClass as TaskClassName;
  const effective: EffectivePolicy = {
    allowLists: [teamPolicy.models],
    qualityTarget: teamPolicy.qualityTarget,
    latencyObjectiveMs: teamPolicy.latencyObjectiveMs,
    safetyModels: teamPolicy.safetyModels,
    maxCostNanos: teamPolicy.maxCostNanosUsd === undefined ? undefined : BigInt(teamPolicy.maxCostNanosUsd),
    labels: [`team:${input.teamId}`],
  };
  if (request.featureTags.length > 0) {
    for (const tag of Object.keys(teamPolicy.tagOverrides)) {
      if (!request.featureTags.includes(tag)) continue;
      applyOverride(effective, teamPolicy.tagOverrides[tag]!, 'tag_override', `tag ${tag}`);
      effective.labels.push(`tag:${tag}`);
    }
  }

  // What did the caller ask for: automatic routing, an alias, or a concrete model?
  const requested = request.requestedModel;
  let pinnedByCaller: string | undefined;
  if (requested === '' || requested === AUTO_ALIAS) {
    const auto = Object.hasOwn(teamPolicy.aliases, AUTO_ALIAS) ? teamPolicy.aliases[AUTO_ALIAS] : undefined;
    if (auto) applyOverride(effective, auto, 'alias', `alias ${AUTO_ALIAS}`);
  } else if (Object.hasOwn(teamPolicy.aliases, requested)) {
    applyOverride(effective, teamPolicy.aliases[requested]!, 'alias', `alias ${requested}`);
    effective.labels.push(`alias:${requested}`);
  } else {
    pinnedByCaller = requested;
  }

  // The caller's hints apply within the policy.
  if (request.routing.qualityTarget !== undefined) effective.qualityTarget = request.routing.qualityTarget;
  if (request.routing.latencyObjectiveMs !== undefined) effective.latencyObjectiveMs = request.routing.latencyObjectiveMs;
  if (request.routing.maxCostNanosUsd !== undefined) effective.maxCostNanos = minBig(effective.maxCostNanos, request.routing.maxCostNanosUsd);

  const isAllowed = (key: string) => {
    for (const list of effective.allowLists) if (!anyModelMatches(list, key)) return false;
    return true;
  };
  const safetySensitive =
    teamPolicy.safetyThreshold !== undefined ? classification.safetyScore >= teamPolicy.safetyThreshold : classification.safetySensitive;
  const safetyApplies = safetySensitive && effective.safetyModels.length > 0;

  // Which candidates are in play.
  let pool: RouteCandidate[];
  let pinRule: 'pinned' | 'tag_override' | 'alias' | undefined;
  let pinNote = '';
  let pinTarget = pinnedByCaller ?? effective.pin?.model;
  if (pinnedByCaller !== undefined) {
    const matches = input.candidates.filter((c) => c.ref.model === pinnedByCaller || c.key === pinnedByCaller);
    if (matches.length === 0) {
      return refuse('invalid_argument', `unknown model "${pinnedByCaller}": no adapter serves it and it is not an alias of this team`, 'MODEL_UNKNOWN', 'model');
    }
    if (!teamPolicy.allowPinning) {
      return refuse('permission_denied', `team ${input.teamId}'s policy does not allow naming a model; use ${AUTO_ALIAS} or an alias`, 'MODEL_PINNING_DISABLED');
    }
    pool = matches.filter((c) => isAllowed(c.key));
    if (pool.length === 0) {
      return refuse('permission_denied', `team ${input.teamId} may not use ${matches[0]!.key}`, 'MODEL_NOT_ALLOWED');
    }
    pinRule = 'pinned';
  } else if (effective.pin) {
    pool = input.candidates.filter((c) => c.key === effective.pin!.model && isAllowed(c.key));
    pinRule = effective.pin.rule;
    pinNote = effective.pin.source;
    if (pool.length === 0) return refuse('unavailable', `${effective.pin.source} pins ${effective.pin.model}, which no adapter serves`, 'NO_MODELS');
  } else {
    pool = input.candidates.filter((c) => isAllowed(c.key));
  }
  // Safety outranks a pin: a sensitive prompt goes only to the safety models.
  if (pinRule && safetyApplies && !pool.some((c) => anyModelMatches(effective.safetyModels, c.key))) {
    pinNote = `${pinRule === 'pinned' ? 'the named model' : pinNote} ${pinTarget} is not a safety model`;
    pinRule = undefined;
    pinTarget = undefined;
    pool = input.candidates.filter((c) => isAllowed(c.key));
  }
  if (pool.length === 0) {
    return refuse('unavailable', `no model allowed for team ${input.teamId} is served by any adapter (is the catalog loaded?)`, 'NO_MODELS');
  }

  // Score every candidate and record the first reason that excludes it.
  const estIn = request.estimatedInputTokens;
  const expectedOut = Math.max(1, request.maxOutputTokens !== undefined ? Math.min(request.maxOutputTokens, classification.expectedOutputTokens) : classification.expectedOutputTokens);
  const slope = policy.difficultySlope;
  const target = effective.qualityTarget;
  const scores: CandidateScore[] = [];
  const latencyOnly: CandidateScore[] = [];
  let staticPass = 0;
  let costPass = 0;
  for (const candidate of pool) {
    const caps = candidate.capabilities;
    const q = input.quality.lookup(candidate.key, taskClass);
    const quality = expectedQuality(q.score, classification.difficulty, slope);
    const cost = candidate.price ? estimateCostWithCapacity({ inputTokens: estIn, outputTokens: expectedOut }, candidate.price) : 0n;
    let reason = '';
    let kind: 'static' | 'cost' | 'dynamic' | 'latency' | '' = '';
    const minOutput = request.maxOutputTokens ?? 1;
    if (estIn + minOutput > caps.contextWindowTokens) reason = `context window ${caps.contextWindowTokens} < ${estIn + minOutput} tokens`;
    else if (request.needs.tools && !caps.tools) reason = 'no tool calling';
    else if (request.needs.structuredOutput && !caps.structuredOutput) reason = 'no structured (JSON schema) output';
    else if (request.needs.jsonOutput && !caps.jsonOutput) reason = 'no JSON output';
    else if (request.needs.vision && !caps.vision) reason = 'no image input';
    else if (request.needs.streaming && !caps.streaming) reason = 'no streaming';
    else if (request.maxOutputTokens !== undefined && request.maxOutputTokens > caps.maxOutputTokens) reason = `max output ${caps.maxOutputTokens} < ${request.maxOutputTokens} requested`;
    else if (safetyApplies && !anyModelMatches(effective.safetyModels, candidate.key)) reason = 'not a safety model (the prompt is safety-sensitive)';
    else if (!candidate.price) reason = `no price for ${candidate.key} in the catalog`;
    else if (candidate.evaluatorStatus === 'rejected') reason = "rejected by the evaluator's validation gate";
    if (reason) kind = 'static';
    else {
      staticPass++;
      if (effective.maxCostNanos !== undefined && cost > effective.maxCostNanos) {
        reason = `expected cost ${cost} > cap ${effective.maxCostNanos} nano-USD`;
        kind = 'cost';
      } else {
        costPass++;
        if (!candidate.adapterAvailable) reason = candidate.adapterUnavailableReason || 'adapter not answering';
        else if (candidate.circuit === 'open') reason = 'circuit open';
        else if (candidate.circuit === 'half_open') reason = 'circuit half-open (a probe is in flight)';
        else if (candidate.evaluatorStatus === 'demoted') {
          reason = 'demoted by the evaluator (online scores below its threshold)';
          kind = 'latency';
        } else if (effective.latencyObjectiveMs !== undefined && candidate.p90LatencyMs !== undefined && candidate.p90LatencyMs > effective.latencyObjectiveMs) {
          reason = `observed p90 ${Math.round(candidate.p90LatencyMs)} ms > objective ${effective.latencyObjectiveMs} ms`;
          kind = 'latency';
        }
        if (reason && !kind) kind = 'dynamic';
      }
    }
    const score: CandidateScore = {
      candidate,
      eligible: reason === '',
      exclusionReason: reason,
      expectedQuality: quality,
      qualitySource: q.source,
      expectedCostNanos: cost,
      meetsTarget: quality >= target,
    };
    if (kind === 'latency') latencyOnly.push(score);
    scores.push(score);
  }

  let eligible = scores.filter((s) => s.eligible);
  let latencyNote = '';
  if (eligible.length === 0 && latencyOnly.length > 0) {
    // Soft exclusions (latency objective, evaluator demotion): when every available candidate has one, they are relaxed, not fatal.
    const limits = new Set(latencyOnly.map((x) => (x.exclusionReason.startsWith('demoted') ? 'evaluator demotions' : `latency objective ${effective.latencyObjectiveMs} ms`)));
    latencyNote = `; ${[...limits].join(' and ')} relaxed (every available candidate misses them)`;
    for (const s of latencyOnly) {
      s.eligible = true;
      s.exclusionReason = '';
    }
    eligible = latencyOnly;
  }
  if (eligible.length === 0) return explainNoCandidate(input, scores, staticPass, costPass, estIn, request, effective);

  eligible.sort(compareForTry);
  let chosen = eligible[0]!;
  let rule: string;
  let reason: string;
  const labelOf = (s: CandidateScore) => s.candidate.key;
  const context = `for ${taskClass} (difficulty ${fmt(classification.difficulty)})`;
  if (pinRule) {
    rule = pinRule;
    reason =
      pinRule === 'pinned'
        ? `the caller named ${pinTarget} and team ${input.teamId}'s policy allows it (expected quality ${fmt(chosen.expectedQuality)})`
        : `${pinNote} pins ${pinTarget} (expected quality ${fmt(chosen.expectedQuality)})`;
  } else {
    const canary = pickCanary(teamPolicy, request.canaryDraw, taskClass, safetySensitive, eligible);
    if (canary) {
      chosen = canary.score;
      rule = 'canary';
      reason = `canary share ${Math.round(canary.weight * 1000) / 10}% for ${labelOf(chosen)} (draw ${request.canaryDraw.toFixed(3)}, expected quality ${fmt(chosen.expectedQuality)})`;
    } else if (safetyApplies) {
      rule = 'safety_override';
      reason = `the prompt is safety-sensitive (score ${fmt(classification.safetyScore)}), so only ${effective.safetyModels.join(', ')} may answer; ${labelOf(chosen)} ${
        chosen.meetsTarget ? `is the cheapest with expected quality ${fmt(chosen.expectedQuality)} >= ${fmt(target)}` : `has the highest expected quality ${fmt(chosen.expectedQuality)}`
      }${pinNote ? ` (${pinNote})` : ''}`;
    } else if (chosen.meetsTarget) {
      rule = 'cheapest_meeting_quality';
      reason = `${labelOf(chosen)} is the cheapest model with expected quality ${fmt(chosen.expectedQuality)} >= ${fmt(target)} ${context}`;
    } else {
      rule = 'best_available';
      reason = `no model reaches quality ${fmt(target)} ${context}; ${labelOf(chosen)} has the highest expected quality ${fmt(chosen.expectedQuality)}`;
    }
  }
  reason += latencyNote;

  const tryOrder = request.routing.disableFallback ? [chosen] : [chosen, ...eligible.filter((s) => s !== chosen)];
  const excluded = scores.filter((s) => !s.eligible);
  const notTried = request.routing.disableFallback ? eligible.filter((s) => s !== chosen) : [];
  for (const s of notTried) s.exclusionReason = 'fallback disabled by the caller';

  // The hold: the input's upper bound, and the most output the caller allows (or the team reserves).
  // The prompt is held at the dearer of the input and cache-write prices: an upstream with prompt
  // caching (Anthropic, 1.25× input) may bill all of it as a cache write.
  const maxIn = Math.max(estIn, request.maxInputTokens ?? estIn);
  let maxCost = 0n;
  for (const s of tryOrder) {
    const caps = s.candidate.capabilities;
    const maxOut = request.maxOutputTokens ?? Math.max(1, Math.min(caps.maxOutputTokens, teamPolicy.reserveOutputTokens, caps.contextWindowTokens - estIn));
    const price = s.candidate.price!;
    const prompt = cacheWriteNanosPerMtok(price) > price.inputNanosPerMtok ? { inputTokens: 0, cacheWriteInputTokens: maxIn } : { inputTokens: maxIn };
    const cost = computeCost({ ...prompt, outputTokens: maxOut }, price);
    if (cost > maxCost) maxCost = cost;
  }

  return {
    ok: true,
    rule,
    reason,
    policyLabel: effective.labels.join(' '),
    tryOrder,
    evaluated: [...tryOrder, ...notTried, ...excluded],
    qualityTarget: target,
    safetySensitive,
    estimatedMaxCostNanos: maxCost,
  };
}

/** Try order: models meeting the target by cost (then quality), then the rest by quality (then cost). */
function compareForTry(a: CandidateScore, b: CandidateScore): number {
  if (a.meetsTarget !== b.meetsTarget) return a.meetsTarget ? -1 : 1;
  if (a.meetsTarget) {
    if (a.expectedCostNanos !== b.expectedCostNanos) return a.expectedCostNanos < b.expectedCostNanos ? -1 : 1;
    return b.expectedQuality - a.expectedQuality;
  }
  if (a.expectedQuality !== b.expectedQuality) return b.expectedQuality - a.expectedQuality;
  return a.expectedCostNanos < b.expectedCostNanos ? -1 : a.expectedCostNanos > b.expectedCostNanos ? 1 : 0;
}

function pickCanary(
  teamPolicy: TeamPolicy,
  draw: number,
  taskClass: TaskClassName,
  safetySensitive: boolean,
  eligible: readonly CandidateScore[],
): { score: CandidateScore; weight: number } | undefined {
  if (safetySensitive || teamPolicy.canary.length === 0) return undefined;
  let cumulative = 0;
  for (const share of teamPolicy.canary) {
    const applies = !share.taskClasses || share.taskClasses.length === 0 || share.taskClasses.includes(taskClass);
    if (!applies) continue;
    const start = cumulative;
    cumulative += share.weight;
    if (draw >= start && draw < cumulative) {
      // With an evaluator, a canary gets traffic only once it passed the validation gate.
      const score = eligible.find((s) => s.candidate.key === share.model && (s.candidate.evaluatorStatus === undefined || s.candidate.evaluatorStatus === 'validated'));
      return score ? { score, weight: share.weight } : undefined;
    }
  }
  return undefined;
}

function explainNoCandidate(
  input: ChooseRouteInput,
  scores: readonly CandidateScore[],
  staticPass: number,
  costPass: number,
  estIn: number,
  request: RouteRequestFacts,
  effective: EffectivePolicy,
): RouteRefusal {
  const pool = scores.map((s) => s.candidate);
  const summary = scores
    .slice(0, 8)
    .map((s) => `${s.candidate.key}@${s.candidate.ref.deployment}: ${s.exclusionReason}`)
    .join('; ');
  if (staticPass === 0) {
    const needs = request.needs;
    const checks: Array<[boolean, (c: RouteCandidate) => boolean, string, string]> = [
      [needs.tools, (c) => c.capabilities.tools, 'params.tools', 'supports tool calling'],
      [needs.structuredOutput, (c) => c.capabilities.structuredOutput, 'params.response_format', 'supports JSON-schema output'],
      [needs.jsonOutput, (c) => c.capabilities.jsonOutput, 'params.response_format', 'supports JSON output'],
      [needs.vision, (c) => c.capabilities.vision, 'messages', 'accepts images'],
      [needs.streaming, (c) => c.capabilities.streaming, 'model', 'supports streaming'],
      [request.maxOutputTokens !== undefined, (c) => c.capabilities.maxOutputTokens >= (request.maxOutputTokens ?? 0), 'params.max_output_tokens', `allows ${request.maxOutputTokens} output tokens`],
    ];
    for (const [needed, has, field, what] of checks) {
      if (needed && !pool.some(has)) return refuse('invalid_argument', `no model team ${input.teamId} may use ${what}`, 'NO_CAPABLE_MODEL', field);
    }
    const minOutput = request.maxOutputTokens ?? 1;
    if (!pool.some((c) => estIn + minOutput <= c.capabilities.contextWindowTokens)) {
      const largest = Math.max(...pool.map((c) => c.capabilities.contextWindowTokens));
      return refuse(
        'invalid_argument',
        `the prompt (about ${estIn} tokens${request.maxOutputTokens !== undefined ? ` plus ${request.maxOutputTokens} output tokens` : ''}) is longer than every candidate's context window (largest: ${largest} tokens)`,
        'PROMPT_TOO_LONG',
        'messages',
      );
    }
    return refuse('invalid_argument', `no model team ${input.teamId} may use satisfies this request: ${summary}`, 'NO_CAPABLE_MODEL', 'params');
  }
  if (costPass === 0) {
    if (request.routing.maxCostNanosUsd !== undefined && effective.maxCostNanos === request.routing.maxCostNanosUsd) {
      return refuse('invalid_argument', `no model's expected cost fits under ${request.routing.maxCostNanosUsd} nano-USD: ${summary}`, 'COST_CAP', 'routing.max_cost_nanos_usd');
    }
    return refuse('failed_precondition', `no model's expected cost fits under the policy's cap of ${effective.maxCostNanos} nano-USD`, 'COST_CAP');
  }
  return refuse('unavailable', `every candidate is unavailable: ${summary}`, 'NO_AVAILABLE_CANDIDATE');
}
