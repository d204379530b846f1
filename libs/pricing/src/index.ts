/**
 * @switchyard/pricing — the versioned price catalog (data in `catalog/prices.json`) and exact
 * integer nano-USD cost arithmetic: per-request cost with one documented rounding step, and
 * largest-remainder attribution of self-hosted capacity cost.
 */
export type { CatalogCapabilities, CatalogPrice, ModelKey } from './catalog-price';
export { describeModelKey, priceKey } from './catalog-price';
export {
  createPriceCatalog,
  defaultPriceCatalog,
  MAX_CAPACITY_NANOS_PER_HOUR,
  MAX_NANOS_PER_MTOK,
  parsePriceCatalogFile,
  PriceCatalogError,
  priceCatalogFileSchema,
  type PriceCatalog,
  type PriceCatalogFile,
  type PriceCatalogOptions,
} from './price-catalog';
export { findEffectiveRangeViolations, type EffectiveRange, type EffectiveRangeViolation } from './effective-ranges';
export { amortizedCapacityNanosPerMtok, cacheWriteNanosPerMtok, computeCost, estimateCostWithCapacity, type TokenCounts, type TokenPrices } from './cost';
export { attributeCapacity } from './capacity-attribution';
export { formatNanosAsUsd, NANOS_PER_USD, parseUsdToNanos } from './usd-amount';
