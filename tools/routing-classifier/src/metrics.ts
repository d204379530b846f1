/**
 * RouteLLM's routing metrics, computed exactly.
 *
 * A router gives each prompt a score; sending the highest-scoring share `s` of prompts to the strong
 * model gives quality `Q(s)` = mean correctness of the model each prompt was sent to.
 * `PGR(s) = (Q(s) − Q_weak) / (Q_strong − Q_weak)`.
 *
 * - The curve is traced prompt by prompt in descending score order, so `Q` is piecewise linear in
 *   `s` with a knot after every prompt. Prompts with equal scores form one block whose quality is
 *   interpolated linearly across it: the expected curve over every order of the tied prompts, so
 *   ties never depend on input order. (A constant score therefore is the expected random router:
 *   `PGR(s) = s`.)
 * - `APGR = ∫₀¹ PGR(s) ds`, integrated exactly (trapezoids between consecutive knots, which is exact
 *   for a piecewise-linear curve). This is the limit of RouteLLM's trapezoid over fixed steps as the
 *   step shrinks; `apgrAtQuantileCutoffs` gives RouteLLM's own 10-bin version for comparison.
 * - `CPT(x)` = the smallest share `s` with `PGR(s) ≥ x`, found on the same piecewise-linear curve
 *   (linear interpolation inside the crossing segment, as RouteLLM's `np.interp`).
 *
 * Every function accepts per-prompt weights so a bootstrap resample is just a vector of counts.
 */

/** Prompts to route: a score and the two models' correctness per prompt. */
export interface RoutingTable {
  readonly scores: ArrayLike<number>;
  readonly strong: ArrayLike<number>;
  readonly weak: ArrayLike<number>;
}

/** A routing order prepared once and reused for every weighting (bootstrap resample). */
export interface RoutingOrder {
  /** Prompt indices by descending score (ties by index). */
  readonly order: Int32Array;
  /** Tie blocks: block `b` is `order[blockEnds[b-1] .. blockEnds[b])`. */
  readonly blockEnds: Int32Array;
}

/** Metrics of one router on one table. Shares are fractions (0..1). */
export interface RoutingMetrics {
  readonly qualityWeak: number;
  readonly qualityStrong: number;
  /** Area under PGR vs strong share. */
  readonly apgr: number;
  /** Smallest strong share reaching PGR ≥ 0.5. */
  readonly cpt50: number;
  /** Smallest strong share reaching PGR ≥ 0.8. */
  readonly cpt80: number;
}

/** PGR values within this distance of a target count as reaching it (floating-point slack). */
const PGR_EPSILON = 1e-9;

/** Sorts prompts by descending score and groups equal scores into blocks. */
export function prepareRoutingOrder(scores: ArrayLike<number>): RoutingOrder {
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`score of prompt ${i} is NaN`);
  }
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const ends: number[] = [];
  for (let k = 1; k <= order.length; k++) {
    if (k === order.length || scores[order[k]] !== scores[order[k - 1]]) ends.push(k);
  }
  return { order, blockEnds: Int32Array.from(ends) };
}

/** Points of the routing curve: `shares[k]`, `quality[k]` after the k-th tie block (k = 0: none). */
export interface RoutingCurve {
  readonly shares: Float64Array;
  readonly quality: Float64Array;
  readonly qualityWeak: number;
  readonly qualityStrong: number;
}

/** Traces quality against strong share. `weights` (default 1 each) are per-prompt multiplicities. */
export function routingCurve(table: RoutingTable, prepared: RoutingOrder, weights?: ArrayLike<number>): RoutingCurve {
  const { order, blockEnds } = prepared;
  let total = 0, weakSum = 0, strongSum = 0;
  for (let i = 0; i < order.length; i++) {
    const w = weights ? weights[i] : 1;
    total += w;
    weakSum += w * table.weak[i];
    strongSum += w * table.strong[i];
  }
  if (total <= 0) throw new Error('routing table is empty');
  const shares = new Float64Array(blockEnds.length + 1);
  const quality = new Float64Array(blockEnds.length + 1);
  quality[0] = weakSum / total;
  let start = 0, taken = 0, gain = 0;
  for (let b = 0; b < blockEnds.length; b++) {
    for (let k = start; k < blockEnds[b]; k++) {
      const i = order[k];
      const w = weights ? weights[i] : 1;
      taken += w;
      gain += w * (table.strong[i] - table.weak[i]);
    }
    start = blockEnds[b];
    shares[b + 1] = taken / total;
    quality[b + 1] = (weakSum + gain) / total;
  }
  return { shares, quality, qualityWeak: weakSum / total, qualityStrong: strongSum / total };
}

