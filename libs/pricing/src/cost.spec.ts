import { amortizedCapacityNanosPerMtok, computeCost, estimateCostWithCapacity } from './cost';
import { defaultPriceCatalog } from './price-catalog';

const gpt4oMini = { inputNanosPerMtok: 150_000_000n, outputNanosPerMtok: 600_000_000n, cachedInputNanosPerMtok: 75_000_000n };
const sonnet = { inputNanosPerMtok: 3_000_000_000n, outputNanosPerMtok: 15_000_000_000n, cachedInputNanosPerMtok: 300_000_000n, cacheWriteInputNanosPerMtok: 3_750_000_000n };

describe('computeCost', () => {
  it.each([
    // [description, tokens, prices, expected nano-USD]
    ['zero tokens cost zero', { inputTokens: 0n, outputTokens: 0n }, gpt4oMini, 0n],
    ['1M input tokens cost the input price', { inputTokens: 1_000_000n, outputTokens: 0n }, gpt4oMini, 150_000_000n],
    ['input + output + cached summed exactly', { inputTokens: 1000n, outputTokens: 500n, cachedInputTokens: 2000n }, gpt4oMini, 600_000n],
    // 1 token × 150,000,000 / 1e6 = 150 exactly
    ['one input token', { inputTokens: 1n, outputTokens: 0n }, gpt4oMini, 150n],
    // 1 cached token × 75,000,000 = 75 exactly
    ['one cached token', { inputTokens: 0n, outputTokens: 0n, cachedInputTokens: 1n }, gpt4oMini, 75n],
    // price 1 nano/Mtok: 499,999 tokens → 0.499999 → 0; 500,000 → 0.5 → rounds half up to 1; 1,499,999 → 1
    ['below half rounds down', { inputTokens: 499_999n, outputTokens: 0n }, { inputNanosPerMtok: 1n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n }, 0n],
    ['exactly half rounds up', { inputTokens: 500_000n, outputTokens: 0n }, { inputNanosPerMtok: 1n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n }, 1n],
    ['above half rounds up', { inputTokens: 1_500_001n, outputTokens: 0n }, { inputNanosPerMtok: 1n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n }, 2n],
    // rounding happens once on the sum: 0.3 + 0.3 = 0.6 → 1 (per-class rounding would give 0)
    ['rounds once, on the sum', { inputTokens: 300_000n, outputTokens: 300_000n }, { inputNanosPerMtok: 1n, outputNanosPerMtok: 1n, cachedInputNanosPerMtok: 0n }, 1n],
    // claude-sonnet-4-5: 1,000 cache writes × $3.75 = 3,750,000 nano (not 3,000,000 at the input price)
    ['cache writes at their own price', { inputTokens: 0n, outputTokens: 0n, cacheWriteInputTokens: 1000n }, sonnet, 3_750_000n],
    // 10 in × $3 + 2,000 writes × $3.75 + 5,000 reads × $0.30 + 100 out × $15 = 30,000 + 7,500,000 + 1,500,000 + 1,500,000
    ['all four classes summed exactly', { inputTokens: 10n, outputTokens: 100n, cachedInputTokens: 5000n, cacheWriteInputTokens: 2000n }, sonnet, 10_530_000n],
    // no cache-write price: cache writes cost the input price (150 nano per token)
    ['a missing cache-write price means the input price', { inputTokens: 0n, outputTokens: 0n, cacheWriteInputTokens: 2n }, gpt4oMini, 300n],
    // an explicit 0 is a real price (free), not "missing"
    ['a zero cache-write price is free', { inputTokens: 0n, outputTokens: 0n, cacheWriteInputTokens: 2n }, { ...gpt4oMini, cacheWriteInputNanosPerMtok: 0n }, 0n],
    // one rounding on the sum: 0.25 (input) + 0.4 (writes at 2 nano/Mtok) = 0.65 → 1 (per class: 0 + 0)
    ['cache writes join the single rounding', { inputTokens: 250_000n, outputTokens: 0n, cacheWriteInputTokens: 200_000n }, { inputNanosPerMtok: 1n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n, cacheWriteInputNanosPerMtok: 2n }, 1n],
    ['numbers are accepted', { inputTokens: 2, outputTokens: 3, cachedInputTokens: 0 }, gpt4oMini, 2_100n],
    // claude-opus-4-1: 10k in × $15 + 2k out × $75 = 0.15 + 0.15 = $0.30
    ['opus example', { inputTokens: 10_000n, outputTokens: 2_000n }, { inputNanosPerMtok: 15_000_000_000n, outputNanosPerMtok: 75_000_000_000n, cachedInputNanosPerMtok: 1_500_000_000n }, 300_000_000n],
    // huge counts stay exact (no float): 10^12 tokens × $100,000/Mtok
    ['huge values stay exact', { inputTokens: 1_000_000_000_000n, outputTokens: 0n }, { inputNanosPerMtok: 100_000_000_000_000n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n }, 100_000_000_000_000_000_000n],
  ])('%s', (_name, tokens, prices, expected) => {
    expect(computeCost(tokens, prices)).toBe(expected);
  });

  it.each([
    ['negative input', { inputTokens: -1n, outputTokens: 0n }, /inputTokens must not be negative/],
    ['fractional output', { inputTokens: 0, outputTokens: 1.5 }, /outputTokens must be an integer/],
    ['negative cached', { inputTokens: 0n, outputTokens: 0n, cachedInputTokens: -5n }, /cachedInputTokens must not be negative/],
    ['negative cache writes', { inputTokens: 0n, outputTokens: 0n, cacheWriteInputTokens: -1n }, /cacheWriteInputTokens must not be negative/],
  ])('refuses %s', (_name, tokens, message) => {
    expect(() => computeCost(tokens, gpt4oMini)).toThrow(message);
  });

  it('prices a request from the shipped catalog', () => {
    const price = defaultPriceCatalog().priceAt({ provider: 'openai', model: 'gpt-4o' }, new Date('2026-01-01T00:00:00Z'));
    expect(price).toBeDefined();
    // 1,234 in × $2.50 + 567 out × $10 + 100 cached × $1.25 = 3,085,000 + 5,670,000 + 125,000 nano
    expect(computeCost({ inputTokens: 1234n, outputTokens: 567n, cachedInputTokens: 100n }, price!)).toBe(8_880_000n);
  });

  it('prices Anthropic cache writes at 1.25× input from the shipped catalog', () => {
    const opus = defaultPriceCatalog().priceAt({ provider: 'anthropic', model: 'claude-opus-4-1' }, new Date('2026-01-01T00:00:00Z'))!;
    // 4,000 writes × $18.75 + 100 in × $15 = 75,000,000 + 1,500,000 nano
    expect(computeCost({ inputTokens: 100n, outputTokens: 0n, cacheWriteInputTokens: 4000n }, opus)).toBe(76_500_000n);
  });
});

