import type { PromptClassification } from '@switchyard/classifier';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { chooseRoute, expectedQuality, type ChooseRouteInput, type RouteCandidate, type RouteChoice, type RouteRefusal, type RouteRequestFacts } from './choose-route';
import { parseRoutingPolicy } from './policy-loader';
import type { TaskClassName } from './policy-schema';
import { createPriorQuality } from '../quality-scores';

const catalog = defaultPriceCatalog();
const at = new Date('2026-11-26T00:00:00Z');

const policy = parseRoutingPolicy(`
version: 1
difficultySlope: 3
qualityPriors:
  openai/gpt-4.1: { default: 0.95 }
  openai/gpt-4.1-mini: { default: 0.86, math: 0.8 }
  vllm-qwen/qwen2.5-7b-instruct: { default: 0.8, chat: 0.85 }
  in-house/support-llama-8b-ft: { default: 0.3 }
teams:
  acme:
    models: [openai/gpt-4.1, openai/gpt-4.1-mini, vllm-qwen/*, in-house/support-llama-8b-ft]
    qualityTarget: 0.8
    safetyModels: [openai/gpt-4.1]
    baselineModel: openai/gpt-4.1
    latencyObjectiveMs: 2000
    aliases:
      switchyard/best: { pin: openai/gpt-4.1 }
      switchyard/cheap: { qualityTarget: 0.1 }
    tagOverrides:
      feature:legal: { qualityTarget: 0.97 }
      feature:openai-only: { models: [openai/*] }
    canary:
      - { model: in-house/support-llama-8b-ft, weight: 0.1, taskClasses: [chat] }
  locked:
    models: [openai/gpt-4.1-mini]
    allowPinning: false
`);

function candidate(provider: string, model: string, deployment: string, overrides: Partial<RouteCandidate> = {}, caps: Partial<RouteCandidate['capabilities']> = {}): RouteCandidate {
  return {
    ref: { provider, model, deployment },
    adapter: deployment,
    key: `${provider}/${model}`,
    capabilities: { contextWindowTokens: 128_000, maxOutputTokens: 16_384, tools: true, jsonOutput: true, structuredOutput: true, vision: true, streaming: true, ...caps },
    price: catalog.priceAt({ provider, model, deployment }, at),
    adapterAvailable: true,
    circuit: 'closed',
    ...overrides,
  };
}

const strong = () => candidate('openai', 'gpt-4.1', 'openai-default');
const mini = () => candidate('openai', 'gpt-4.1-mini', 'openai-default');
const qwen = (o: Partial<RouteCandidate> = {}, caps: Partial<RouteCandidate['capabilities']> = {}) =>
  candidate('vllm-qwen', 'qwen2.5-7b-instruct', 'vllm-qwen-l4', o, { contextWindowTokens: 32_768, tools: false, vision: false, ...caps });
const inHouse = () => candidate('in-house', 'support-llama-8b-ft', 'in-house-a100', {}, { tools: false, vision: false });
const unlisted = () => candidate('anthropic', 'claude-sonnet-4-5', 'anthropic-default');
const all = () => [strong(), mini(), qwen(), inHouse(), unlisted()];

function classification(taskClass: TaskClassName, difficulty: number, safetyScore = 0): PromptClassification {
  return { taskClass, difficulty, safetySensitive: safetyScore >= 0.5, safetyScore, expectedOutputTokens: 200, classifierVersion: 'test' };
}

function facts(overrides: Partial<RouteRequestFacts> = {}, routing: Partial<RouteRequestFacts['routing']> = {}): RouteRequestFacts {
  return {
    requestedModel: '',
    estimatedInputTokens: 500,
    needs: { tools: false, jsonOutput: false, structuredOutput: false, vision: false, streaming: false },
    featureTags: [],
    canaryDraw: 0.5,
    ...overrides,
    routing: { disableFallback: false, ...routing },
  };
}

const quality = createPriorQuality(policy);

function route(input: Partial<ChooseRouteInput> & { request?: RouteRequestFacts } = {}): RouteChoice | RouteRefusal {
  const teamId = input.teamId ?? 'acme';
  return chooseRoute({
    teamId,
    policy,
    teamPolicy: policy.teams[teamId]!,
    candidates: input.candidates ?? all(),
    classification: input.classification ?? classification('chat', 0.2),
    request: input.request ?? facts(),
    quality: input.quality ?? quality,
  });
}

function chosen(result: RouteChoice | RouteRefusal): string {
  if (!result.ok) throw new Error(`refused: ${result.kind} ${result.message}`);
  return `${result.tryOrder[0]!.candidate.key} ${result.rule}`;
}

describe('expectedQuality', () => {
  it.each([
    [0.8, 0.5, 0.8],
    [0.8, 0.1, 0.93],
    [0.8, 0.9, 0.55],
    [0.95, 0.9, 0.85],
  ])('score %p at difficulty %p is about %p', (score, difficulty, expected) => {
    expect(expectedQuality(score, difficulty, 3)).toBeCloseTo(expected, 2);
  });
  it('ignores difficulty with slope 0', () => expect(expectedQuality(0.7, 0.99, 0)).toBeCloseTo(0.7, 6));
});

