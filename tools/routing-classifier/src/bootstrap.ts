/**
 * Bootstrap resampling as per-row multiplicities: a resample of n rows drawn with replacement is a
 * vector of counts summing to n, which the weighted metric functions take directly.
 */
import { createSeededRandom } from './seeded-random';

/** A 95 % percentile interval. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Yields `resamples` count vectors over `rows` rows, deterministic for a seed. */
export function* bootstrapWeights(rows: number, resamples: number, seed: number): Generator<Float64Array> {
  const random = createSeededRandom(seed);
  const counts = new Float64Array(rows);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let k = 0; k < rows; k++) counts[Math.floor(random() * rows)]++;
    yield counts;
  }
}

/** The 2.5 % and 97.5 % percentiles of `values` (nearest rank). */
export function percentileInterval(values: readonly number[]): Interval {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  return { low: at(0.025), high: at(0.975) };
}
