import { apgrAtQuantileCutoffs, routingMetrics, type RoutingTable } from './metrics';

/*
 * Hand-computed example (five prompts, sorted by score):
 *
 *   prompt  score  strong  weak  gain
 *   p1      0.9    1       0     +1
 *   p2      0.8    1       0     +1
 *   p3      0.4    1       1      0
 *   p4      0.3    0       1     -1
 *   p5      0.2    0       0      0
 *
 * Q_weak = 2/5 = 0.4, Q_strong = 3/5 = 0.6, gap 0.2.
 * Quality after sending the top k to strong, k = 0..5: 0.4, 0.6, 0.8, 0.8, 0.6, 0.6
 * PGR = (Q − 0.4) / 0.2:                                0,   1,   2,   2,   1,   1
 * APGR = Σ trapezoids of width 0.2
 *      = 0.2 · [(0+1)/2 + (1+2)/2 + (2+2)/2 + (2+1)/2 + (1+1)/2] = 0.2 · 6.5 = 1.3
 * CPT(50%): PGR crosses 0.5 halfway through the first step → 0.1; CPT(80%): 0.8 of it → 0.16.
 */
const HAND_TABLE: RoutingTable = {
  scores: [0.9, 0.8, 0.4, 0.3, 0.2],
  strong: [1, 1, 1, 0, 0],
  weak: [0, 0, 1, 1, 0],
};

/*
 * Ties are taken as their expectation. Two blocks of two tied prompts:
 *
 *   score 1: (strong 1, weak 0), (strong 0, weak 0)   block gain +1
 *   score 0: (strong 1, weak 1), (strong 1, weak 0)   block gain +1
 *
 * Q_weak = 1/4, Q_strong = 3/4. Quality: 0.25 at share 0, 0.5 at 0.5, 0.75 at 1 — a straight line,
 * so PGR(s) = s: APGR 0.5, CPT(50%) 0.5, CPT(80%) 0.8, whatever the order of the tied rows.
 */
const TIED_TABLE: RoutingTable = { scores: [1, 1, 0, 0], strong: [1, 0, 1, 1], weak: [0, 0, 1, 0] };

describe('routingMetrics', () => {
  it('reproduces the hand-computed APGR and CPT', () => {
    const m = routingMetrics(HAND_TABLE);
    expect(m.qualityWeak).toBeCloseTo(0.4, 12);
    expect(m.qualityStrong).toBeCloseTo(0.6, 12);
    expect(m.apgr).toBeCloseTo(1.3, 12);
    expect(m.cpt50).toBeCloseTo(0.1, 12);
    expect(m.cpt80).toBeCloseTo(0.16, 12);
  });

  it('takes tied scores as their expected value, independent of row order', () => {
    const m = routingMetrics(TIED_TABLE);
    expect(m.apgr).toBeCloseTo(0.5, 12);
    expect(m.cpt50).toBeCloseTo(0.5, 12);
    expect(m.cpt80).toBeCloseTo(0.8, 12);
    // the same four rows, listed in another order
    const reordered = routingMetrics({ scores: [0, 1, 0, 1], strong: [1, 0, 1, 1], weak: [0, 0, 1, 0] });
    expect(reordered.apgr).toBeCloseTo(m.apgr, 12);
    expect(reordered.cpt50).toBeCloseTo(m.cpt50, 12);
    expect(reordered.cpt80).toBeCloseTo(m.cpt80, 12);
  });

  it('gives a constant score (random routing in expectation) APGR 0.5', () => {
    const m = routingMetrics({ ...HAND_TABLE, scores: [7, 7, 7, 7, 7] });
    expect(m.apgr).toBeCloseTo(0.5, 12);
    expect(m.cpt50).toBeCloseTo(0.5, 12);
    expect(m.cpt80).toBeCloseTo(0.8, 12);
  });

  it('treats weights as row multiplicities', () => {
    const weighted = routingMetrics(HAND_TABLE, [2, 0, 1, 1, 3]);
    const expanded = routingMetrics({
      scores: [0.9, 0.9, 0.4, 0.3, 0.2, 0.2, 0.2],
      strong: [1, 1, 1, 0, 0, 0, 0],
      weak: [0, 0, 1, 1, 0, 0, 0],
    });
    expect(weighted.apgr).toBeCloseTo(expanded.apgr, 12);
    expect(weighted.cpt50).toBeCloseTo(expanded.cpt50, 12);
  });

  it('refuses tables where the strong model is not better', () => {
    expect(() => routingMetrics({ scores: [1, 0], strong: [0, 1], weak: [1, 0] })).toThrow(/PGR is undefined/);
  });
});

describe('apgrAtQuantileCutoffs (RouteLLM 10-step)', () => {
  it('matches the exact APGR when every cutoff lands on a knot', () => {
    // cutoffs at the deciles of [0.2, 0.3, 0.4, 0.8, 0.9] send 100, 80, 80, 60, 60, 60, 40, 40, 20, 20, 0 %
    // to strong: the same knots as the exact curve, so the trapezoid is again 1.3
    expect(apgrAtQuantileCutoffs(HAND_TABLE)).toBeCloseTo(1.3, 12);
  });
});
