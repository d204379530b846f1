import type { AdapterPool } from './adapter-pool';
import type { LatencyTracker } from './latency-tracker';
import type { ModelCatalog } from './model-catalog';
import type { RouteCandidate } from './policy/choose-route';
import type { PriceSource } from './price-source';
import type { QualityScores } from './quality-scores';

/** The latency-series key of a deployment model. */
export const latencyKey = (ref: { provider: string; model: string; deployment: string }) => `${ref.provider}/${ref.model}@${ref.deployment}`;

/** The live inputs candidates are built from. */
export interface CandidateSources {
  catalog: ModelCatalog;
  pool: Pick<AdapterPool, 'circuit'>;
  latency: LatencyTracker;
  prices: PriceSource;
  /** The evaluator's model statuses (validation gate, demotion), when an evaluator is configured. */
  quality?: Pick<QualityScores, 'status'>;
}

/**
 * Every catalog model as a routing candidate at `now`: price from the price source (the adapter's
 * own price only when the catalog has none), adapter liveness, circuit state, observed p90 and the
 * evaluator's standing.
 */
export function buildCandidates(sources: CandidateSources, now: Date): RouteCandidate[] {
  const statuses = new Map(sources.catalog.adapters().map((s) => [s.name, s]));
  return sources.catalog.entries().map((entry) => {
    const status = statuses.get(entry.adapter);
    return {
      ref: entry.ref,
      adapter: entry.adapter,
      key: entry.key,
      capabilities: entry.capabilities,
      price: sources.prices.priceAt(entry.ref, now) ?? entry.adapterPrice,
      adapterAvailable: status?.up ?? false,
      adapterUnavailableReason: status?.error,
      circuit: sources.pool.circuit(entry.ref.deployment),
      p90LatencyMs: sources.latency.p90(latencyKey(entry.ref)),
      evaluatorStatus: sources.quality?.status(entry.key),
    };
  });
}
