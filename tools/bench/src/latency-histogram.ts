/**
 * A latency histogram with bounded memory and 0.05 % relative precision (HdrHistogram's layout,
 * simplified): values are microseconds; below 4,096 µs every microsecond has its own bucket, above
 * that each power of two is split into 2,048 buckets — fine enough to tell a 300 ms time to first
 * token from one 0.2 ms later. A run of any length costs 57,344 counters (224 KiB).
 */

const SUB_BUCKETS = 2048;
const SUB_BITS = 11; // log2(SUB_BUCKETS)
const LINEAR_LIMIT = 2 * SUB_BUCKETS; // 4,096 µs: one bucket per microsecond below this
const MAX_SHIFT = 26; // values up to 2^31 µs (about 36 minutes) are kept; larger ones land in the last bucket
const BUCKETS = LINEAR_LIMIT + MAX_SHIFT * SUB_BUCKETS;

/** Percentiles of one histogram, milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Records latencies and answers percentile queries. */
export interface LatencyHistogram {
  /** Records one value in milliseconds (negative values count as 0). */
  record(ms: number): void;
  /** How many values were recorded. */
  readonly count: number;
  /** The value at `quantile` (0..1), milliseconds: the upper edge of the bucket that holds it. */
  quantile(quantile: number): number;
  /** count, mean, p50, p90, p99, p99.9 and max, milliseconds. */
  summary(): LatencySummary;
  /** Adds another histogram's counts to this one. */
  merge(other: LatencyHistogram): void;
  /** The raw bucket counts (for merge). */
  readonly buckets: Float64Array;
}

function bucketOf(micros: number): number {
  if (micros < LINEAR_LIMIT) return micros;
  const shift = Math.min(MAX_SHIFT, 31 - Math.clz32(micros) - SUB_BITS);
  const index = LINEAR_LIMIT + (shift - 1) * SUB_BUCKETS + ((micros >>> shift) - SUB_BUCKETS);
  return Math.min(index, BUCKETS - 1);
}

/** The largest value (µs) that lands in `index`. */
function bucketUpperMicros(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const shift = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 1;
  const sub = ((index - LINEAR_LIMIT) % SUB_BUCKETS) + SUB_BUCKETS;
  return ((sub + 1) << shift) - 1;
}

/** Creates an empty histogram. */
export function createLatencyHistogram(): LatencyHistogram {
  const buckets = new Float64Array(BUCKETS);
  let count = 0;
  let sumMs = 0;
  let maxMs = 0;
  const histogram: LatencyHistogram = {
    buckets,
    get count() {
      return count;
    },
    record(ms) {
      const value = ms > 0 ? ms : 0;
      // Math.min keeps huge values inside the int32 range that clz32 handles.
      buckets[bucketOf(Math.min(2 ** 31 - 1, Math.round(value * 1000)))]! += 1;
      count++;
      sumMs += value;
      if (value > maxMs) maxMs = value;
    },
    quantile(quantile) {
      if (count === 0) return NaN;
      const rank = Math.max(1, Math.ceil(quantile * count));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += buckets[i]!;
        if (seen >= rank) return Math.min(bucketUpperMicros(i) / 1000, maxMs);
      }
      return maxMs;
    },
    summary() {
      return {
        count,
        mean: count === 0 ? NaN : sumMs / count,
        p50: histogram.quantile(0.5),
        p90: histogram.quantile(0.9),
        p99: histogram.quantile(0.99),
        p999: histogram.quantile(0.999),
        max: count === 0 ? NaN : maxMs,
      };
    },
    merge(other) {
      for (let i = 0; i < BUCKETS; i++) buckets[i]! += other.buckets[i]!;
      count += other.count;
      const otherSummary = other.summary();
      if (other.count > 0) {
        sumMs += otherSummary.mean * other.count;
        if (otherSummary.max > maxMs) maxMs = otherSummary.max;
      }
    },
  };
  return histogram;
}
