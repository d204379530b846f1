/** Observed latency per deployment model: a sliding window of successful attempts and its p90. */
export interface LatencyTracker {
  /** Records one successful attempt's duration, ms. */
  record(key: string, ms: number): void;
  /** The observed p90, ms, once `minSamples` exist; undefined before. */
  p90(key: string): number | undefined;
}

/** Options for createLatencyTracker. */
export interface LatencyTrackerOptions {
  /** Samples kept per key; default 200. */
  window?: number;
  /** Samples needed before a p90 is reported; default 20. */
  minSamples?: number;
}

interface Series {
  samples: Float64Array;
  count: number;
  next: number;
  p90?: number;
  dirty: number;
}

/**
 * Creates a latency tracker. The p90 is recomputed on record (every few samples), never on the
 * decision path, which only reads a cached number.
 */
export function createLatencyTracker(options: LatencyTrackerOptions = {}): LatencyTracker {
  const window = options.window ?? 200;
  const minSamples = options.minSamples ?? 20;
  const series = new Map<string, Series>();
  const recompute = (s: Series) => {
    const sorted = Array.from(s.samples.subarray(0, s.count)).sort((a, b) => a - b);
    s.p90 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)];
    s.dirty = 0;
  };
  return {
    record(key, ms) {
      let s = series.get(key);
      if (!s) {
        s = { samples: new Float64Array(window), count: 0, next: 0, dirty: 0 };
        series.set(key, s);
      }
      s.samples[s.next] = ms;
      s.next = (s.next + 1) % window;
      if (s.count < window) s.count++;
      s.dirty++;
      if (s.count >= minSamples && (s.p90 === undefined || s.dirty >= Math.max(1, Math.floor(window / 20)))) recompute(s);
    },
    p90(key) {
      const s = series.get(key);
      return s && s.count >= minSamples ? s.p90 : undefined;
    },
  };
}