/** Smallest share at which the curve's PGR reaches `target`. */
export function callsToReach(curve: RoutingCurve, target: number): number {
  const { shares, quality, qualityWeak, qualityStrong } = curve;
  const gap = qualityStrong - qualityWeak;
  const pgr = (k: number) => (quality[k] - qualityWeak) / gap;
  if (pgr(0) >= target - PGR_EPSILON) return 0;
  for (let k = 1; k < shares.length; k++) {
    const after = pgr(k);
    if (after >= target - PGR_EPSILON) {
      const before = pgr(k - 1);
      const fraction = Math.min(1, Math.max(0, (target - before) / (after - before)));
      return shares[k - 1] + fraction * (shares[k] - shares[k - 1]);
    }
  }
  return 1;
}

/** APGR, CPT(50%) and CPT(80%) of a curve. Throws when the strong model is not better than the weak. */
export function curveMetrics(curve: RoutingCurve): RoutingMetrics {
  const { shares, quality, qualityWeak, qualityStrong } = curve;
  const gap = qualityStrong - qualityWeak;
  if (!(gap > 0)) throw new Error(`PGR is undefined: strong quality ${qualityStrong} is not above weak ${qualityWeak}`);
  let area = 0;
  for (let k = 1; k < shares.length; k++) area += ((shares[k] - shares[k - 1]) * (quality[k] + quality[k - 1])) / 2;
  return {
    qualityWeak,
    qualityStrong,
    apgr: (area - qualityWeak) / gap,
    cpt50: callsToReach(curve, 0.5),
    cpt80: callsToReach(curve, 0.8),
  };
}

/** Metrics of scores on a table (optionally weighted). */
export function routingMetrics(table: RoutingTable, weights?: ArrayLike<number>): RoutingMetrics {
  return curveMetrics(routingCurve(table, prepareRoutingOrder(table.scores), weights));
}

/**
 * APGR the way RouteLLM's `evaluate.py` computes it: cutoffs at the 0, 10, …, 100 % quantiles of
 * the scores (`pd.qcut(scores, 10)`), strong = `score >= cutoff` (`>` for the last), then a trapezoid
 * of quality over the resulting strong shares. Coarser and tie-sensitive; reported for comparison.
 */
export function apgrAtQuantileCutoffs(table: RoutingTable, bins = 10): number {
  const n = table.scores.length;
  const sorted = Float64Array.from(table.scores).sort();
  const points: Array<{ share: number; quality: number }> = [];
  let weakSum = 0, strongSum = 0;
  for (let i = 0; i < n; i++) {
    weakSum += table.weak[i];
    strongSum += table.strong[i];
  }
  for (let q = 0; q <= bins; q++) {
    const position = (q / bins) * (n - 1);
    const low = Math.floor(position);
    const cutoff = sorted[low] + (position - low) * ((sorted[Math.min(low + 1, n - 1)] ?? sorted[low]) - sorted[low]);
    let strongCalls = 0, correct = 0;
    for (let i = 0; i < n; i++) {
      const toStrong = q === bins ? table.scores[i] > cutoff : table.scores[i] >= cutoff;
      if (toStrong) strongCalls++;
      correct += toStrong ? table.strong[i] : table.weak[i];
    }
    points.push({ share: strongCalls / n, quality: correct / n });
  }
  points.sort((a, b) => a.share - b.share);
  const span = points[points.length - 1].share - points[0].share;
  let area = 0;
  for (let k = 1; k < points.length; k++) {
    area += ((points[k].share - points[k - 1].share) * (points[k].quality + points[k - 1].quality)) / 2;
  }
  const qualityWeak = weakSum / n, qualityStrong = strongSum / n;
  return (area - qualityWeak * span) / ((qualityStrong - qualityWeak) * span);
}
