import type { CatalogPrice } from './catalog-price';

/** Tokens of one request (the shape of `common.TokenUsage`; numbers must be safe integers). */
export interface TokenCounts {
  /** Prompt tokens at the full input price (cached ones excluded). */
  inputTokens: bigint | number;
  /** Generated tokens, reasoning included. */
  outputTokens: bigint | number;
  /** Prompt tokens served from the provider's cache. */
  cachedInputTokens?: bigint | number;
  /** Prompt tokens written to the provider's cache (priced at the cache-write price). */
  cacheWriteInputTokens?: bigint | number;
}

/** The per-token prices computeCost needs. */
export type TokenPrices = Pick<CatalogPrice, 'inputNanosPerMtok' | 'outputNanosPerMtok' | 'cachedInputNanosPerMtok' | 'cacheWriteInputNanosPerMtok'>;

/** The cache-write price of a price: its own when set, otherwise the input price (see CatalogPrice). */
export function cacheWriteNanosPerMtok(price: TokenPrices): bigint {
  return price.cacheWriteInputNanosPerMtok ?? price.inputNanosPerMtok;
}

const MILLION = 1_000_000n;
const HALF_MILLION = 500_000n;

function tokenCount(name: string, value: bigint | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  const tokens = BigInt(value);
  if (tokens < 0n) throw new RangeError(`${name} must not be negative, got ${tokens}`);
  return tokens;
}

/**
 * The exact cost of one request in integer nano-USD.
 *
 * Rounding rule: each token class is multiplied by its price in nano-USD per million tokens, the
 * products are summed exactly, and the sum is divided by 1,000,000 ONCE, rounding half up
 * (i.e. to the nearest nano-USD, ties away from zero; all terms are non-negative). Rounding once per
 * request (not per token class) keeps the error below half a nano-USD per request.
 */
export function computeCost(tokens: TokenCounts, price: TokenPrices): bigint {
  const scaled =
    tokenCount('inputTokens', tokens.inputTokens) * price.inputNanosPerMtok +
    tokenCount('outputTokens', tokens.outputTokens) * price.outputNanosPerMtok +
    tokenCount('cachedInputTokens', tokens.cachedInputTokens) * price.cachedInputNanosPerMtok +
    tokenCount('cacheWriteInputTokens', tokens.cacheWriteInputTokens) * cacheWriteNanosPerMtok(price);
  return (scaled + HALF_MILLION) / MILLION;
}

/**
 * A self-hosted price's capacity spread over its expected hourly throughput, in nano-USD per million
 * tokens (rounded half up); 0 when the price has no capacity or no `capacityTokensPerHour`.
 * For routing estimates only: billing attributes actual capacity per hour with `attributeCapacity`.
 */
export function amortizedCapacityNanosPerMtok(price: Pick<CatalogPrice, 'capacityNanosPerHour' | 'capacityTokensPerHour'>): bigint {
  const perHour = price.capacityTokensPerHour ?? 0n;
  if (price.capacityNanosPerHour <= 0n || perHour <= 0n) return 0n;
  return (price.capacityNanosPerHour * MILLION + perHour / 2n) / perHour;
}

/**
 * Expected cost of a request including amortized self-hosted capacity: `computeCost` with every
 * per-token price raised by `amortizedCapacityNanosPerMtok`. Lets a router compare an open-source
 * deployment with a pay-per-token API at its true cost rather than at zero.
 */
export function estimateCostWithCapacity(tokens: TokenCounts, price: CatalogPrice): bigint {
  const capacity = amortizedCapacityNanosPerMtok(price);
  return computeCost(tokens, {
    inputNanosPerMtok: price.inputNanosPerMtok + capacity,
    outputNanosPerMtok: price.outputNanosPerMtok + capacity,
    cachedInputNanosPerMtok: price.cachedInputNanosPerMtok + capacity,
    cacheWriteInputNanosPerMtok: cacheWriteNanosPerMtok(price) + capacity,
  });
}