describe('amortized capacity', () => {
  it.each([
    ['no capacity', { capacityNanosPerHour: 0n, capacityTokensPerHour: 1_000_000n }, 0n],
    ['no throughput', { capacityNanosPerHour: 1_000_000_000n, capacityTokensPerHour: undefined }, 0n],
    // $0.85/h over 5.4M tokens/h = $0.157407.../Mtok → 157,407,407.4 → 157,407,407
    ['qwen example', { capacityNanosPerHour: 850_000_000n, capacityTokensPerHour: 5_400_000n }, 157_407_407n],
    // $1/h over 3M tokens/h = 333,333,333.33 → 333,333,333
    ['rounds half up', { capacityNanosPerHour: 1_000_000_000n, capacityTokensPerHour: 3_000_000n }, 333_333_333n],
  ])('%s', (_name, price, expected) => {
    expect(amortizedCapacityNanosPerMtok(price)).toBe(expected);
  });

  it('adds amortized capacity to a self-hosted estimate', () => {
    const qwen = defaultPriceCatalog().priceAt({ provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' }, new Date('2026-01-01T00:00:00Z'))!;
    expect(computeCost({ inputTokens: 1_000_000n, outputTokens: 0n }, qwen)).toBe(0n);
    expect(estimateCostWithCapacity({ inputTokens: 1_000_000n, outputTokens: 0n }, qwen)).toBe(157_407_407n);
  });
});