describe('chooseRoute picks by policy', () => {
  const cases: Array<[string, Parameters<typeof route>[0], string]> = [
    ['easy chat goes to the cheap self-hosted model', { classification: classification('chat', 0.1) }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['hard math goes to the strong model', { classification: classification('math', 0.9) }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['medium code goes to the mid model', { classification: classification('code', 0.6) }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['safety-sensitive goes to the safety model', { classification: classification('chat', 0.1, 0.9) }, 'openai/gpt-4.1 safety_override'],
    ['nothing meets the target: highest quality', { classification: classification('math', 0.99), request: facts({}, { qualityTarget: 0.97 }) }, 'openai/gpt-4.1 best_available'],
    ['caller names a model by id', { request: facts({ requestedModel: 'gpt-4.1-mini' }) }, 'openai/gpt-4.1-mini pinned'],
    ['caller names provider/model', { request: facts({ requestedModel: 'openai/gpt-4.1' }) }, 'openai/gpt-4.1 pinned'],
    ['safety outranks a pin', { classification: classification('chat', 0.1, 0.9), request: facts({ requestedModel: 'gpt-4.1-mini' }) }, 'openai/gpt-4.1 safety_override'],
    ['an alias pins', { request: facts({ requestedModel: 'switchyard/best' }) }, 'openai/gpt-4.1 alias'],
    ['an alias lowers the target', { classification: classification('math', 0.9), request: facts({ requestedModel: 'switchyard/cheap' }) }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['a tag override raises the target', { classification: classification('chat', 0.1), request: facts({ featureTags: ['feature:legal'] }) }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['a tag override narrows the models', { classification: classification('chat', 0.1), request: facts({ featureTags: ['x', 'feature:openai-only'] }) }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['circuit open: skipped', { classification: classification('chat', 0.1), candidates: [strong(), mini(), qwen({ circuit: 'open' })] }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['adapter down: skipped', { classification: classification('chat', 0.1), candidates: [strong(), qwen({ adapterAvailable: false, adapterUnavailableReason: 'adapter vllm down' })] }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['slow model excluded by the latency objective', { classification: classification('chat', 0.1), candidates: [strong(), qwen({ p90LatencyMs: 3500 })] }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['caller latency objective', { classification: classification('chat', 0.1), candidates: [strong(), qwen({ p90LatencyMs: 900 })], request: facts({}, { latencyObjectiveMs: 500 }) }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['context window excludes the small model', { classification: classification('chat', 0.1), request: facts({ estimatedInputTokens: 40_000 }) }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['tools exclude the model without tools', { classification: classification('chat', 0.1), request: facts({ needs: { tools: true, jsonOutput: false, structuredOutput: false, vision: false, streaming: false } }) }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['canary draw inside the share', { classification: classification('chat', 0.1), request: facts({ canaryDraw: 0.05 }) }, 'in-house/support-llama-8b-ft canary'],
    ['canary draw outside the share', { classification: classification('chat', 0.1), request: facts({ canaryDraw: 0.15 }) }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['canary only for its task classes', { classification: classification('code', 0.1), request: facts({ canaryDraw: 0.05 }) }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['no canary for safety-sensitive prompts', { classification: classification('chat', 0.1, 0.9), request: facts({ canaryDraw: 0.05 }) }, 'openai/gpt-4.1 safety_override'],
    ['a model rejected by the evaluator is never chosen', { classification: classification('chat', 0.1), candidates: [strong(), mini(), qwen({ evaluatorStatus: 'rejected' })] }, 'openai/gpt-4.1-mini cheapest_meeting_quality'],
    ['a demoted model is skipped while others remain', { classification: classification('chat', 0.1), candidates: [strong(), qwen({ evaluatorStatus: 'demoted' })] }, 'openai/gpt-4.1 cheapest_meeting_quality'],
    ['a demoted model still answers when it is the only one', { classification: classification('chat', 0.1), candidates: [qwen({ evaluatorStatus: 'demoted' })] }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['no canary traffic before the evaluator validated the model', { classification: classification('chat', 0.1), request: facts({ canaryDraw: 0.05 }), candidates: [strong(), qwen(), { ...inHouse(), evaluatorStatus: 'unvalidated' as const }] }, 'vllm-qwen/qwen2.5-7b-instruct cheapest_meeting_quality'],
    ['canary traffic once validated', { classification: classification('chat', 0.1), request: facts({ canaryDraw: 0.05 }), candidates: [strong(), qwen(), { ...inHouse(), evaluatorStatus: 'validated' as const }] }, 'in-house/support-llama-8b-ft canary'],
    ['caller cost cap excludes the expensive models', { classification: classification('math', 0.9), request: facts({}, { maxCostNanosUsd: 200_000n }) }, 'vllm-qwen/qwen2.5-7b-instruct best_available'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(chosen(route(input))).toBe(expected);
  });
});

describe('chooseRoute refuses with the right status', () => {
  const cases: Array<[string, Parameters<typeof route>[0], Partial<RouteRefusal>]> = [
    ['unknown model', { request: facts({ requestedModel: 'gpt-9' }) }, { kind: 'invalid_argument', field: 'model', reason: 'MODEL_UNKNOWN' }],
    ['model not allowed', { request: facts({ requestedModel: 'claude-sonnet-4-5' }) }, { kind: 'permission_denied', reason: 'MODEL_NOT_ALLOWED' }],
    ['pinning disabled', { teamId: 'locked', request: facts({ requestedModel: 'gpt-4.1-mini' }) }, { kind: 'permission_denied', reason: 'MODEL_PINNING_DISABLED' }],
    ['prompt longer than every context window', { request: facts({ estimatedInputTokens: 200_000 }) }, { kind: 'invalid_argument', field: 'messages', reason: 'PROMPT_TOO_LONG' }],
    [
      'tools needed but no model has them',
      { candidates: [qwen(), inHouse()], request: facts({ needs: { tools: true, jsonOutput: false, structuredOutput: false, vision: false, streaming: false } }) },
      { kind: 'invalid_argument', field: 'params.tools' },
    ],
    ['every circuit open', { candidates: [strong(), qwen({ circuit: 'open' })].map((c) => ({ ...c, circuit: 'open' as const })) }, { kind: 'unavailable', reason: 'NO_AVAILABLE_CANDIDATE' }],
    ['catalog empty', { candidates: [] }, { kind: 'unavailable', reason: 'NO_MODELS' }],
    ['cost cap below every model', { candidates: [strong(), mini()], request: facts({}, { maxCostNanosUsd: 1n }) }, { kind: 'invalid_argument', field: 'routing.max_cost_nanos_usd' }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const result = route(input);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject(expected);
  });
});

describe('chooseRoute explains itself', () => {
  it('orders fallbacks: models meeting the target by cost, then the rest by quality; lists exclusions last', () => {
    const result = route({ classification: classification('chat', 0.1), candidates: [strong(), mini(), qwen(), inHouse(), qwen({ ref: { provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'b' }, circuit: 'open' })] });
    if (!result.ok) throw new Error(result.message);
    expect(result.tryOrder.map((s) => s.candidate.key)).toEqual(['vllm-qwen/qwen2.5-7b-instruct', 'openai/gpt-4.1-mini', 'openai/gpt-4.1', 'in-house/support-llama-8b-ft']);
    expect(result.tryOrder.at(-1)!.meetsTarget).toBe(false);
    const last = result.evaluated.at(-1)!;
    expect(last).toMatchObject({ eligible: false, exclusionReason: 'circuit open' });
    expect(result.reason).toMatch(/qwen2.5-7b-instruct is the cheapest model with expected quality 0\.9\d >= 0\.80 for chat/);
    expect(result.policyLabel).toBe('team:acme');
  });

  it('does not list models outside the team policy', () => {
    const result = route();
    if (!result.ok) throw new Error(result.message);
    expect(result.evaluated.map((s) => s.candidate.key)).not.toContain('anthropic/claude-sonnet-4-5');
  });

  it('disables fallback when the caller asks', () => {
    const result = route({ request: facts({}, { disableFallback: true }) });
    if (!result.ok) throw new Error(result.message);
    expect(result.tryOrder).toHaveLength(1);
    expect(result.evaluated.some((s) => s.exclusionReason === 'fallback disabled by the caller')).toBe(true);
  });

  it('relaxes the latency objective when every candidate misses it', () => {
    const result = route({ classification: classification('chat', 0.1), candidates: [strong(), qwen()].map((c) => ({ ...c, p90LatencyMs: 5000 })) });
    if (!result.ok) throw new Error(result.message);
    expect(result.tryOrder).toHaveLength(2);
    expect(result.reason).toContain('latency objective 2000 ms relaxed (every available candidate misses them)');
  });

  it('holds the maximum cost over every candidate it may try', () => {
    const result = route({ classification: classification('math', 0.9), request: facts({ maxOutputTokens: 1000 }) });
    if (!result.ok) throw new Error(result.message);
    // gpt-4.1: 500 in x $2/M + 1000 out x $8/M = $0.009 = 9,000,000 nano-USD
    expect(result.estimatedMaxCostNanos).toBe(9_000_000n);
  });

  it('holds the prompt at the cache-write price when it is dearer than input (the upstream may write it all to its cache)', () => {
    const base = strong();
    const cachingStrong = { ...base, price: { ...base.price!, cacheWriteInputNanosPerMtok: 2_500_000_000n } };
    const result = route({ classification: classification('math', 0.9), request: facts({ maxOutputTokens: 1000 }), candidates: [cachingStrong] });
    if (!result.ok) throw new Error(result.message);
    // 500 in x $2.50/M (cache write, not $2 input) + 1000 out x $8/M = 1,250,000 + 8,000,000 nano-USD
    expect(result.estimatedMaxCostNanos).toBe(9_250_000n);
  });

  it('labels tag overrides in the policy', () => {
    const result = route({ request: facts({ featureTags: ['feature:legal'] }) });
    if (!result.ok) throw new Error(result.message);
    expect(result.policyLabel).toBe('team:acme tag:feature:legal');
    expect(result.qualityTarget).toBe(0.97);
  });
});
