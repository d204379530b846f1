/** Sufficient statistics of a set of scores in [0, 1]. */
export interface ScoreSummary {
  n: number;
  sum: number;
  sumSq: number;
  /** Every score is 0 or 1. */
  allBinary: boolean;
}

/** A mean with its 95% confidence interval, all in [0, 1] (the delta of two means in [-1, 1]). */
export interface Interval {
  mean: number;
  ciLow: number;
  ciHigh: number;
}

const Z95 = 1.959963984540054;

/** The empty summary. */
export const EMPTY_SUMMARY: ScoreSummary = { n: 0, sum: 0, sumSq: 0, allBinary: true };

/** Summarises scores. */
export function summarize(scores: readonly number[]): ScoreSummary {
  let sum = 0;
  let sumSq = 0;
  let allBinary = true;
  for (const score of scores) {
    sum += score;
    sumSq += score * score;
    if (score !== 0 && score !== 1) allBinary = false;
  }
  return { n: scores.length, sum, sumSq, allBinary };
}

/** Merges summaries. */
export function mergeSummaries(summaries: readonly ScoreSummary[]): ScoreSummary {
  return summaries.reduce((a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq, allBinary: a.allBinary && b.allBinary }), EMPTY_SUMMARY);
}

/** Two-sided 95% Student t quantile (Cornish-Fisher expansion; within 0.2% of the table for df >= 3). */
export function t95(df: number): number {
  if (!Number.isFinite(df) || df > 1e6) return Z95;
  if (df <= 1) return 12.706;
  if (df === 2) return 4.303;
  const z = Z95;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3);
}

function sampleVariance(s: ScoreSummary): number {
  if (s.n < 2) return 0;
  const mean = s.sum / s.n;
  return Math.max(0, (s.sumSq - s.n * mean * mean) / (s.n - 1));
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * The mean and its 95% CI: a Wilson score interval when every score is 0/1 (honest near 0 and 1
 * and for small samples), else a Student-t interval, clamped to [0, 1]. No samples: mean 0, CI [0, 1].
 */
export function meanInterval(s: ScoreSummary): Interval {
  if (s.n === 0) return { mean: 0, ciLow: 0, ciHigh: 1 };
  const mean = s.sum / s.n;
  if (s.allBinary) {
    const z2 = Z95 * Z95;
    const denominator = 1 + z2 / s.n;
    const center = (mean + z2 / (2 * s.n)) / denominator;
    const half = (Z95 * Math.sqrt((mean * (1 - mean)) / s.n + z2 / (4 * s.n * s.n))) / denominator;
    // Exact at the ends: no floating-point residue like 0.9999999999999999.
    return { mean, ciLow: mean === 0 ? 0 : clamp(center - half, 0, 1), ciHigh: mean === 1 ? 1 : clamp(center + half, 0, 1) };
  }
  if (s.n === 1) return { mean, ciLow: 0, ciHigh: 1 };
  const half = t95(s.n - 1) * Math.sqrt(sampleVariance(s) / s.n);
  return { mean, ciLow: clamp(mean - half, 0, 1), ciHigh: clamp(mean + half, 0, 1) };
}

/**
 * The difference head - base of two means with a 95% CI. With paired differences (the same items
 * scored in both), the CI comes from their spread (much tighter: item difficulty cancels out);
 * otherwise from the two samples' variances (Welch, normal quantile).
 */
export function deltaInterval(base: ScoreSummary, head: ScoreSummary, pairedDifferences?: readonly number[]): Interval {
  const delta = (head.n > 0 ? head.sum / head.n : 0) - (base.n > 0 ? base.sum / base.n : 0);
  if (base.n === 0 || head.n === 0) return { mean: delta, ciLow: -1, ciHigh: 1 };
  let half: number;
  if (pairedDifferences && pairedDifferences.length >= 2) {
    const d = summarizeAny(pairedDifferences);
    half = t95(d.n - 1) * Math.sqrt(sampleVariance(d) / d.n);
  } else {
    half = Z95 * Math.sqrt(sampleVariance(base) / base.n + sampleVariance(head) / head.n);
  }
  return { mean: delta, ciLow: clamp(delta - half, -1, 1), ciHigh: clamp(delta + half, -1, 1) };
}

function summarizeAny(values: readonly number[]): ScoreSummary {
  let sum = 0;
  let sumSq = 0;
  for (const value of values) {
    sum += value;
    sumSq += value * value;
  }
  return { n: values.length, sum, sumSq, allBinary: false };
}
