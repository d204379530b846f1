import { deltaInterval, meanInterval, mergeSummaries, summarize, t95 } from './statistics';

describe('statistics', () => {
  it('gives a Wilson interval for 0/1 scores', () => {
    // 86 of 100: Wilson 95% interval [0.7786, 0.9148].
    const interval = meanInterval(summarize([...Array(86).fill(1), ...Array(14).fill(0)]));
    expect(interval.mean).toBeCloseTo(0.86, 12);
    expect(interval.ciLow).toBeCloseTo(0.7786, 3);
    expect(interval.ciHigh).toBeCloseTo(0.9148, 3);
  });

  it('keeps the Wilson interval inside [0, 1] at the extremes', () => {
    const all = meanInterval(summarize(Array(10).fill(1)));
    expect(all.ciHigh).toBe(1);
    expect(all.ciLow).toBeGreaterThan(0.6);
    expect(meanInterval(summarize([])).ciHigh).toBe(1);
  });

  it('gives a Student-t interval for continuous scores', () => {
    const interval = meanInterval(summarize([0.5, 0.6, 0.7, 0.8]));
    // mean 0.65, sd 0.1291, se 0.06455, t(3) = 3.182 → half-width 0.2054.
    expect(interval.mean).toBeCloseTo(0.65, 12);
    expect(interval.ciHigh - interval.mean).toBeCloseTo(0.2054, 2);
  });

  it('approximates t quantiles', () => {
    expect(t95(3)).toBeCloseTo(3.182, 1);
    expect(t95(10)).toBeCloseTo(2.228, 2);
    expect(t95(100)).toBeCloseTo(1.984, 3);
  });

  it('merges summaries', () => {
    expect(mergeSummaries([summarize([1, 0]), summarize([0.5])])).toEqual({ n: 3, sum: 1.5, sumSq: 1.25, allBinary: false });
  });

  it('pairs differences for a tighter CI of a delta', () => {
    const base = summarize([1, 0, 1, 0, 1, 0, 1, 0]);
    const head = summarize([1, 1, 1, 0, 1, 0, 1, 0]);
    const paired = deltaInterval(base, head, [0, 1, 0, 0, 0, 0, 0, 0]);
    const unpaired = deltaInterval(base, head);
    expect(paired.mean).toBeCloseTo(0.125, 12);
    expect(paired.ciHigh - paired.ciLow).toBeLessThan(unpaired.ciHigh - unpaired.ciLow);
    expect(deltaInterval(base, head, Array(8).fill(0))).toMatchObject({ mean: 0.125, ciLow: 0.125, ciHigh: 0.125 });
  });
});
